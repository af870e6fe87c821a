"""Health-score result tables: the risk matrix, what low-health accounts share, the 6-month
revenue outlook and the score distribution."""

from __future__ import annotations

import numpy as np
import pandas as pd

from crmlens.analyses.health_score.config import HealthScoreConfig
from crmlens.analyses.toolkit import labels, tier_levels
from crmlens.stats.basic import rate

MATRIX_LEVELS = ("stable", "watch", "elevated", "high")  # by low-health share, ascending
LOW = "low"
PROFILE_INPUTS = (
    "days_since_last_activity",
    "cases_window",
    "complaints_window",
    "nps_mean",
    "revenue_t12",
    "revenue_p12",
    "total_activities_30d",
    "total_contacts",
    "email_share",
    "annual_revenue",
    "total_won_amount",
    "number_of_employees",
)


def risk_matrix(df: pd.DataFrame, cfg: HealthScoreConfig) -> pd.DataFrame:
    """Industry × size: accounts, low-health count and share, and the cell's level (share ≥ the
    configured cut-offs), sorted by level (worst first), then low-health count, then names."""
    keys = ["industry_normalized", "company_size_category"]
    x = df[keys].astype("string").fillna("Unknown")
    x["low"] = df["tier"].to_numpy() == LOW
    g = x.groupby(keys, sort=True)
    out = g.size().rename("accounts").to_frame().join(g["low"].sum().rename("low_health"))
    out = out.reset_index()
    out["low_health"] = out["low_health"].astype("int64")
    out["low_health_share"] = out["low_health"] / out["accounts"]
    cuts = [cfg.matrix_levels["watch"], cfg.matrix_levels["elevated"], cfg.matrix_levels["high"]]
    level = tier_levels(out["low_health_share"].to_numpy(), cuts, 1e-12)
    out["level"] = labels(level, MATRIX_LEVELS).to_numpy()
    out["_level"] = -level
    out = out.sort_values(
        ["_level", "low_health", *keys], ascending=[True, False, True, True], kind="stable"
    )
    return out.drop(columns="_level").reset_index(drop=True)


def low_health_profile(df: pd.DataFrame, components: tuple[str, ...]) -> pd.DataFrame:
    """Mean of each sub-score and raw input for low-health accounts vs. the rest (NULLs left out
    of each mean, and the count of known values shown)."""
    low = df["tier"].to_numpy() == LOW
    rows = []
    features = [*(f"sub_{c}" for c in components), *PROFILE_INPUTS]
    for f in features:
        if f not in df.columns:
            continue
        v = pd.to_numeric(df[f], errors="coerce")
        a, b = v[low], v[~low]
        rows.append(
            {
                "feature": f,
                "low_health_mean": a.mean() if a.notna().any() else np.nan,
                "others_mean": b.mean() if b.notna().any() else np.nan,
                "low_health_known": int(a.notna().sum()),
                "others_known": int(b.notna().sum()),
            }
        )
    out = pd.DataFrame(rows)
    out["difference"] = out["low_health_mean"] - out["others_mean"]
    return out


def variance_shares(df: pd.DataFrame, components: tuple[str, ...]) -> pd.DataFrame:
    """Each component's share of the score variance: cov(points_c, S) / var(S) with S the sum of
    the points (the shares add up to 1; NaN when every account has the same score)."""
    points = df[[f"points_{c}" for c in components]].to_numpy(dtype="float64")
    total = points.sum(axis=1)
    var = total.var()
    shares = (
        [((p - p.mean()) * (total - total.mean())).mean() / var for p in points.T]
        if var > 0
        else [np.nan] * len(components)
    )
    return pd.DataFrame(
        {
            "component": list(components),
            "mean_points": points.mean(axis=0),
            "variance_share": shares,
        }
    )


def outlook(df: pd.DataFrame, cfg: HealthScoreConfig) -> pd.DataFrame:
    """6-month revenue outlook per account: (w_won·won + w_pipe·open pipeline) × health/100 (a NULL
    amount counts 0, never more), with its quartile (Q4 = the largest quarter of accounts, ranked
    by outlook then account id)."""
    won = _column(df, "total_won_amount").fillna(0.0)
    pipe = _column(df, "current_pipeline_amount").fillna(0.0)
    value = (cfg.outlook_won_weight * won + cfg.outlook_pipeline_weight * pipe) * (
        df["health_score"] / 100.0
    )
    order = np.lexsort((df["account_id"].astype(str).to_numpy(), -value.to_numpy()))
    rank = np.empty(len(df), dtype="int64")
    rank[order] = np.arange(len(df))
    quartile = 4 - (rank * 4 // max(len(df), 1))  # first quarter of the ranking → Q4
    return pd.DataFrame(
        {
            "account_id": df["account_id"].to_numpy(),
            "outlook": value.to_numpy(),
            "quartile": quartile,
        }
    )


def outlook_by_quartile(out: pd.DataFrame) -> pd.DataFrame:
    total = float(out["outlook"].sum())
    g = out.groupby("quartile")["outlook"].agg(["size", "sum"]).reindex([4, 3, 2, 1], fill_value=0)
    return pd.DataFrame(
        {
            "quartile": [f"Q{q}" for q in g.index],
            "accounts": g["size"].astype("int64").to_numpy(),
            "outlook": g["sum"].to_numpy(dtype="float64"),
            "outlook_share": [rate(v, total) for v in g["sum"]],
        }
    )


def score_distribution(df: pd.DataFrame) -> pd.DataFrame:
    """Accounts per 10-point score band and tier."""
    band = np.minimum(df["health_score"].to_numpy() // 10, 9).astype("int64") * 10
    x = pd.DataFrame({"band": band, "tier": df["tier"].to_numpy()})
    return x.groupby(["band", "tier"]).size().rename("accounts").reset_index()


def _column(df: pd.DataFrame, name: str) -> pd.Series:
    """A numeric column, all NULL when the data does not have it."""
    if name not in df.columns:
        return pd.Series(np.nan, index=df.index, dtype="float64")
    return pd.to_numeric(df[name], errors="coerce").astype("float64")


def email_share(df: pd.DataFrame) -> pd.Series:
    contacts = _column(df, "total_contacts")
    return (_column(df, "contacts_with_email") / contacts.where(contacts > 0)).clip(0, 1)
