"""Step 3 of contact coverage: the peer track, on the key-account table.

Per industry × size group, density threshold = max(red line, P25), coverage threshold =
max(size baseline, P25); groups under ``peer_min_group_size`` fall back to the red line.  Industry
must-have departments join the peer track's coverage test.  Failing both tracks → ``strong``;
one → ``secondary``.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from crmlens.analyses.base import flag_names
from crmlens.analyses.contact_coverage.config import ContactCoverageConfig
from crmlens.analyses.toolkit import labels
from crmlens.stats.basic import percentile

RISK_CLASSES = ("none", "secondary", "strong")  # by the number of tracks failed


def presence(df: pd.DataFrame, key_depts: list[str]) -> np.ndarray:
    """accounts × key departments: has at least one live contact there."""
    cols = [df[f"has_{d}"].to_numpy(dtype=bool) for d in key_depts]
    return np.column_stack(cols) if cols else np.zeros((len(df), 0), dtype=bool)


def must_have_matrix(
    industry: pd.Series, cfg: ContactCoverageConfig, key_depts: list[str]
) -> np.ndarray:
    """accounts × key departments: the department is a must-have in the account's industry."""
    codes, uniques = pd.factorize(industry)  # one row of flags per distinct industry, then a take
    rows = [[d in cfg.industry_must_have.get(ind, []) for d in key_depts] for ind in uniques]
    table = np.array(rows + [[False] * len(key_depts)], dtype=bool)
    table = table.reshape(len(uniques) + 1, len(key_depts))
    return table[np.where(codes < 0, len(uniques), codes)]


def peer_thresholds(
    df: pd.DataFrame, cfg: ContactCoverageConfig
) -> tuple[pd.DataFrame, np.ndarray]:
    """Per industry × size group: P(peer_percentile) of density and coverage and the thresholds;
    also each account's group number (a row of the returned table)."""
    keys = ["industry_normalized", "company_size_category"]
    grouped = df[keys].groupby(keys, sort=True, dropna=False)
    codes = grouped.ngroup().to_numpy()
    sizes = grouped.size()  # in group-number order
    order = np.argsort(codes, kind="stable")
    bounds = np.cumsum(sizes.to_numpy())[:-1]
    dens = np.split(df["density"].to_numpy(dtype="float64")[order], bounds)
    covs = np.split(df["coverage"].to_numpy(dtype="float64")[order], bounds)
    rows = []
    for (ind, size), n, den, cov in zip(sizes.index, sizes.to_numpy(), dens, covs):
        base = cfg.coverage_baseline.get(size, cfg.coverage_baseline_default)
        p_den = percentile(den, cfg.peer_percentile)
        median = percentile(den, 0.5)
        p_cov = percentile(cov, cfg.peer_percentile)
        fallback = bool(n < cfg.peer_min_group_size)
        den_thr = (
            cfg.density_red_line
            if fallback or np.isnan(p_den)
            else max(cfg.density_red_line, p_den)
        )
        cov_thr = float(base) if fallback else max(float(base), p_cov)
        rows.append(
            {
                "industry_normalized": ind,
                "company_size_category": size,
                "accounts": int(n),
                "p_density": p_den,
                "p_coverage": p_cov,
                "median_density": median,
                "density_threshold": den_thr,
                "coverage_threshold": cov_thr,
                "fallback": fallback,
            }
        )
    cols = [
        *keys,
        "accounts",
        "p_density",
        "p_coverage",
        "median_density",
        "density_threshold",
        "coverage_threshold",
        "fallback",
    ]
    return pd.DataFrame(rows, columns=cols), codes


def apply_peer_track(
    df: pd.DataFrame,
    groups: pd.DataFrame,
    codes: np.ndarray,
    present: np.ndarray,
    must: np.ndarray,
    key_depts: list[str],
) -> pd.DataFrame:
    """Peer thresholds per account, the peer-track failures and the risk class."""
    for col in ("density_threshold", "coverage_threshold"):
        df[col] = groups[col].to_numpy(dtype="float64")[codes] if len(groups) else np.nan
    must_missing = ~present & must
    df["missing_departments"] = flag_names(~present, key_depts)
    df["missing_must_have"] = flag_names(must_missing, key_depts)
    density = df["density"].to_numpy(dtype="float64")
    density_threshold = df["density_threshold"].to_numpy()
    with np.errstate(invalid="ignore"):
        df["low_density_peer"] = ~np.isnan(density) & (density < density_threshold)
    df["low_decision_peer"] = df["low_decision_rl"]  # no peer threshold for the decision ratio
    df["low_coverage_peer"] = (
        df["coverage"].to_numpy() < df["coverage_threshold"].to_numpy()
    ) | must_missing.any(axis=1)
    fails_rl = df[["low_density_rl", "low_decision_rl", "low_coverage_rl"]].to_numpy(dtype=bool)
    fails_peer = df[["low_density_peer", "low_decision_peer", "low_coverage_peer"]].to_numpy(
        dtype=bool
    )
    fails = fails_rl.any(axis=1).astype(int) + fails_peer.any(axis=1).astype(int)
    df["risk_class"] = labels(fails, RISK_CLASSES)
    return df


RELATIVE_LEVELS = ("industry_size", "industry", "all_key_accounts")  # the group a median is of


def apply_relative_standard(df: pd.DataFrame, cfg: ContactCoverageConfig) -> pd.DataFrame:
    """The relative peer standard, which still differs when the peer track collapses onto the red
    line: density below ``relative_peer_fraction`` × the median density of the account's peers.
    Peers: its industry × size group; when that group has fewer than ``peer_min_group_size``
    known densities, its industry; then every key account; none large enough → not evaluated.
    ``risk_class_relative`` counts the red-line track and the relative track (relative density,
    or coverage below the peer threshold / a must-have missing)."""
    density = df["density"].astype("float64")
    median = np.full(len(df), np.nan)
    level = np.full(len(df), -1, dtype="int64")
    for i, keys in enumerate(
        (["industry_normalized", "company_size_category"], ["industry_normalized"])
    ):
        grouped = density.groupby([df[k] for k in keys], dropna=False)
        take = (level < 0) & (grouped.transform("count").to_numpy() >= cfg.peer_min_group_size)
        median[take] = grouped.transform("median").to_numpy()[take]
        level[take] = i
    if density.count() >= cfg.peer_min_group_size:
        take = level < 0
        median[take] = density.median()
        level[take] = len(RELATIVE_LEVELS) - 1
    df["relative_median_density"] = median
    df["relative_threshold"] = cfg.relative_peer_fraction * median
    df["relative_group"] = labels(np.where(level < 0, 3, level), [*RELATIVE_LEVELS, "none"])
    with np.errstate(invalid="ignore"):
        df["low_density_relative"] = density.to_numpy() < df["relative_threshold"].to_numpy()
    fails_rl = df[["low_density_rl", "low_decision_rl", "low_coverage_rl"]].to_numpy(dtype=bool)
    relative = df["low_density_relative"].to_numpy() | df["low_coverage_peer"].to_numpy(bool)
    fails = fails_rl.any(axis=1).astype(int) + relative.astype(int)
    df["risk_class_relative"] = labels(fails, RISK_CLASSES)
    return df


def collapse(df: pd.DataFrame, cfg: ContactCoverageConfig) -> dict[str, float | int | bool]:
    """Has the peer track collapsed onto the red line?  The share of key accounts whose peer
    density threshold equals the red line (every P25 below it, or groups too small), and whether
    it reaches ``peer_collapse_share``."""
    at_red_line = df["density_threshold"].to_numpy(dtype="float64") <= cfg.density_red_line
    share = float(at_red_line.mean()) if len(df) else 0.0
    return {
        "at_red_line": int(at_red_line.sum()),
        "share": share,
        "collapsed": bool(len(df)) and share >= cfg.peer_collapse_share - 1e-12,
    }
