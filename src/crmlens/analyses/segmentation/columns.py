"""The columns segmentation reads — one list used by the spec (what validation requires) and the
engine stage.  Light on purpose: the unit's ``__init__`` imports it."""

from __future__ import annotations

# the account table is optional (read when present): a source with deals only still segments
ACCOUNT_COLUMNS = ("account_id", "account_name")
OPPORTUNITY_COLUMNS = ("opportunity_id", "account_id", "amount", "is_won", "close_date")
# read when present: firmographics, engagement and health signals for clustering; the owner for
# the service-load proxy
NUMERIC_ACCOUNT_FEATURES = (
    "annual_revenue",
    "number_of_employees",
    "total_activities_30d",
    "days_since_last_activity",
    "account_age_days",
    "current_pipeline_amount",
)
OPTIONAL_ACCOUNT_COLUMNS = (
    *NUMERIC_ACCOUNT_FEATURES,
    "owner_id",
    "churn_risk_level",
    "industry_normalized",
    "company_size_category",
)
CHURN_RISK_LEVELS = {"Minimal": 0.0, "Low": 1.0, "Medium": 2.0, "High": 3.0}  # Unknown → NULL
CASE_COLUMNS = ("account_id", "created_date")  # optional table: support load
CONTACT_COLUMNS = ("account_id", "is_deleted")  # optional table: contacts per account
# rfm_source: customer360 (read when chosen): the value table's own scores and values
C360_SCORES = ("recency_score", "frequency_score", "monetary_score")
C360_VALUE_COLUMNS = (
    "primary_email",
    *C360_SCORES,
    "customer_lifetime_value",
    "analysis_timestamp",
    "acquisition_cost",
)
