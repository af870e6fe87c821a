"""The columns the funnel reads — one list for the spec and the engine stage."""

from __future__ import annotations

OPPORTUNITY_COLUMNS = (
    "opportunity_id",
    "account_id",
    "amount",
    "stage_name",
    "is_won",
    "is_closed",
    "created_date",
    "close_date",
)
OPTIONAL_OPPORTUNITY_COLUMNS = (
    "owner_id",
    "probability",
    "type",
    "lead_source",
    "competitor",
    "forecast_category",
)
HISTORY_COLUMNS = ("opportunity_id", "created_date", "stage_name")
OPTIONAL_HISTORY_COLUMNS = ("probability",)
ACCOUNT_COLUMNS = (
    "account_id",
    "account_name",
    "company_size_category",
    "industry_normalized",
    "account_type",
    "churn_risk_level",
    "days_since_last_activity",
    "total_contacts",
    "contacts_with_email",
)
USER_COLUMNS = ("owner_id", "name")
