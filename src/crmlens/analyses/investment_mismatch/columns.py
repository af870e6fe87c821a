"""The columns investment mismatch reads — one list used by the spec (what validation requires)
and the engine expressions.  Light on purpose: the unit's ``__init__`` imports it."""

from __future__ import annotations

VALUE_COLUMNS = (  # besides primary_email, per value row
    "investment_priority_score",
    "product_adoption_rate",
    "support_resolution_efficiency",
    "customer_lifetime_value",
    "acquisition_cost",
    "lifecycle_stage",
    "industry_vertical",
    "company_size_tier",
    "customer_onboarding_score",
    "team_size",
    "decision_maker_level",
)
CUSTOMER_COLUMNS = ("customer360_id", "email", "total_sales_amount")
