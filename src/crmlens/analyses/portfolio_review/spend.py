"""Marketing spend per acquisition channel in T12 and P12 (engine-side).

A campaign with rows in ``marketing__campaign_spend`` counts each month in the window holding its
first day.  A campaign without such rows (or without the table) has its ``actual_cost`` spread
evenly over its days (start to end, or to the window end while it runs) and each window gets the
share of days it overlaps — so no campaign's spend is left out.  A campaign type maps to a
channel through ``campaign_channels`` (an unmapped type is its own channel)."""

from __future__ import annotations

import datetime as dt

import ibis
import pandas as pd

from crmlens.analyses.engine import cents
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
    mapping = ctx.cfg.campaign_channels
    parts = _parts(ctx, lambda t: {"channel": channel_of(t.type, mapping)})
    if not parts:
        return None
    frames = [fetch(p).fillna({"spend_t12": 0.0, "spend_p12": 0.0}) for p in parts]
    both = pd.concat(frames, ignore_index=True)
    totals = both.groupby("channel", as_index=False)[["spend_t12", "spend_p12"]].sum()
    return cents(totals, "spend_t12", "spend_p12")


def campaign_spend(ctx: Context):
    """Per campaign id its T12 and P12 spend (an engine table; None without spend data)."""
    parts = _parts(ctx, lambda t: {"campaign_id": t.campaign_id})
    if not parts:
        return None
    return parts[0] if len(parts) == 1 else ibis.union(*parts, distinct=False)


def _parts(ctx: Context, key):
    """The spend of the monthly rows and of the spread campaigns, grouped by ``key(table)``."""
    w, inputs = ctx.windows, ctx.inputs
    parts = []
    c = inputs.campaigns
    s = inputs.spend if inputs.spend is not None and "type" in inputs.spend.columns else None
    if s is not None:
        parts.append(
            s.group_by(**key(s)).aggregate(
                spend_t12=s.spend.sum(where=in_window(s.month, w.t12_start, w.end)),
                spend_p12=s.spend.sum(where=in_window(s.month, w.p12_start, w.p12_end)),
            )
        )
    if c is not None:
        spread = c.anti_join(s, "campaign_id") if s is not None else c
        parts.append(_spread(spread, w, key))
    return parts


def _spread(c, w, key):
    running = c.filter(c.start_date.notnull() & (c.start_date <= ibis.literal(w.end)))
    end = running.end_date.fill_null(ibis.literal(w.end))
    end = ibis.least(end, ibis.literal(w.end))
    days = ibis.greatest(end.delta(running.start_date, unit="day") + 1, 1).cast("float64")
    cost = running.actual_cost.fill_null(0.0)
    t12 = _overlap(running.start_date, end, w.t12_start, w.end).cast("float64")
    p12 = _overlap(running.start_date, end, w.p12_start, w.p12_end).cast("float64")
    return running.group_by(**key(running)).aggregate(
        spend_t12=(cost * t12 / days).sum(), spend_p12=(cost * p12 / days).sum()
    )
