"""Steps 2–3 of investment mismatch: the composite performance score, the cohorts (top priority,
bottom composite, mismatched), ROI, the gap decomposition and each mismatched customer's reasons.

Cut-offs use the cumulative distribution (``stats.basic.cume_dist``: ties stay together).  ROI is
CLV / CAC, undefined when CAC ≤ 0 or NULL or CLV is NULL; it is winsorised like the components.
"""

from __future__ import annotations

import math

import numpy as np
import pandas as pd

from crmlens.analyses.base import flag_names
from crmlens.analyses.investment_mismatch.base_table import COMPONENTS
from crmlens.analyses.investment_mismatch.config import InvestmentMismatchConfig
from crmlens.stats.basic import cume_dist, min_max, pct_rank, percentile, winsorise

EPS = 1e-12


def composite(df: pd.DataFrame, cfg: InvestmentMismatchConfig) -> tuple[pd.DataFrame, dict]:
    """Weighted sum of the winsorised, normalised components; returns the winsor bounds."""
    bounds = {}
    w = cfg.weights.model_dump()
    df["composite"] = 0.0
    for name, col in COMPONENTS.items():
        x, b = winsorise(df[col].astype(float), cfg.winsor_low, cfg.winsor_high)
        bounds[name] = b
        df[f"norm_{name}"] = min_max(x) if cfg.normalisation == "minmax" else pct_rank(x)
        df["composite"] += w[name] * df[f"norm_{name}"]
    return df, bounds


def cohorts(df: pd.DataFrame, cfg: InvestmentMismatchConfig) -> tuple[pd.DataFrame, dict]:
    """Top-priority, bottom-composite and mismatched flags, with the cut-off values."""
    df["priority_cd"] = cume_dist(df["investment_priority_score"])
    df["composite_cd"] = cume_dist(df["composite"])
    df["top_priority"] = df["priority_cd"] >= 1 - cfg.priority_top_share - EPS
    df["bottom_composite"] = df["composite_cd"] <= cfg.composite_bottom_share + EPS
    df["mismatched"] = df["top_priority"] & df["bottom_composite"]
    top, bottom = df[df["top_priority"]], df[df["bottom_composite"]]
    cut = {
        "priority_cutoff": float(top["investment_priority_score"].min()) if len(top) else math.nan,
        "composite_cutoff": float(bottom["composite"].max()) if len(bottom) else math.nan,
        "top": len(top),
        "bottom": len(bottom),
        "mismatched": int(df["mismatched"].sum()),
    }
    return df, cut


def _mean(x: pd.Series) -> float:
    return float(x.mean()) if len(x) else math.nan


def _median(x: pd.Series) -> float:
    return float(x.median()) if len(x) else math.nan


def roi(df: pd.DataFrame, cfg: InvestmentMismatchConfig) -> tuple[pd.DataFrame, dict]:
    """ROI per customer (raw and winsorised) and its summary."""
    cac = df["acquisition_cost"].astype(float)
    clv = df["customer_lifetime_value"].astype(float)
    ok = cac.notna() & (cac > 0) & clv.notna()
    df["roi"] = np.where(ok, clv / cac.where(ok, 1.0), np.nan)
    df["roi_w"], b = winsorise(df["roi"], cfg.winsor_low, cfg.winsor_high)
    r = df["roi_w"].dropna()
    m = df.loc[df["mismatched"], "roi_w"].dropna()
    n = df.loc[~df["mismatched"], "roi_w"].dropna()
    summary = {
        "undefined": int((~ok).sum()),
        "cac_nonpositive": int((cac <= 0).sum()),
        "cac_null": int(cac.isna().sum()),
        "p1": b[0],
        "p99": b[1],
        "median": _median(r),
        "mean": _mean(r),
        "share_above_1": float((r > 1).mean()) if len(r) else math.nan,
        "mean_mismatched": _mean(m),
        "mean_matched": _mean(n),
        "median_mismatched": _median(m),
        "median_matched": _median(n),
        "top_below_alert": int(((df["roi_w"] < cfg.roi_alert) & df["top_priority"]).sum()),
        "top_unknown": int((df["roi_w"].isna() & df["top_priority"]).sum()),
    }
    return df, summary | like_for_like(df)


def like_for_like(df: pd.DataFrame) -> dict:
    """ROI of the mismatched cohort against matched top-priority customers (winsorised), and the
    cohort's own distribution on the raw ROI (P1, median, P99, share above 1)."""
    matched = df.loc[df["top_priority"] & ~df["mismatched"], "roi_w"].dropna()
    raw = df.loc[df["mismatched"], "roi"].dropna()
    return {
        "mean_top_matched": _mean(matched),
        "median_top_matched": _median(matched),
        "mismatched_p1": percentile(raw, 0.01),
        "mismatched_median_raw": percentile(raw, 0.5),
        "mismatched_p99": percentile(raw, 0.99),
        "mismatched_share_above_1": float((raw > 1).mean()) if len(raw) else math.nan,
    }


def decompose(gaps: dict[str, float], weights: dict[str, float]) -> dict[str, float]:
    """Shares of the weighted composite gap Σ wᵢ·gapᵢ contributed by each component (sum to 1)."""
    parts = {k: weights[k] * gaps[k] for k in gaps}
    total = sum(parts.values())
    if total == 0 or not np.isfinite(total):
        return {k: math.nan for k in gaps}
    return {k: v / total for k, v in parts.items()}


def component_gaps(group: pd.DataFrame) -> dict[str, float]:
    """Mean normalised component of the matched minus the mismatched customers of ``group``."""
    m = group["mismatched"]
    return {
        k: float(group.loc[~m, f"norm_{k}"].mean() - group.loc[m, f"norm_{k}"].mean())
        for k in COMPONENTS
    }


def gap_decomposition(top: pd.DataFrame, cfg: InvestmentMismatchConfig) -> dict:
    """Component gaps between matched and mismatched top-priority customers, and their shares."""
    m = top["mismatched"]
    if not (0 < m.sum() < len(top)):
        return {
            "gaps": {k: math.nan for k in COMPONENTS},
            "shares": {k: math.nan for k in COMPONENTS},
        }
    gaps = component_gaps(top)
    return {"gaps": gaps, "shares": decompose(gaps, cfg.weights.model_dump())}


def reasons(df: pd.DataFrame, cfg: InvestmentMismatchConfig) -> list[list[str]]:
    """Per mismatched customer: components below their median, ROI under the alert line, weak
    onboarding (NaN never counts).  Built per distinct combination of reasons (at most 2^5)."""
    roi_w = df["roi_w"].to_numpy(float)
    with np.errstate(invalid="ignore"):
        checks = [
            (f"reason.low_{k}", df[f"norm_{k}"].to_numpy(float) < df[f"norm_{k}"].median())
            for k in COMPONENTS
        ]
        checks += [
            ("reason.low_roi", roi_w < cfg.roi_alert),
            ("reason.roi_unknown", np.isnan(roi_w)),
            (
                "reason.weak_onboarding",
                df["customer_onboarding_score"].to_numpy(float) < cfg.onboarding_gate,
            ),
        ]
    mask = np.column_stack([m for _, m in checks]) & df["mismatched"].to_numpy(bool)[:, None]
    return flag_names(mask, [name for name, _ in checks])
