"""Marketing spend per acquisition channel in T12 and P12 (engine-side).

With ``marketing__campaign_spend`` a month counts in the window holding its first day.  Without
it a campaign's ``actual_cost`` is spread evenly over its days (start to end, or to the window end
while it runs) and each window gets the share of days it overlaps.  A campaign type maps to a
channel through ``campaign_channels`` (an unmapped type is its own channel)."""

from __future__ import annotations

import datetime as dt

import ibis
import pandas as pd

from crmlens.analyses.portfolio_review.cards import Context
from crmlens.analyses.portfolio_review.expressions import fetch, in_window


def channel_of(campaign_type, mapping: dict[str, str]):
    if not mapping:
        return campaign_type.fill_null("Unknown")
    return campaign_type.cases(*mapping.items(), else_=campaign_type).fill_null("Unknown")


def _overlap(start, end, low: dt.date, high: dt.date):
    first = ibis.greatest(start, ibis.literal(low))
    last = ibis.least(end, ibis.literal(high))
    return ibis.greatest(last.delta(first, unit="day") + 1, 0)


def channel_spend(ctx: Context) -> pd.DataFrame | None:
    w, inputs = ctx.windows, ctx.inputs
    mapping = ctx.cfg.campaign_channels
    if inputs.spend is not None and "type" in inputs.spend.columns:
        s = inputs.spend
        expr = s.group_by(channel=channel_of(s.type, mapping)).aggregate(
            spend_t12=s.spend.sum(where=in_window(s.month, w.t12_start, w.end)),
            spend_p12=s.spend.sum(where=in_window(s.month, w.p12_start, w.p12_end)),
        )
        return fetch(expr).fillna({"spend_t12": 0.0, "spend_p12": 0.0})
    c = inputs.campaigns
    if c is None:
        return None
    running = c.filter(c.start_date.notnull() & (c.start_date <= ibis.literal(w.end)))
    end = running.end_date.fill_null(ibis.literal(w.end))
    end = ibis.least(end, ibis.literal(w.end))
    days = ibis.greatest(end.delta(running.start_date, unit="day") + 1, 1).cast("float64")
    cost = running.actual_cost.fill_null(0.0)
    t12 = _overlap(running.start_date, end, w.t12_start, w.end).cast("float64")
    p12 = _overlap(running.start_date, end, w.p12_start, w.p12_end).cast("float64")
    expr = running.group_by(channel=channel_of(running.type, mapping)).aggregate(
        spend_t12=(cost * t12 / days).sum(), spend_p12=(cost * p12 / days).sum()
    )
    return fetch(expr).fillna({"spend_t12": 0.0, "spend_p12": 0.0})
