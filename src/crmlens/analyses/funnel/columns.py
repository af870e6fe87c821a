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
    "forecast_category",
)
HISTORY_COLUMNS = ("opportunity_id", "created_date", "stage_name")
OPTIONAL_HISTORY_COLUMNS = ("probability", "amount")  # the amount at each change: a dated feature
# only the name: today's account attributes are never model features (a past snapshot could not
# have known them)
ACCOUNT_COLUMNS = ("account_id", "account_name")
USER_COLUMNS = ("owner_id", "name")
