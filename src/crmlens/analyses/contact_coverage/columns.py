"""The columns contact coverage reads — one list used by the spec (what validation requires), the
engine stage and the bench floors.  Light on purpose: the unit's ``__init__`` imports it."""

from __future__ import annotations

ACCOUNT_COLUMNS = (
    "account_id",
    "account_name",
    "annual_revenue",
    "number_of_employees",
    "industry_normalized",
    "company_size_category",
)
OPTIONAL_ACCOUNT_COLUMNS = ("account_owner_name", "owner_id")  # read when present
CONTACT_COLUMNS = ("contact_id", "account_id", "title", "department", "is_deleted")
OPPORTUNITY_COLUMNS = ("account_id", "is_won", "is_closed", "type", "close_date")  # optional table
