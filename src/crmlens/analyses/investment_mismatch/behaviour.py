"""Steps 5–6 of investment mismatch: behaviour (onboarding → adoption, team size and decision
level → ROI) and the bias of the current priority model (correlations, terciles, feature
alignment)."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd

from crmlens.analyses.investment_mismatch.config import InvestmentMismatchConfig
from crmlens.analyses.investment_mismatch.groups import GROUP_KEYS
from crmlens.stats.inference import pearson

CATEGORY_FEATURES = (
    "industry_vertical",
    "company_size_tier",
    "lifecycle_stage",
    "decision_maker_level",
)


def bucket_labels(edges: list[float]) -> list[str]:
    """Labels of the buckets cut at ``edges`` (lower bound included): <a, a–b, …, ≥z."""

    def fmt(v: float) -> str:
        return f"{v:g}"

    return (
        [f"<{fmt(edges[0])}"]
        + [f"{fmt(a)}–{fmt(b)}" for a, b in zip(edges, edges[1:])]
        + [f"≥{fmt(edges[-1])}"]
    )


def behaviour(df: pd.DataFrame, cfg: InvestmentMismatchConfig) -> dict:
    corr_rows = []
    for (ind, size), g in df.groupby(GROUP_KEYS, sort=True):
        if len(g) < cfg.min_group_size:
            continue
        c = pearson(g["customer_onboarding_score"], g["product_adoption_rate"])
        corr_rows.append(
            {
                "industry_vertical": ind,
                "company_size_tier": size,
                "n": c.n,
                "r": c.r,
                "t": c.t,
                "p": c.p,
            }
        )
    overall = pearson(df["customer_onboarding_score"], df["product_adoption_rate"])
    edges = [-np.inf, *cfg.onboarding_buckets, np.inf]
    labels = bucket_labels(cfg.onboarding_buckets)
    ob = pd.cut(df["customer_onboarding_score"], edges, right=False, labels=labels)
    g = df.groupby(ob, observed=False)
    buckets = pd.DataFrame(
        {
            "customers": g.size(),
            "mean_adoption": g["product_adoption_rate"].mean(),
            "mean_roi": g["roi_w"].mean(),
            "share_mismatched": g["mismatched"].mean(),
        }
    ).reset_index(names="onboarding")
    tedges = [-np.inf, *cfg.team_size_buckets, np.inf]
    tb = pd.cut(df["team_size"], tedges, right=False, labels=bucket_labels(cfg.team_size_buckets))
    execu = df["decision_maker_level"].isin(cfg.executive_levels)
    g2 = df.groupby([tb, execu.rename("executive")], observed=False)
    team = pd.DataFrame({"customers": g2.size(), "mean_roi": g2["roi_w"].mean()}).reset_index()
    team = team.rename(columns={"team_size": "team_size_bucket"})
    onboarding = df["customer_onboarding_score"]
    slope, intercept = (
        np.polyfit(onboarding, df["product_adoption_rate"], 1)
        if onboarding.nunique() > 1
        else (math.nan, math.nan)
    )
    xs = [float(onboarding.min()), float(onboarding.max())]
    fit = pd.DataFrame({"onboarding": xs, "adoption": [intercept + slope * x for x in xs]})
    corr_columns = [*GROUP_KEYS, "n", "r", "t", "p"]
    return {
        "corr_by_group": pd.DataFrame(corr_rows, columns=corr_columns),
        "overall": overall,
        "onboarding_buckets": buckets,
        "team_decision": team,
        "fit": fit,
        "team_roi": pearson(df["team_size"].astype(float), df["roi_w"]),
        "slope": float(slope),
    }


def bias(df: pd.DataFrame) -> dict:
    priority = df["investment_priority_score"]
    pc = pearson(priority, df["composite"])
    pr = pearson(priority, df["roi_w"])
    terc = pd.qcut(priority.rank(method="first"), 3, labels=["low", "mid", "high"])
    g = df.groupby(terc, observed=False)
    terciles = pd.DataFrame(
        {
            "customers": g.size(),
            "mean_priority": g["investment_priority_score"].mean(),
            "mean_composite": g["composite"].mean(),
            "mean_roi": g["roi_w"].mean(),
        }
    ).reset_index(names="priority_tercile")
    monotone = bool(terciles["mean_composite"].is_monotonic_increasing)
    feats = {
        "customer_onboarding_score": df["customer_onboarding_score"],
        "team_size": df["team_size"].astype(float),
        "acquisition_cost": df["acquisition_cost"].astype(float),
    }
    for col in CATEGORY_FEATURES:
        for v in sorted(df[col].dropna().unique()):
            feats[f"{col}={v}"] = (df[col] == v).astype(float)
    rows = []
    for name, x in feats.items():
        a, b = pearson(x, priority), pearson(x, df["composite"])
        misaligned = bool(np.sign(a.r) != np.sign(b.r) and abs(a.r) >= 0.02 and abs(b.r) >= 0.02)
        rows.append(
            {
                "feature": name,
                "corr_priority": a.r,
                "corr_composite": b.r,
                "alignment": a.r * b.r,
                "misaligned": misaligned,
            }
        )
    align = pd.DataFrame(rows).sort_values(["alignment", "feature"], kind="stable")
    return {
        "priority_composite": pc,
        "priority_roi": pr,
        "terciles": terciles,
        "monotone": monotone,
        "alignment": align.reset_index(drop=True),
    }


def association(x: pd.Series, y: pd.Series) -> float:
    """Strength of the link between a feature and a score, comparable across kinds: |Pearson r|
    for a number, the correlation ratio η = √(SS_between / SS_total) for a category."""
    if pd.api.types.is_numeric_dtype(x):
        return abs(pearson(x.astype(float), y).r)
    codes, _ = pd.factorize(x)  # integer codes (−1: missing) instead of a group-by on text
    values = y.to_numpy(float)
    keep = (codes >= 0) & ~np.isnan(values)
    codes, values = codes[keep], values[keep]
    total = float(((values - values.mean()) ** 2).sum()) if len(values) else 0.0
    if total == 0 or len(np.unique(codes)) < 2:
        return math.nan
    counts = np.bincount(codes)
    sums = np.bincount(codes, weights=values)
    seen = counts > 0
    means = sums[seen] / counts[seen]
    between = float((counts[seen] * (means - values.mean()) ** 2).sum())
    return math.sqrt(between / total)


def feature_roles(df: pd.DataFrame, cfg: InvestmentMismatchConfig) -> pd.DataFrame:
    """Per feature known at investment time: its association with the current priority and with
    performance (composite), and what the priority does with it — ``bias.follows`` (association
    with priority ≥ ``bias_follows``), ``bias.ignores_predictive`` (below ``bias_ignores`` with
    priority but ≥ ``bias_follows`` with performance), ``bias.ignores`` (below ``bias_ignores``)
    or ``bias.weak`` (in between).  Strongest link with performance first."""
    rows = []
    for feature in dict.fromkeys([*cfg.model.features, "acquisition_cost"]):
        if feature not in df.columns:
            continue
        prio = association(df[feature], df["investment_priority_score"])
        perf = association(df[feature], df["composite"])
        rows.append(
            {
                "feature": feature,
                "assoc_priority": prio,
                "assoc_composite": perf,
                "role": _role(prio, perf, cfg),
            }
        )
    out = pd.DataFrame(rows, columns=["feature", "assoc_priority", "assoc_composite", "role"])
    out = out.sort_values(["assoc_composite", "feature"], ascending=[False, True])
    return out.reset_index(drop=True)


def _role(prio: float, perf: float, cfg: InvestmentMismatchConfig) -> str:
    if prio >= cfg.bias_follows:
        return "bias.follows"
    if prio < cfg.bias_ignores or math.isnan(prio):
        return "bias.ignores_predictive" if perf >= cfg.bias_follows else "bias.ignores"
    return "bias.weak"
