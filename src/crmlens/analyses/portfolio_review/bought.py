"""Dimension 2, "is growth bought?": campaign spend in T12 split into acquisition and retention.

There is no retention-cost column in the model, so it is derived from what is there: each
campaign's T12 spend (``spend.campaign_spend``, as the channel spend counts it) is allocated by
the revenue of the won deals attributed to it (``opportunity.campaign_id``) that closed in T12:
the share of new-business deals (``new_business_types``) goes to acquisition, the share of
existing-customer deals (``existing_business_types``) to retention.  A campaign without such a
deal (or whose deals have no amount or another type) is unallocated, and counted.  All sums are
engine aggregates; Python gets one row.

Reported: acquisition and retention spend, the acquisition share of the allocated spend, the
new-business share of T12 revenue (new + existing deal types), acquisition spend per dollar of
new-business revenue and retention spend per dollar of existing-customer revenue, and the answer:
growth is bought when acquisition takes a larger share of the allocated spend than new business
brings of revenue."""

from __future__ import annotations

import ibis

from crmlens.analyses.base import Finding
from crmlens.analyses.engine import cents
from crmlens.analyses.portfolio_review.cards import Card, Context, ratio
from crmlens.analyses.portfolio_review.expressions import fetch, in_window
from crmlens.analyses.portfolio_review.spend import campaign_spend
from crmlens.schema.contracts import CAMPAIGNS, OPPORTUNITIES

SPEND = ("acquisition_spend", "retention_spend", "unallocated_spend", "spend")
REVENUE = ("new_revenue", "existing_revenue")


def _isin(t, types: list[str]):
    return t.type.strip().lower().isin([x.strip().lower() for x in types]).fill_null(False)


def won_revenue(ctx: Context):
    """Per won T12 deal with an amount: its campaign, its revenue as new and as existing
    business (0 for the other kind; both 0 for a deal of another or no type)."""
    d, w, cfg = ctx.inputs.deals, ctx.windows, ctx.cfg
    won = d.filter(d.is_won & in_window(d.close_date, w.t12_start, w.end) & d.amount.notnull())
    zero = ibis.literal(0.0)
    return won.select(
        campaign_id=won.campaign_id,
        new_revenue=ibis.ifelse(_isin(won, cfg.new_business_types), won.amount, zero),
        existing_revenue=ibis.ifelse(_isin(won, cfg.existing_business_types), won.amount, zero),
    )


def allocation(ctx: Context) -> dict | None:
    """One row: the T12 spend split by purpose, the revenue by kind and the campaign counts."""
    spend = campaign_spend(ctx)
    if spend is None:
        return None
    revenue = won_revenue(ctx)
    per_campaign = revenue.filter(revenue.campaign_id.notnull())
    attributed = per_campaign.group_by("campaign_id").aggregate(
        new=per_campaign.new_revenue.sum(), existing=per_campaign.existing_revenue.sum()
    )
    spent = spend.group_by("campaign_id").aggregate(spend=spend.spend_t12.sum())
    spent = spent.filter(spent.spend.fill_null(0.0) > 0)
    j = spent.left_join(attributed, spent.campaign_id == attributed.campaign_id)
    base = (j.new.fill_null(0.0) + j.existing.fill_null(0.0)).cast("float64")
    known = base > 0
    share_new = ibis.ifelse(known, j.new.fill_null(0.0) / ibis.ifelse(known, base, 1.0), 0.0)
    share_old = ibis.ifelse(known, j.existing.fill_null(0.0) / ibis.ifelse(known, base, 1.0), 0.0)
    row = fetch(
        j.aggregate(
            spend=j.spend.sum(),
            acquisition_spend=(j.spend * share_new).sum(),
            retention_spend=(j.spend * share_old).sum(),
            unallocated_spend=j.spend.sum(where=~known),
            campaigns=j.count(),
            unallocated_campaigns=(~known).cast("int64").sum(),
        )
    )
    totals = fetch(
        revenue.aggregate(
            new_revenue=revenue.new_revenue.sum(), existing_revenue=revenue.existing_revenue.sum()
        )
    )
    frame = row.join(totals).fillna({c: 0.0 for c in (*SPEND, *REVENUE)})
    return cents(frame, *SPEND, *REVENUE).iloc[0].to_dict()


def growth_bought(ctx: Context, card: Card) -> None:
    """The figures and the answer of "is growth bought?" (or what they would need)."""
    if not ctx.inputs.has(OPPORTUNITIES.name, "campaign_id", "type", "amount"):
        card.missing(f"{OPPORTUNITIES.name}.campaign_id, type, amount")
        return
    row = allocation(ctx)
    if row is None:
        card.missing(f"{CAMPAIGNS.name}.type, start_date, actual_cost")
        return
    allocated = row["acquisition_spend"] + row["retention_spend"]
    classified = row["new_revenue"] + row["existing_revenue"]
    for name in ("acquisition_spend", "retention_spend", "unallocated_spend"):
        card.put(f"{name}_t12", row[name], "usd")
    card.put("unallocated_campaigns", row["unallocated_campaigns"])
    card.put("unallocated_spend_share", ratio(row["unallocated_spend"], row["spend"]), "ratio")
    card.put("acquisition_spend_share", ratio(row["acquisition_spend"], allocated), "ratio")
    card.put("new_business_revenue_share", ratio(row["new_revenue"], classified), "ratio")
    per_new = ratio(row["acquisition_spend"], row["new_revenue"])
    per_kept = ratio(row["retention_spend"], row["existing_revenue"])
    card.put("acquisition_spend_per_new_revenue", per_new, "score")
    card.put("retention_spend_per_retained_revenue", per_kept, "score")
    spend_share = card.value("acquisition_spend_share")
    revenue_share = card.value("new_business_revenue_share")
    if spend_share is None or revenue_share is None:
        return
    bought = spend_share > revenue_share
    card.put("growth_bought", "yes" if bought else "no", "text")
    card.notes.append(
        Finding(
            "pr.growth_bought" if bought else "pr.growth_earned",
            {
                "spend": spend_share,
                "revenue": revenue_share,
                "retention_spend": 1 - spend_share,
                "retention_revenue": 1 - revenue_share,
                "per_new": per_new,
                "per_kept": per_kept,
                "unallocated": card.value("unallocated_spend_share"),
            },
            "warning" if bought else "info",
        )
    )
