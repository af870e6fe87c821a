"""Investment mismatch's part of the headline-only pandas script ``crmlens bench`` runs against
``crmlens run`` (see :mod:`crmlens.bench_script`): the de-duplicated, e-mail-joined base, the
composite score and the mismatched cohort in plain pandas (``merge``, ``rank``).  Used only for
timing."""

from __future__ import annotations

import duckdb
import pandas as pd

from crmlens.config import CrmlensConfig

VALUE = "customer360__customer_value_analysis"
CUSTOMERS = "customer360__customer"


def _normalised(x: pd.Series, lo: float, hi: float) -> pd.Series:
    low, high = x.quantile(lo), x.quantile(hi)
    clipped = x.clip(low, high)
    span = clipped.max() - clipped.min()
    return (clipped - clipped.min()) / span if span > 0 else pd.Series(0.5, index=x.index)


def headline(con: duckdb.DuckDBPyConnection, cfg: CrmlensConfig) -> dict:
    im = cfg.section("investment_mismatch")
    value = con.execute(f"SELECT * FROM {VALUE}").df()
    customers = con.execute(
        f"SELECT customer360_id, email, total_sales_amount FROM {CUSTOMERS}"
    ).df()
    value["email_key"] = value["primary_email"].str.lower().str.strip()
    value = value.dropna(subset=["email_key"]).sort_values(
        ["email_key", "analysis_timestamp", "primary_email", "investment_priority_score"],
        ascending=[True, False, True, False],
        na_position="last",
    )
    value = value.drop_duplicates("email_key")
    customers["email_key"] = customers["email"].str.lower().str.strip()
    customers = customers.sort_values(["email_key", "customer360_id"]).drop_duplicates("email_key")
    base = value.merge(customers.drop(columns="email"), on="email_key", how="left")
    components = {
        "sales": "total_sales_amount",
        "adoption": "product_adoption_rate",
        "support": "support_resolution_efficiency",
    }
    need = ["customer360_id", "investment_priority_score", *components.values()]
    base = base.dropna(subset=need)
    weights = im.weights.model_dump()
    composite = sum(
        weights[name] * _normalised(base[col].astype(float), im.winsor_low, im.winsor_high)
        for name, col in components.items()
    )
    top = base["investment_priority_score"].rank(method="max", pct=True) >= (
        1 - im.priority_top_share - 1e-12
    )
    bottom = composite.rank(method="max", pct=True) <= im.composite_bottom_share + 1e-12
    mismatched = int((top & bottom).sum())
    return {
        "base_customers": len(base),
        "top_priority": int(top.sum()),
        "mismatched": mismatched,
        "mismatch_rate_in_top": mismatched / max(int(top.sum()), 1),
    }
