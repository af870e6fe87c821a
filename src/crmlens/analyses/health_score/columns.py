"""The columns the health score reads — one list for the spec (what validation requires and what
it reads when present) and the engine stage.  Light on purpose: the unit's ``__init__`` imports
it."""

from __future__ import annotations

ACCOUNT_COLUMNS = (  # required: identity and the risk-matrix axes
    "account_id",
    "account_name",
    "industry_normalized",
    "company_size_category",
)
INPUT_COLUMNS = (  # the preset's inputs, read when present (an absent one is reported)
    "days_since_last_activity",
    "total_activities_30d",
    "total_contacts",
    "contacts_with_email",
    "annual_revenue",
    "total_won_amount",
    "account_size_segment",
    "number_of_employees",
    "current_pipeline_amount",
)
OWNER_COLUMNS = ("owner_id", "account_owner_name")
