"""The columns ROI decay reads — one list for the spec and the engine stage."""

from __future__ import annotations

CAMPAIGN_COLUMNS = ("campaign_id", "type", "start_date", "actual_cost")
OPTIONAL_CAMPAIGN_COLUMNS = ("name", "end_date", "is_targeted")
OPPORTUNITY_COLUMNS = ("opportunity_id", "campaign_id", "amount", "is_won", "close_date")
SPEND_COLUMNS = ("campaign_id", "month", "spend")
