"""Dimension 2, growth and health: new customers per quarter (first won deal), CAC per new
customer by channel and its trend, first-deal win rate, repeat-purchase rate, logo retention,
GRR, NRR, dormant share, lifecycle mix, new-customer share of revenue, and whether growth is
bought (``bought``: campaign spend split into acquisition and retention)."""

from __future__ import annotations

import ibis

from crmlens.analyses.base import Finding
from crmlens.analyses.portfolio_review.bought import growth_bought
from crmlens.analyses.portfolio_review.cards import Card, Context, ratio
from crmlens.analyses.portfolio_review.expressions import (
    fetch,
    in_window,
    last_activity,
    one_row,
    recent_quarters,
)
from crmlens.analyses.portfolio_review.spend import channel_spend
from crmlens.schema.contracts import ACCOUNTS, CAMPAIGNS, CUSTOMER_VALUE, OPPORTUNITIES


def quarter_label(index: int) -> str:
    return f"{index // 4}-Q{index % 4 + 1}"


def retention(ctx: Context) -> dict:
    """One row of sums over the account facts (engine)."""
    f, w = ctx.facts, ctx.windows
    t12, p12 = f.rev_t12, f.rev_p12
    had = p12 > 0
    new_t12 = in_window(f.first_won, w.t12_start, w.end).fill_null(False)
    new_p12 = in_window(f.first_won, w.p12_start, w.p12_end).fill_null(False)
    first_t12 = in_window(f.first_closed, w.t12_start, w.end).fill_null(False)
    first_p12 = in_window(f.first_closed, w.p12_start, w.p12_end).fill_null(False)
    first_won = (f.first_won == f.first_closed).fill_null(False)
    count = lambda cond: cond.cast("int64").sum()  # noqa: E731
    return one_row(
        f.aggregate(
            customers=count(t12 > 0),
            customers_p12=count(had),
            retained=count(had & (t12 > 0)),
            repeat=count((t12 > 0) & (f.won_t12 >= 2)),
            p12_revenue=p12.sum(where=had),
            t12_of_p12=t12.sum(where=had),
            kept_of_p12=ibis.least(t12, p12).sum(where=had),
            churned=count(had & (t12 <= 0)),
            churned_revenue=p12.sum(where=had & (t12 <= 0)),
            new_t12=count(new_t12),
            new_p12=count(new_p12),
            new_revenue=t12.sum(where=new_t12),
            first_deals_t12=count(first_t12),
            first_won_t12=count(first_t12 & first_won),
            first_deals_p12=count(first_p12),
            first_won_p12=count(first_p12 & first_won),
            null_won_t12=f.null_won_t12.sum(),
        )
    )


def new_by_quarter(ctx: Context):
    f, w = ctx.facts, ctx.windows
    recent = recent_quarters(f, "first_won", w.end, ctx.cfg.quarters)
    frame = fetch(recent.group_by("q").aggregate(new=recent.count()))
    frame = frame.sort_values("q")
    frame["quarter"] = frame["q"].map(quarter_label)
    return frame[["quarter", "new"]].rename(columns={"new": "new_customers"})


def cac_by_channel(ctx: Context, card: Card):
    """New customers by acquisition channel in T12 and P12 with the channel's spend: CAC."""
    f, w = ctx.facts, ctx.windows
    channel = f.acquisition_channel
    new_t12 = in_window(f.first_won, w.t12_start, w.end).fill_null(False)
    new_p12 = in_window(f.first_won, w.p12_start, w.p12_end).fill_null(False)
    frame = fetch(
        f.group_by(channel=channel).aggregate(
            new_t12=new_t12.cast("int64").sum(), new_p12=new_p12.cast("int64").sum()
        )
    )
    spend = channel_spend(ctx)
    if spend is None:
        card.missing(f"{CAMPAIGNS.name}.type, start_date, actual_cost")
        return frame.assign(spend_t12=None, cac_t12=None, cac_p12=None)
    frame = frame.merge(spend, on="channel", how="outer").fillna(
        {"new_t12": 0, "new_p12": 0, "spend_t12": 0.0, "spend_p12": 0.0}
    )
    for period in ("t12", "p12"):
        spend, new = frame[f"spend_{period}"], frame[f"new_{period}"]
        frame[f"cac_{period}"] = (spend / new.where(new > 0)).where(spend > 0)
        total = spend.sum()  # no spend recorded: CAC unknown, never "free"
        card.put(f"cac_{period}", ratio(total, new.sum()) if total > 0 else None, "usd")
    return frame.sort_values("channel").reset_index(drop=True)


def dormant(ctx: Context, card: Card) -> None:
    """Share of the customer base (customers in T12 or P12) without any dated touch for
    ``dormant_days`` days up to the window end."""
    f, w = ctx.facts, ctx.windows
    base = f.filter((f.rev_t12 > 0) | (f.rev_p12 > 0)).select("account_id")
    touched = last_activity(ctx.inputs, w.end)
    joined = base.left_join(touched, "account_id")
    idle = ibis.literal(w.end).delta(joined.last_day, unit="day")
    sleeping = (idle >= ctx.cfg.dormant_days).fill_null(True)
    row = one_row(joined.aggregate(base=joined.count(), dormant=sleeping.cast("int64").sum()))
    card.put("dormant_share", ratio(row.get("dormant"), row.get("base")), "ratio")
    card.put(
        "active_share", ratio(row.get("base", 0) - row.get("dormant", 0), row.get("base")), "ratio"
    )


def lifecycle_mix(ctx: Context, card: Card):
    value = ctx.inputs.value
    if value is None or not ctx.inputs.has(CUSTOMER_VALUE.name, "lifecycle_stage"):
        card.missing(f"{CUSTOMER_VALUE.name}.lifecycle_stage")
        return None
    stage = value.lifecycle_stage.fill_null("Unknown")
    frame = fetch(value.group_by(lifecycle_stage=stage).aggregate(customers=value.count()))
    frame["share"] = frame["customers"] / frame["customers"].sum()
    return frame.sort_values("customers", ascending=False).reset_index(drop=True)


def growth_card(ctx: Context) -> Card:
    card = Card("growth")
    row = ctx.shared["retention"]
    card.put("new_customers_t12", row.get("new_t12"))
    card.put("new_customers_p12", row.get("new_p12"))
    card.put(
        "new_revenue_share",
        ratio(row.get("new_revenue"), ctx.shared["ranking"].get("total")),
        "ratio",
    )
    card.put("repeat_rate", ratio(row.get("repeat"), row.get("customers")), "ratio")
    card.put("logo_retention", ratio(row.get("retained"), row.get("customers_p12")), "ratio")
    card.put("grr", ratio(row.get("kept_of_p12"), row.get("p12_revenue")), "ratio")
    card.put("nrr", ratio(row.get("t12_of_p12"), row.get("p12_revenue")), "ratio")
    if ctx.inputs.has(OPPORTUNITIES.name, "is_closed"):
        rate_t12 = ratio(row.get("first_won_t12"), row.get("first_deals_t12"))
        card.put("first_deal_win_rate", rate_t12, "ratio")
        card.put(
            "first_deal_win_rate_p12",
            ratio(row.get("first_won_p12"), row.get("first_deals_p12")),
            "ratio",
        )
    else:
        card.missing(f"{OPPORTUNITIES.name}.is_closed")
    card.tables["new_by_quarter"] = new_by_quarter(ctx)
    if ctx.inputs.has(ACCOUNTS.name, "acquisition_channel"):
        card.tables["cac_by_channel"] = cac_by_channel(ctx, card)
    else:
        card.missing(f"{ACCOUNTS.name}.acquisition_channel")
    dormant(ctx, card)
    mix = lifecycle_mix(ctx, card)
    if mix is not None:
        card.tables["lifecycle_mix"] = mix
    growth_bought(ctx, card)
    if card.value("nrr") is not None:
        card.answer = Finding(
            "pr.answer.growth",
            {
                "nrr": card.value("nrr"),
                "grr": card.value("grr"),
                "retention": card.value("logo_retention"),
                "new": card.value("new_customers_t12"),
                "new_share": card.value("new_revenue_share"),
                "dormant": card.value("dormant_share"),
            },
        )
    return card
