"""Investment mismatch by lifecycle stage, with explicit denominators: the stage's customers and
the mismatched share of them (population rate, context), the stage's top-priority pool and the
within-pool mismatch rate, ROI of mismatched against matched top-priority customers; ROI terciles
by stage; the one-way ANOVA of log ROI across stages inside the mismatched cohort."""

from __future__ import annotations

import numpy as np
import pandas as pd

from crmlens.analyses.toolkit import top_n
from crmlens.stats.inference import OneWay, one_way

STAGE = "lifecycle_stage"


def stages(df: pd.DataFrame) -> pd.DataFrame:
    g = df.groupby(STAGE, sort=True)
    top = df[df["top_priority"]]
    mism, matched = top[top["mismatched"]], top[~top["mismatched"]]
    out = pd.DataFrame(
        {
            "customers": g.size(),
            "mismatched": g["mismatched"].sum().astype(int),
            "share_mismatched": g["mismatched"].mean(),
            "mean_roi": g["roi_w"].mean(),
            "median_roi": g["roi_w"].median(),
            "top_customers": top.groupby(STAGE).size(),
        }
    )
    out["top_customers"] = out["top_customers"].fillna(0).astype(int)
    out["mismatch_rate_in_top"] = out["mismatched"] / out["top_customers"].where(
        out["top_customers"] > 0
    )
    for name, cohort in (("mismatched", mism), ("top_matched", matched)):
        roi = cohort.groupby(STAGE)["roi_w"]
        out[f"mean_roi_{name}"] = roi.mean()
        out[f"median_roi_{name}"] = roi.median()
    return out.reset_index()


def worst_stage(stage_table: pd.DataFrame, min_top: int = 1) -> pd.Series | None:
    """The stage with the highest within-pool mismatch rate among stages with at least
    ``min_top`` top-priority customers (ties: by name); None when no stage is that large."""
    large = stage_table[stage_table["top_customers"] >= min_top]
    large = large.dropna(subset=["mismatch_rate_in_top"])
    if large.empty:
        return None
    return top_n(large, 1, ["mismatch_rate_in_top", STAGE], [False, True]).iloc[0]


def roi_terciles(df: pd.DataFrame) -> pd.DataFrame:
    """Customers per stage × ROI tercile (terciles of every customer's ROI), the mismatched and
    matched top-priority customers among them, and the share of the stage's mismatched customers
    that falls in the tercile."""
    columns = [STAGE, "tercile", "customers", "mismatched", "top_matched", "share_of_mismatched"]
    r = df.dropna(subset=["roi_w"])
    if r["roi_w"].nunique() < 3:
        return pd.DataFrame(columns=columns)
    tercile = pd.qcut(r["roi_w"], 3, labels=["low", "mid", "high"]).rename("tercile")
    g = r.groupby([STAGE, tercile], observed=False)
    out = pd.DataFrame(
        {
            "customers": g.size(),
            "mismatched": g["mismatched"].sum().astype(int),
            "top_matched": (r["top_priority"] & ~r["mismatched"])
            .groupby([r[STAGE], tercile], observed=False)
            .sum()
            .astype(int),
        }
    ).reset_index()
    stage_total = out.groupby(STAGE)["mismatched"].transform("sum")
    out["share_of_mismatched"] = out["mismatched"] / stage_total.where(stage_total > 0)
    return out[columns]


def log_roi_anova(df: pd.DataFrame, rows: pd.Series | None = None) -> OneWay:
    """One-way ANOVA of log ROI (raw ROI > 0) across lifecycle stages, on ``rows`` (e.g. the
    mismatched cohort) or every customer; stages with fewer than two values are left out."""
    keep = df["roi"] > 0 if rows is None else rows & (df["roi"] > 0)
    m = df[keep]
    return one_way([np.log(g["roi"].to_numpy(float)) for _, g in m.groupby(STAGE, sort=True)])
