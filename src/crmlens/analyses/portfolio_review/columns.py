"""The columns the portfolio review reads — one list used by the spec (what validation requires)
and by the engine stages.  Light on purpose: the unit's ``__init__`` imports it.

Only what every dimension needs is required (the opportunity id, account, won flag and close
date); everything else is read when present, and a dimension whose inputs are absent is reported
as "not measurable" with the columns it would need.  ``amount`` is optional on purpose: a table
whose amounts are all NULL must still let the other dimensions report."""

from __future__ import annotations

OPPORTUNITY_COLUMNS = ("opportunity_id", "account_id", "is_won", "close_date")
OPTIONAL_OPPORTUNITY_COLUMNS = (
    "amount",
    "is_closed",
    "type",
    "lead_source",
    "competitor",
    "loss_reason",
    "gross_margin",
    "created_date",
    "campaign_id",
)
ACCOUNT_COLUMNS = (
    "account_id",
    "industry_normalized",
    "company_size_category",
    "geographic_region",
    "acquisition_channel",
    "competitor_in_use",
)
CONTACT_COLUMNS = ("account_id", "is_deleted")
CASE_COLUMNS = ("case_id", "account_id", "created_date", "closed_date", "type", "reason")
NPS_COLUMNS = ("response_id", "account_id", "response_date", "score")
CAMPAIGN_COLUMNS = ("campaign_id", "type", "start_date", "end_date", "actual_cost")
SPEND_COLUMNS = ("campaign_id", "month", "spend")
VALUE_COLUMNS = ("customer_lifetime_value", "acquisition_cost", "lifecycle_stage", "customer_tier")
