"""The engine stage: campaigns, attributed won revenue per (campaign, close month) and, when the
table exists, spend per (campaign, month).  Python receives one row per campaign and these
aggregates only."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import ibis
import ibis.expr.types as ir
import pandas as pd

from crmlens.analyses.engine import as_bool, cents, to_frame
from crmlens.analyses.roi_decay.columns import (
    CAMPAIGN_COLUMNS,
    OPTIONAL_CAMPAIGN_COLUMNS,
    SPEND_COLUMNS,
)
from crmlens.analyses.spec import RunContext
from crmlens.errors import AnalysisError
from crmlens.schema.contracts import CAMPAIGN_SPEND, CAMPAIGNS, OPPORTUNITIES
from crmlens.schema.typed import read_table


@dataclass(frozen=True)
class Inputs:
    campaigns: pd.DataFrame  # campaign_id, type, start_date, end_date, actual_cost, is_targeted
    revenue: pd.DataFrame  # campaign_id, month (first day), revenue, deals
    spend: pd.DataFrame | None  # campaign_id, month, spend — None without the spend table


def month_start(col):
    return col.cast("date").truncate("M")


def _typed(camp: ir.Table, column: str) -> ir.Value:
    """The contract's type whatever the source stored (SQLite: dates as timestamps or text,
    flags as 0/1), so every source gives the same campaigns table; a NULL flag stays NULL."""
    value = camp[column]
    if column in ("start_date", "end_date"):
        return value.cast("date").name(column)
    if column == "is_targeted" and not value.type().is_boolean():
        return (value.cast("int64") != 0).name(column)
    return value


def read_inputs(ctx: RunContext, end: dt.date) -> Inputs:
    """Campaigns and the revenue and spend dated on or before ``end``."""
    camp = read_table(ctx.data, CAMPAIGNS)
    cols = [*CAMPAIGN_COLUMNS, *(c for c in OPTIONAL_CAMPAIGN_COLUMNS if c in camp.columns)]
    campaigns = to_frame(camp.select(*(_typed(camp, c) for c in cols)).order_by("campaign_id"))
    if not len(campaigns):
        raise AnalysisError("error.roi_no_campaigns", table=CAMPAIGNS.name)
    opp = read_table(ctx.data, OPPORTUNITIES)
    as_of = ibis.literal(end, type="date")
    won = opp.filter(
        as_bool(opp.is_won)
        & opp.campaign_id.notnull()
        & opp.close_date.notnull()
        & (opp.close_date.cast("date") <= as_of)
    )
    revenue = to_frame(
        won.group_by(campaign_id=won.campaign_id, month=month_start(won.close_date))
        .aggregate(revenue=won.amount.sum(), deals=won.count())
        .order_by(["campaign_id", "month"])
    )
    spend = None
    if ctx.data.has_table(CAMPAIGN_SPEND.name):
        sp = read_table(ctx.data, CAMPAIGN_SPEND)
        if all(c in sp.columns for c in SPEND_COLUMNS):
            sp = sp.filter(sp.month.notnull() & (sp.month.cast("date") <= as_of))
            spend = to_frame(
                sp.group_by(campaign_id=sp.campaign_id, month=month_start(sp.month))
                .aggregate(spend=sp.spend.sum())
                .order_by(["campaign_id", "month"])
            )
    cents(revenue, "revenue")
    if spend is not None:
        cents(spend, "spend")
    return Inputs(campaigns, _dates(revenue), None if spend is None else _dates(spend))


def _dates(df: pd.DataFrame) -> pd.DataFrame:
    df = df.copy()
    df["month"] = pd.to_datetime(df["month"]).dt.date
    return df


def month_index(d: dt.date) -> int:
    return d.year * 12 + d.month - 1
