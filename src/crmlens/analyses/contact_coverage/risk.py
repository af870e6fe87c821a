"""Steps 4–5 of contact coverage: risk tiers, workload and the revenue-weighted priority.

Risk: the flag score (red-line track) and a continuous gap score with the same weights; tiers by
the score cut-offs.  Missing data never lowers a tier: an account whose employee count is unknown
(density cannot fail) or whose size class is NULL (the default coverage baseline, not the
strictest, was applied) gets tier ``data_gap`` when its worst case (those checks failed) reaches a
higher tier than the known checks give; ``data_gap_reason`` names the missing fields.  Data gaps
rank right after high risk; accounts with complete data keep their scores, tiers and order.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from crmlens.analyses.base import flag_names
from crmlens.analyses.contact_coverage.config import ContactCoverageConfig
from crmlens.analyses.contact_coverage.key_accounts import TOLERANCE
from crmlens.analyses.toolkit import labels, tier_levels

TIERS = ("low", "medium", "high", "data_gap")  # level 0..2 by score; data_gap is set apart
ATTENTION_TIERS = ("high", "data_gap")  # the top-risk list and the head of the priority order
DATA_GAP_REASONS = ("employees_unknown", "size_unknown")  # one per column of missing_checks


def assess(df: pd.DataFrame, cfg: ContactCoverageConfig, n_departments: int) -> pd.DataFrame:
    """Both seed risk models, the continuous gap score and the tier of the selected model
    (``risk_model``); the gaps themselves come from the engine (``expressions.account_metrics``).

    * weighted flags (seed 002): ``flag_score`` = Σ weight × red-line flag; tiers by the score
      cut-offs (``tier_weighted``);
    * additive points (seed 001): ``points_score`` = low density + low decision ratio + share of
      the key departments missing; high = the top ``additive.high_share`` by points, ties at the
      cut included, and more than 0 points; medium ≥ ``additive.medium_points``
      (``tier_additive``).

    ``risk_score`` and ``tier`` are those of the selected model."""
    w = cfg.weights
    df["flag_score"] = df["flag_score_rl"].round(10)
    missing_share = (n_departments - df["coverage"]) / n_departments if n_departments else 0.0
    df["points_score"] = (
        df["low_density_rl"].astype("float64")
        + df["low_decision_rl"].astype("float64")
        + missing_share
    ).round(10)
    df["gap_score"] = (
        w.density * df["gap_density"]
        + w.decision * df["gap_decision"]
        + w.coverage * df["gap_coverage"]
    ).round(10)
    missing = missing_checks(df, cfg)
    worst_flags = df["flag_score"].to_numpy() + missing @ np.array([w.density, w.coverage])
    tiers = {
        "weighted_flags": _tiers(df["flag_score"].to_numpy(), worst_flags, missing, cfg),
        "additive_points": _tiers(
            df["points_score"].to_numpy(),
            df["points_score"].to_numpy() + missing[:, 0],
            missing * np.array([1.0, 0.0]),  # a missing size class does not change the points
            cfg,
            additive_cut(df["points_score"].to_numpy(), cfg),
        ),
    }
    for model, (tier, _reason) in tiers.items():
        df[f"tier_{model.split('_')[0]}"] = tier.set_axis(df.index)
    df["risk_score"] = df["flag_score" if cfg.risk_model == "weighted_flags" else "points_score"]
    tier, reason = tiers[cfg.risk_model]
    df["tier"] = tier.set_axis(df.index)
    df["data_gap_reason"] = reason
    return df


def additive_cut(points: np.ndarray, cfg: ContactCoverageConfig) -> float:
    """The points of the last account in the top ``additive.high_share`` (at least 1 account);
    accounts with at least these points (and more than 0) are high risk."""
    if not len(points):
        return np.inf
    n_top = max(1, int(np.ceil(round(len(points) * cfg.additive.high_share, 9))))
    return float(np.sort(points)[::-1][n_top - 1])


def _tiers(
    score: np.ndarray,
    worst: np.ndarray,
    missing: np.ndarray,
    cfg: ContactCoverageConfig,
    points_cut: float | None = None,
) -> tuple[pd.Series, pd.Series]:
    """Tier labels and data-gap reasons: an account whose worst case (the checks hidden by missing
    values failed) reaches a higher tier than its known checks is a data gap."""
    level = tier_level(score, cfg, points_cut)
    gap = tier_level(worst, cfg, points_cut) > level
    tier = labels(np.where(gap, len(TIERS) - 1, level), TIERS)
    reason = flag_names((missing > 0) & gap[:, None], list(DATA_GAP_REASONS))
    return tier, reason


def tier_level(
    score: np.ndarray, cfg: ContactCoverageConfig, points_cut: float | None = None
) -> np.ndarray:
    """0 low, 1 medium, 2 high: by the flag-score cut-offs (``medium_risk_score`` ≤
    ``high_risk_score``, validated), or for the additive points by ``additive.medium_points`` and
    the top-share cut (``points_cut``; never 0 points)."""
    if points_cut is None:
        return tier_levels(score, (cfg.medium_risk_score, cfg.high_risk_score), TOLERANCE)
    score = np.asarray(score, dtype="float64")
    medium = tier_levels(score, (cfg.additive.medium_points,), TOLERANCE)
    high = (score >= points_cut - TOLERANCE) & (score > TOLERANCE)
    return np.where(high, 2, np.minimum(medium, 1))


def missing_checks(df: pd.DataFrame, cfg: ContactCoverageConfig) -> np.ndarray:
    """accounts × (density, coverage): 1 where a red-line check passed only because a value is
    missing — no employee count (density unknown), or no size class while the coverage would
    fail the strictest size baseline."""
    strictest = max([*cfg.coverage_baseline.values(), cfg.coverage_baseline_default])
    passed = ~df[["low_density_rl", "low_coverage_rl"]].to_numpy(dtype=bool)
    density = ~df["employees_known"].to_numpy(dtype=bool) & passed[:, 0]
    coverage = (
        df["company_size_category"].isna().to_numpy()
        & passed[:, 1]
        & (df["coverage"].to_numpy() < strictest)
    )
    return np.column_stack([density, coverage]).astype("float64")


PRIORITY_KEYS = (  # column, ascending: the engine's priority order (expressions.priority_order)
    ("annual_revenue", False),
    ("size_rank", True),
    ("gap_decision", False),
    ("gap_coverage", False),
    ("account_id", True),
)


def reorder(
    df: pd.DataFrame, present: np.ndarray, must: np.ndarray, cfg: ContactCoverageConfig
) -> tuple[pd.DataFrame, np.ndarray, np.ndarray]:
    """The final priority order: high risk, then data gaps right after them, then the rest; within
    each, the engine's order (flag score ↓, revenue ↓, …) — or, for the additive model, points ↓
    followed by the same keys.  Renumbers ``priority_rank``."""
    tier = df["tier"].to_numpy()
    group = np.where(tier == "high", 0, np.where(tier == "data_gap", 1, 2))
    if cfg.risk_model == "additive_points":
        keys = df[[c for c, _ in PRIORITY_KEYS]].assign(_group=group, _points=df["points_score"])
        columns = ["_group", "_points", *(c for c, _ in PRIORITY_KEYS)]
        ascending = [True, False, *(a for _, a in PRIORITY_KEYS)]
        order = keys.sort_values(columns, ascending=ascending, kind="stable").index.to_numpy()
    elif (group == 1).any():
        order = np.argsort(group, kind="stable")
    else:
        return df, present, must
    df = df.take(order).reset_index(drop=True)
    df["priority_rank"] = np.arange(1, len(df) + 1)
    return df, present[order], must[order]


def executives_to_reach(n: np.ndarray, d: np.ndarray, r: float) -> np.ndarray:
    """Smallest x ≥ 0 with (d + x) / (n + x) ≥ r and n + x ≥ 1 (added contacts are executives)."""
    n = np.asarray(n, dtype="float64")
    d = np.asarray(d, dtype="float64")
    x = np.maximum(0.0, np.ceil((r * n - d) / (1.0 - r) - 1e-9))
    x = np.where(n + x == 0, 1.0, x)
    return x.astype("int64")


def executives_within(
    n: np.ndarray, d: np.ndarray, total_added: np.ndarray, r: float
) -> np.ndarray:
    """Executives needed among ``total_added`` new contacts so that the ratio reaches r."""
    n = np.asarray(n, dtype="float64")
    need = np.ceil(r * (n + total_added) - np.asarray(d, dtype="float64") - 1e-9)
    return np.maximum(0.0, need).astype("int64")


def joint_plan(
    n: np.ndarray, d: np.ndarray, density_need: np.ndarray, cfg: ContactCoverageConfig
) -> tuple[np.ndarray, np.ndarray]:
    """One plan per account, computed once: T new contacts in total, x of them executives.

    T = max(density need, executives needed if every new contact were one), so that density
    reaches its red line and the ratio can; x = the smallest count with (d + x) / (n + T) ≥ r
    (the ratio holds AFTER the expansion: executives count as contacts), capped at T."""
    r = cfg.decision_ratio_red_line
    total = np.maximum(np.asarray(density_need, dtype="int64"), executives_to_reach(n, d, r))
    return total, np.minimum(executives_within(n, d, total, r), total)


def workload(
    df: pd.DataFrame,
    cfg: ContactCoverageConfig,
    present: np.ndarray,
    must: np.ndarray,
    key_depts: list[str],
) -> np.ndarray:
    """Contacts, executives and departments to add; returns the departments-to-add matrix."""
    n = df["n_contacts"].to_numpy()
    d = df["n_decision"].to_numpy()
    emp = df["number_of_employees"].astype("float64")
    known = df["employees_known"].astype(bool)
    need = np.ceil(cfg.density_red_line * emp / cfg.density_per_employees - TOLERANCE)
    df["density_need"] = (need - n).clip(lower=0).where(known).astype("Int64")
    need_peer = np.ceil(df["density_threshold"] * emp / cfg.density_per_employees - TOLERANCE)
    df["contacts_to_add_peer"] = (need_peer - n).clip(lower=0).where(known).astype("Int64")
    total, executives = joint_plan(n, d, df["density_need"].fillna(0).to_numpy("int64"), cfg)
    df["contacts_to_add"] = total
    df["executives_to_add"] = executives
    df["other_contacts_to_add"] = total - executives
    # departments to add: every missing must-have, then other missing departments in dictionary
    # order until the coverage threshold is reached
    must_miss = ~present & must
    other_miss = ~present & ~must_miss
    needed = np.maximum(
        0, np.ceil(df["coverage_threshold"].to_numpy() - TOLERANCE) - df["coverage"].to_numpy()
    ).astype(int)
    extra = np.maximum(0, needed - must_miss.sum(axis=1))
    add_mask = must_miss | (other_miss & (np.cumsum(other_miss, axis=1) <= extra[:, None]))
    df["departments_to_add"] = flag_names(add_mask, key_depts)
    df["n_departments_to_add"] = add_mask.sum(axis=1).astype("int64")
    return add_mask


def priority(df: pd.DataFrame, cfg: ContactCoverageConfig) -> pd.DataFrame:
    """Revenue weight, priority score, owner role and queue; the priority order itself
    (``priority_rank``, ``size_rank``) comes from the engine (``expressions.priority_order``)."""
    n_key = len(df)
    rev_pos = df["revenue_rank"].astype("float64")  # 0 = highest revenue
    df["revenue_weight"] = 2.0 if n_key == 1 else 1.0 + (n_key - 1 - rev_pos) / (n_key - 1)
    df["priority_score"] = (df["risk_score"] * df["revenue_weight"]).round(10)
    owner = df["company_size_category"].map(dict(cfg.queues)).fillna(cfg.default_owner_role)
    df["owner_role"] = owner.astype("str")
    df["queue"] = df["owner_role"].where(df["risk_class"] == "strong", "")
    return df
