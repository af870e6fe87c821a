"""Step 6: data utilisation (seed 004's "28% of customer data used"): which customer attributes
the source has, how complete each is (share of accounts with a value), which ones the
segmentation uses (RFM, clustering) and what each adds (RFM: it defines the segments; a
clustering feature: 1 − ARI between the clusters with and without it)."""

from __future__ import annotations

import pandas as pd

from crmlens.analyses.engine import to_frame
from crmlens.analyses.spec import RunContext
from crmlens.schema.contracts import ACCOUNTS
from crmlens.schema.typed import read_table

RFM_SOURCES = ("recency_days", "frequency", "monetary")
IDENTITY = ("account_id", "account_name")


def completeness(ctx: RunContext) -> pd.Series:
    """Share of accounts with a value, per account column of the contract present."""
    if not ctx.data.has_table(ACCOUNTS.name):
        return pd.Series(dtype="float64")
    accounts = read_table(ctx.data, ACCOUNTS)
    present = [c for c in ACCOUNTS.column_names if c in accounts.columns and c not in IDENTITY]
    if not present:
        return pd.Series(dtype="float64")
    counts = to_frame(
        accounts.aggregate(_rows=accounts.count(), **{c: accounts[c].count() for c in present})
    ).iloc[0]
    rows = max(int(counts["_rows"]), 1)
    return pd.Series({c: int(counts[c]) / rows for c in present}, dtype="float64")


def table(
    account_completeness: pd.Series,
    customers: pd.DataFrame,
    features: list[str],
    influence: dict[str, float],
) -> pd.DataFrame:
    rows = []
    for name, share in account_completeness.items():
        rows.append(_row(name, "accounts", share, features, influence))
    for name in ("recency_days", "frequency", "monetary", "cases", "contacts", "owner_accounts"):
        if name in customers.columns:
            share = float(customers[name].notna().mean()) if len(customers) else 0.0
            rows.append(_row(name, "derived", share, features, influence))
    out = pd.DataFrame(rows)
    return out.sort_values(["used", "gain"], ascending=[False, False], kind="stable").reset_index(
        drop=True
    )


def _row(name, origin, share, features, influence) -> dict:
    feature = "churn_risk" if name == "churn_risk_level" else name
    rfm = feature in RFM_SOURCES
    used = rfm or feature in features
    return {
        "attribute": name,
        "origin": origin,
        "completeness": share,
        "used": used,
        "use": "rfm" if rfm else ("clustering" if used else "unused"),
        "gain": influence.get(feature, float("nan")),
    }
