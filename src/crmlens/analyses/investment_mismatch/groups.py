"""Step 4 of investment mismatch: where the mismatch sits — industry × size groups (relative risk
against the rest of the top-priority cohort, 95% CI by the log method), the ROI histogram and the
sample the quadrant chart draws (lifecycle stages: ``stages``)."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd

from crmlens.analyses.investment_mismatch.base_table import COMPONENTS
from crmlens.analyses.investment_mismatch.composite import component_gaps, decompose
from crmlens.analyses.investment_mismatch.config import InvestmentMismatchConfig
from crmlens.analyses.toolkit import top_n
from crmlens.stats.inference import rr_ci

GROUP_KEYS = ["industry_vertical", "company_size_tier"]


def groups(top: pd.DataFrame, cfg: InvestmentMismatchConfig) -> pd.DataFrame:
    """Per industry × size group of the top-priority cohort (groups of ``min_group_size`` or
    more): mismatch rate, relative risk, component gaps and their shares; highest risk first."""
    rows = []
    n_all, m_all = len(top), int(top["mismatched"].sum())
    w = cfg.weights.model_dump()
    for (ind, size), g in top.groupby(GROUP_KEYS, sort=True):
        if len(g) < cfg.min_group_size:
            continue
        a, n1 = int(g["mismatched"].sum()), len(g)
        rr, lo, hi = rr_ci(a, n1, m_all - a, n_all - n1)
        split = 0 < a < n1
        gaps = component_gaps(g) if split else {k: math.nan for k in COMPONENTS}
        shares = decompose(gaps, w) if split else {k: math.nan for k in COMPONENTS}
        rows.append(
            {
                "industry_vertical": ind,
                "company_size_tier": size,
                "top_customers": n1,
                "mismatched": a,
                "mismatch_rate": a / n1,
                "rr": rr,
                "rr_low": lo,
                "rr_high": hi,
                **{f"gap_{k}": v for k, v in gaps.items()},
                **{f"share_{k}": v for k, v in shares.items()},
            }
        )
    cols = [
        *GROUP_KEYS,
        "top_customers",
        "mismatched",
        "mismatch_rate",
        "rr",
        "rr_low",
        "rr_high",
        *[f"gap_{k}" for k in COMPONENTS],
        *[f"share_{k}" for k in COMPONENTS],
    ]
    out = pd.DataFrame(rows, columns=cols)
    return top_n(out, None, ["rr", *GROUP_KEYS], [False, True, True])


def roi_histogram(df: pd.DataFrame, bins: int = 30) -> pd.DataFrame:
    r = df["roi_w"].dropna()
    if r.empty:
        return pd.DataFrame(columns=["bin_start", "bin_end", "mismatched", "customers"])
    edges = np.linspace(r.min(), r.max(), bins + 1)
    rows = []
    for flag in (True, False):
        counts, _ = np.histogram(df.loc[df["mismatched"] == flag, "roi_w"].dropna(), bins=edges)
        rows += [
            {
                "bin_start": edges[i],
                "bin_end": edges[i + 1],
                "mismatched": flag,
                "customers": int(c),
            }
            for i, c in enumerate(counts)
        ]
    return pd.DataFrame(rows)


def quadrant_sample(df: pd.DataFrame, limit: int = 3000) -> pd.DataFrame:
    """Evenly spaced (deterministic) customers for the priority × composite chart."""
    cols = [
        "customer360_id",
        "investment_priority_score",
        "composite",
        "mismatched",
        "top_priority",
        "bottom_composite",
        "customer_onboarding_score",
        "product_adoption_rate",
        "lifecycle_stage",
    ]
    if len(df) > limit:
        df = df.iloc[np.linspace(0, len(df) - 1, limit).round().astype(int)]
    return df[cols].reset_index(drop=True)
