"""Stage 1: open the tables that exist (each v2 table is optional except opportunities), in one
normalised shape, and fix the window end (the as-of date the windows are relative to)."""

from __future__ import annotations

import datetime as dt

from crmlens.analyses.portfolio_review import columns
from crmlens.analyses.portfolio_review.expressions import Inputs, Windows, normalised, one_row
from crmlens.analyses.spec import RunContext
from crmlens.schema.contracts import (
    ACCOUNTS,
    CAMPAIGN_SPEND,
    CAMPAIGNS,
    CASES,
    CONTACTS,
    CUSTOMER_VALUE,
    NPS_RESPONSES,
    OPPORTUNITIES,
    TableSpec,
)
from crmlens.schema.typed import read_table

TABLES = {  # Inputs attribute → (contract, columns read)
    "deals": (
        OPPORTUNITIES,
        columns.OPPORTUNITY_COLUMNS + columns.OPTIONAL_OPPORTUNITY_COLUMNS,
    ),
    "accounts": (ACCOUNTS, columns.ACCOUNT_COLUMNS),
    "contacts": (CONTACTS, columns.CONTACT_COLUMNS),
    "cases": (CASES, columns.CASE_COLUMNS),
    "nps": (NPS_RESPONSES, columns.NPS_COLUMNS),
    "campaigns": (CAMPAIGNS, columns.CAMPAIGN_COLUMNS),
    "spend": (CAMPAIGN_SPEND, columns.SPEND_COLUMNS),
    "value": (CUSTOMER_VALUE, columns.VALUE_COLUMNS),
}
# columns without which a table is useless (the table then counts as absent)
KEYS = {
    "deals": ("account_id", "is_won", "close_date"),
    "accounts": ("account_id",),
    "contacts": ("account_id",),
    "cases": ("account_id", "created_date"),
    "nps": ("account_id", "response_date", "score"),
    "campaigns": ("type", "start_date", "actual_cost"),
    "spend": ("campaign_id", "month", "spend"),
    "value": ("customer_lifetime_value", "acquisition_cost"),
}


def read_inputs(ctx: RunContext) -> Inputs:
    inputs = Inputs()
    for attribute, (spec, names) in TABLES.items():
        table = _open(ctx, spec)
        if table is None:
            continue
        shaped, present = normalised(table, {c: spec.column(c).type for c in names})
        if not set(KEYS[attribute]) <= present:
            continue
        setattr(inputs, attribute, shaped)
        inputs.present[spec.name] = present
    if inputs.contacts is not None and inputs.has(CONTACTS.name, "is_deleted"):
        inputs.contacts = inputs.contacts.filter(~inputs.contacts.is_deleted)
    if inputs.campaigns is not None and inputs.spend is not None:
        spend = inputs.spend.join(
            inputs.campaigns.select("campaign_id", "type"), "campaign_id", how="left"
        )
        inputs.spend = spend
    return inputs


def _open(ctx: RunContext, spec: TableSpec):
    if not ctx.data.has_table(spec.name):
        return None
    return read_table(ctx.data, spec)


def data_dates(inputs: Inputs, as_of: dt.date) -> dict:
    """The first and the latest deal close date, and the latest closed-deal date on or before
    ``as_of`` (open deals carry expected dates, so only closed or won deals count)."""
    if inputs.deals is None:
        return {}
    deals = inputs.deals
    closed = deals.is_won | deals.is_closed.fill_null(False)
    row = one_row(
        deals.aggregate(
            first=deals.close_date.min(),
            last=deals.close_date.max(where=closed),
            last_by_as_of=deals.close_date.max(where=closed & (deals.close_date <= as_of)),
            deals=deals.count(),
            amounts_known=deals.amount.count(),
        )
    )
    return {k: (None if _missing(v) else v) for k, v in row.items()}


def window_end(cfg, dates: dict, as_of: dt.date) -> dt.date | None:
    """The date T12 ends: the run's as-of, or (``as_of_source: data``) the latest closed-deal date
    on or before it; None when the as-of is before all deal data."""
    if cfg.as_of_source == "run":
        return as_of
    day = dates.get("last_by_as_of")
    return None if day is None else _as_date(day)


def windows(cfg, end: dt.date) -> Windows:
    return Windows(end, cfg.window_days)


def _missing(value) -> bool:
    try:
        return value is None or bool(value != value)
    except (TypeError, ValueError):
        return False


def _as_date(value) -> dt.date:
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, dt.date):
        return value
    return dt.date.fromisoformat(str(value)[:10])
