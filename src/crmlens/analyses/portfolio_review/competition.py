"""Dimension 7, competition and substitution: share of T12 customers known to use a competitor;
deals lost to competitors (share of closed-lost deals in T12, per quarter, top competitors, loss
reasons); churned customers known to use a competitor."""

from __future__ import annotations

import ibis

from crmlens.analyses.base import Finding
from crmlens.analyses.portfolio_review.cards import Card, Context, ratio, shares
from crmlens.analyses.portfolio_review.expressions import (
    fetch,
    in_window,
    known_text,
    one_row,
    recent_quarters,
)
from crmlens.analyses.portfolio_review.growth import quarter_label
from crmlens.schema.contracts import ACCOUNTS, OPPORTUNITIES

TOP_COMPETITORS = 10


def lost_to_competitor(deals, cfg):
    reason = deals.loss_reason.lower()
    return ibis.or_(*[reason.contains(k.lower()) for k in cfg.competitor_loss_keywords]).fill_null(
        False
    )


def customer_overlap(ctx: Context, card: Card) -> None:
    f, cfg = ctx.facts, ctx.cfg
    known = known_text(f.competitor_in_use, cfg.no_competitor_values).cast("int64")
    row = one_row(
        f.aggregate(
            customers=(f.rev_t12 > 0).cast("int64").sum(),
            with_competitor=known.sum(where=f.rev_t12 > 0),
            churned=((f.rev_p12 > 0) & (f.rev_t12 <= 0)).cast("int64").sum(),
            churned_with=known.sum(where=(f.rev_p12 > 0) & (f.rev_t12 <= 0)),
        )
    )
    card.put(
        "customers_with_competitor_share",
        ratio(row.get("with_competitor"), row.get("customers")),
        "ratio",
    )
    card.put(
        "churned_with_competitor_share", ratio(row.get("churned_with"), row.get("churned")), "ratio"
    )


def lost_deals(ctx: Context, card: Card) -> None:
    deals, w, cfg = ctx.inputs.deals, ctx.windows, ctx.cfg
    lost = deals.filter(deals.is_closed.fill_null(False) & ~deals.is_won)
    lost = lost.mutate(to_competitor=lost_to_competitor(lost, cfg))
    window = lost.filter(in_window(lost.close_date, w.t12_start, w.end))
    row = one_row(
        window.aggregate(n=window.count(), competitor=window.to_competitor.cast("int64").sum())
    )
    card.put("lost_deals_t12", row.get("n", 0))
    card.put("lost_to_competitor_share", ratio(row.get("competitor"), row.get("n")), "ratio")
    recent = recent_quarters(lost, "close_date", w.end, cfg.quarters)
    trend = fetch(
        recent.group_by("q").aggregate(
            lost=recent.count(), to_competitor=recent.to_competitor.cast("int64").sum()
        )
    ).sort_values("q")
    trend["share"] = trend["to_competitor"] / trend["lost"]
    trend["quarter"] = trend["q"].map(quarter_label)
    card.tables["lost_to_competitor_by_quarter"] = trend[
        ["quarter", "lost", "to_competitor", "share"]
    ]
    if ctx.inputs.has(OPPORTUNITIES.name, "competitor"):
        named = window.filter(
            window.to_competitor & known_text(window.competitor, cfg.no_competitor_values)
        )
        top = fetch(
            named.group_by(competitor=named.competitor.strip()).aggregate(deals=named.count())
        )
        top = top.sort_values(["deals", "competitor"], ascending=[False, True]).head(
            TOP_COMPETITORS
        )
        card.tables["top_competitors"] = top.reset_index(drop=True)
        if len(top):
            card.put("top_competitor", str(top["competitor"].iloc[0]), "text")
    else:
        card.missing(f"{OPPORTUNITIES.name}.competitor")
    reasons = fetch(
        window.group_by(loss_reason=window.loss_reason.fill_null("Unknown")).aggregate(
            deals=window.count()
        )
    )
    reasons["share"] = shares(reasons["deals"])
    card.tables["loss_reasons"] = reasons.sort_values(
        ["deals", "loss_reason"], ascending=[False, True]
    ).reset_index(drop=True)


def competition_card(ctx: Context) -> Card:
    card = Card("competition")
    if ctx.inputs.has(ACCOUNTS.name, "competitor_in_use"):
        customer_overlap(ctx, card)
    else:
        card.missing(f"{ACCOUNTS.name}.competitor_in_use")
    if ctx.inputs.has(OPPORTUNITIES.name, "is_closed", "loss_reason"):
        lost_deals(ctx, card)
    else:
        card.missing(f"{OPPORTUNITIES.name}.is_closed, loss_reason")
    if card.value("lost_to_competitor_share") is not None:
        card.answer = Finding(
            "pr.answer.competition",
            {
                "share": card.value("lost_to_competitor_share"),
                "lost": card.value("lost_deals_t12"),
                "top": card.value("top_competitor") or "—",
                "overlap": card.value("customers_with_competitor_share"),
                "churned": card.value("churned_with_competitor_share"),
            },
        )
    return card
