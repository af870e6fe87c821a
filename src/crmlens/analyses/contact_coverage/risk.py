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


def assess(df: pd.DataFrame, cfg: ContactCoverageConfig) -> pd.DataFrame:
    """Flag score (red-line track, from the engine), the continuous gap score and the tier; the
    gaps themselves come from the engine (``expressions.account_metrics``)."""
    w = cfg.weights
    df["risk_score"] = df["flag_score_rl"].round(10)
    df["gap_score"] = (
        w.density * df["gap_density"]
        + w.decision * df["gap_decision"]
        + w.coverage * df["gap_coverage"]
    ).round(10)
    level = tier_level(df["risk_score"].to_numpy(), cfg)
    missing = missing_checks(df, cfg)
    worst = df["risk_score"].to_numpy() + missing @ np.array([w.density, w.coverage])
    gap = tier_level(worst, cfg) > level
    df["tier"] = labels(np.where(gap, len(TIERS) - 1, level), TIERS)
    df["data_gap_reason"] = flag_names((missing > 0) & gap[:, None], list(DATA_GAP_REASONS))
    return df


def tier_level(score: np.ndarray, cfg: ContactCoverageConfig) -> np.ndarray:
    """0 low, 1 medium, 2 high (``medium_risk_score`` ≤ ``high_risk_score``, validated)."""
    return tier_levels(score, (cfg.medium_risk_score, cfg.high_risk_score), TOLERANCE)


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


def data_gaps_after_high(
    df: pd.DataFrame, present: np.ndarray, must: np.ndarray
) -> tuple[pd.DataFrame, np.ndarray, np.ndarray]:
    """Move data-gap accounts right after the high-risk ones (a stable reorder: every other
    account keeps its relative order) and renumber ``priority_rank``."""
    tier = df["tier"].to_numpy()
    if not (tier == "data_gap").any():
        return df, present, must
    group = np.where(tier == "high", 0, np.where(tier == "data_gap", 1, 2))
    order = np.argsort(group, kind="stable")
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
    add = (need - n).clip(lower=0)
    df["contacts_to_add"] = add.where(known).astype("Int64")
    need_peer = np.ceil(df["density_threshold"] * emp / cfg.density_per_employees - TOLERANCE)
    df["contacts_to_add_peer"] = (need_peer - n).clip(lower=0).where(known).astype("Int64")
    r = cfg.decision_ratio_red_line
    df["executives_to_add"] = executives_to_reach(n, d, r)
    total = np.maximum(
        df["contacts_to_add"].fillna(0).to_numpy(dtype="int64"), df["executives_to_add"].to_numpy()
    )
    df["plan_new_contacts"] = total
    df["plan_new_executives"] = np.minimum(executives_within(n, d, total, r), total)
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
