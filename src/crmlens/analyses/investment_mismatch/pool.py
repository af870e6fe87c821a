"""Like with like: the behaviour analyses inside the top-priority pool, mismatched against
matched top-priority customers, with the customers of every cell; all customers only as context.

Cohorts (column ``cohort``): ``mismatched`` and ``top_matched`` (top priority, not in the bottom
composite), then the context rows ``top_pool`` (both) and ``all`` (every customer analysed)."""

from __future__ import annotations

import numpy as np
import pandas as pd

from crmlens.analyses.investment_mismatch.behaviour import bucket_labels
from crmlens.analyses.investment_mismatch.config import InvestmentMismatchConfig
from crmlens.stats.inference import pearson

COHORTS = ("mismatched", "top_matched")
MEANS = {  # output column → customer column
    "mean_adoption": "product_adoption_rate",
    "mean_support": "support_resolution_efficiency",
    "mean_sales": "total_sales_amount",
    "mean_onboarding": "customer_onboarding_score",
    "mean_team_size": "team_size",
    "mean_roi": "roi_w",
}
CELL_MEANS = ("mean_adoption", "mean_support", "mean_roi")


def cohort_of(top: pd.DataFrame) -> pd.Series:
    """``mismatched`` or ``top_matched`` for each top-priority customer."""
    return pd.Series(np.where(top["mismatched"], *COHORTS), index=top.index, name="cohort")


def _frames(df: pd.DataFrame) -> dict[str, pd.DataFrame]:
    top = df[df["top_priority"]]
    return {
        "mismatched": top[top["mismatched"]],
        "top_matched": top[~top["mismatched"]],
        "top_pool": top,
        "all": df,
    }


def _means(frame: pd.DataFrame, columns: tuple[str, ...]) -> dict:
    return {out: float(frame[MEANS[out]].astype(float).mean()) for out in columns}


def cohort_means(df: pd.DataFrame) -> pd.DataFrame:
    """Customers and mean adoption, support, sales, onboarding, team size and ROI per cohort."""
    rows = [
        {"cohort": name, "customers": len(f), **_means(f, tuple(MEANS))}
        for name, f in _frames(df).items()
    ]
    return pd.DataFrame(rows)


def cells(top: pd.DataFrame, keys: dict[str, pd.Series]) -> pd.DataFrame:
    """Per combination of ``keys`` × cohort (every combination, empty ones with 0 customers):
    customers, mean adoption, support and ROI, and the within-pool mismatch rate of the key
    combination (mismatched ÷ top-priority customers there)."""
    cohort = pd.Categorical(cohort_of(top), categories=list(COHORTS))
    by = [*keys.values(), pd.Series(cohort, index=top.index, name="cohort")]
    g = top.groupby(by, observed=False)
    out = pd.DataFrame(
        {"customers": g.size(), **{c: g[MEANS[c]].mean() for c in CELL_MEANS}}
    ).reset_index()
    out = out.rename(columns={s.name: name for name, s in keys.items()})
    n = out.groupby(list(keys), observed=False)["customers"].transform("sum")
    mism = out["customers"].where(out["cohort"] == "mismatched", 0)
    mism = mism.groupby([out[k] for k in keys], observed=False).transform("sum")
    out["mismatch_rate_in_top"] = np.where(n > 0, mism / n.where(n > 0, 1), np.nan)
    out["cohort"] = out["cohort"].astype(str)
    return out


def onboarding_cells(top: pd.DataFrame, cfg: InvestmentMismatchConfig) -> pd.DataFrame:
    edges = [-np.inf, *cfg.onboarding_buckets, np.inf]
    labels = bucket_labels(cfg.onboarding_buckets)
    bucket = pd.cut(top["customer_onboarding_score"], edges, right=False, labels=labels)
    return cells(top, {"onboarding": bucket.rename("onboarding")})


def team_decision_cells(top: pd.DataFrame, cfg: InvestmentMismatchConfig) -> pd.DataFrame:
    edges = [-np.inf, *cfg.team_size_buckets, np.inf]
    labels = bucket_labels(cfg.team_size_buckets)
    team = pd.cut(top["team_size"], edges, right=False, labels=labels).rename("team_size_bucket")
    executive = top["decision_maker_level"].isin(cfg.executive_levels).rename("executive")
    return cells(top, {"team_size_bucket": team, "executive": executive})


def onboarding_adoption(df: pd.DataFrame) -> pd.DataFrame:
    """Pearson r, t and p of onboarding ↔ adoption per cohort (and the context rows)."""
    rows = []
    for name, f in _frames(df).items():
        c = pearson(f["customer_onboarding_score"], f["product_adoption_rate"])
        rows.append({"cohort": name, "n": c.n, "r": c.r, "t": c.t, "p": c.p})
    return pd.DataFrame(rows)


def pool(df: pd.DataFrame, cfg: InvestmentMismatchConfig) -> dict[str, pd.DataFrame]:
    top = df[df["top_priority"]]
    return {
        "pool_means": cohort_means(df),
        "pool_onboarding_buckets": onboarding_cells(top, cfg),
        "pool_team_decision": team_decision_cells(top, cfg),
        "pool_onboarding_adoption": onboarding_adoption(df),
    }
