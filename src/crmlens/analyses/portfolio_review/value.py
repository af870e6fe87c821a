"""Dimension 1, value and contribution: top-share of T12 revenue (ceil(share × customers), ranked
by revenue, ties by account_id), Lorenz curve, Gini, HHI, gross margin by value tier, LTV/CAC.

The ranking is an engine window; Python receives one row of sums, the Lorenz buckets and one
row per tier.  The risk dimension reuses the top-N sums (``ctx.shared['ranking']``)."""

from __future__ import annotations

import math

import ibis

from crmlens.analyses.base import Finding
from crmlens.analyses.engine import cents
from crmlens.analyses.portfolio_review.cards import Card, Context, ratio
from crmlens.analyses.portfolio_review.expressions import fetch, one_row
from crmlens.schema.contracts import CUSTOMER_VALUE, OPPORTUNITIES

LORENZ_POINTS = 10
LTV_BINS = (1.0, 3.0, 5.0)  # LTV/CAC distribution: < 1, 1–3, 3–5, ≥ 5 (3 moves with the red line)


def ranked_customers(ctx: Context):
    """T12 customers with their rank (1 = most revenue; ties by account_id ascending)."""
    customers = ctx.facts.filter(ctx.facts.rev_t12 > 0)
    order = [ibis.desc(customers.rev_t12), customers.account_id.asc()]
    return customers.mutate(rank=ibis.row_number().over(order_by=order) + 1)


def ranking(ctx: Context) -> dict:
    """Sums over the ranked T12 customers: n, total, Σx², Σ(ascending rank × x), the top-k sums
    (k = ceil(share × n), top N, top loss N) and the ties at the top-share cut."""
    cfg = ctx.cfg
    ranked = ranked_customers(ctx)
    n = int(ranked.count().to_pyarrow().as_py())
    if n == 0:
        return {"customers": 0}
    k = math.ceil(round(cfg.top_share * n, 9))
    rev, rank = ranked.rev_t12, ranked.rank
    row = one_row(
        ranked.aggregate(
            total=rev.sum(),
            sum_sq=(rev * rev).sum(),
            weighted=((n - rank + 1).cast("float64") * rev).sum(),
            top=rev.sum(where=rank <= k),
            top_n=rev.sum(where=rank <= cfg.top_concentration_n),
            top_loss=rev.sum(where=rank <= cfg.top_loss_n),
            cut_revenue=rev.max(where=rank == k),
        )
    )
    ties = ranked.filter((ranked.rank > k) & (ranked.rev_t12 == row["cut_revenue"])).count()
    row.update(customers=n, top_k=k, tied_excluded=int(ties.to_pyarrow().as_py()))
    return row


def gini(row: dict) -> float | None:
    """G = 2·Σ i·x₍ᵢ₎ ÷ (n·Σx) − (n + 1) ÷ n, x ascending, i = 1…n."""
    n, total = row["customers"], row.get("total")
    if not n or not total:
        return None
    return 2 * row["weighted"] / (n * total) - (n + 1) / n


def lorenz(ctx: Context, n: int):
    """Cumulative share of customers (ascending revenue) vs cumulative share of revenue."""
    ranked = ranked_customers(ctx)
    ascending = n - ranked.rank + 1
    bucket = (ascending * LORENZ_POINTS + n - 1) // n
    frame = fetch(
        ranked.group_by(bucket=bucket)
        .aggregate(customers=ranked.count(), revenue=ranked.rev_t12.sum())
        .order_by("bucket")
    )
    cents(frame, "revenue")
    total = frame["revenue"].sum()
    return frame.assign(
        customer_share=frame["customers"].cumsum() / n,
        revenue_share=frame["revenue"].cumsum() / total if total else math.nan,
    )[["customer_share", "revenue_share"]]


def tiers(ctx: Context, n: int):
    """Customers, revenue and gross-margin rate per value tier (top / middle / tail)."""
    cuts = [math.ceil(round(share * n, 9)) for share in ctx.cfg.value_tiers]
    ranked = ranked_customers(ctx)
    tier = ibis.cases(
        (ranked.rank <= cuts[0], "top"), (ranked.rank <= cuts[1], "middle"), else_="tail"
    )
    frame = fetch(
        ranked.group_by(value_tier=tier).aggregate(
            customers=ranked.count(),
            revenue=ranked.rev_t12.sum(),
            margin_amount=ranked.margin_amount.sum(),
            margin_base=ranked.margin_base.sum(),
        )
    )
    cents(frame, "revenue")
    frame["margin_rate"] = frame["margin_amount"] / frame["margin_base"].where(
        frame["margin_base"] > 0
    )
    order = {"top": 0, "middle": 1, "tail": 2}
    frame = frame.sort_values("value_tier", key=lambda s: s.map(order)).reset_index(drop=True)
    return frame[["value_tier", "customers", "revenue", "margin_rate"]]


def ltv_cac(ctx: Context, card: Card) -> None:
    value = ctx.inputs.value
    if value is None:
        card.missing(f"{CUSTOMER_VALUE.name}.customer_lifetime_value, acquisition_cost")
        return
    red = ctx.cfg.ltv_cac_red_line
    defined = value.filter(value.acquisition_cost > 0).filter(
        value.customer_lifetime_value.notnull()
    )
    ratio_expr = defined.customer_lifetime_value / defined.acquisition_cost
    bins = sorted({*LTV_BINS, red})
    band = ibis.cases(*[(ratio_expr < b, f"< {b:g}") for b in bins], else_=f"≥ {bins[-1]:g}")
    dist = fetch(defined.group_by(band=band).aggregate(customers=defined.count()))
    order = [f"< {b:g}" for b in bins] + [f"≥ {bins[-1]:g}"]
    dist = dist.set_index("band").reindex(order, fill_value=0).reset_index()
    card.tables["ltv_cac_distribution"] = dist
    row = one_row(
        defined.aggregate(n=defined.count(), above=(ratio_expr > red).cast("int64").sum())
    )
    rows = int(value.count().to_pyarrow().as_py())
    card.put("ltv_cac_customers", row.get("n", 0))
    card.put("ltv_cac_undefined", rows - int(row.get("n", 0)))
    card.put("ltv_cac_share_above", ratio(row.get("above"), row.get("n")), "ratio")
    tier = defined.customer_tier.fill_null("Unknown")
    by_tier = fetch(
        defined.group_by(customer_tier=tier).aggregate(
            customers=defined.count(), above=(ratio_expr > red).cast("int64").sum()
        )
    ).sort_values("customer_tier")
    by_tier["share_above"] = by_tier["above"] / by_tier["customers"]
    card.tables["ltv_cac_by_tier"] = by_tier[["customer_tier", "customers", "share_above"]]
    # by acquisition channel: the value table has no channel and no account id to take the
    # account's acquisition_channel from — said, never guessed
    card.missing(f"{CUSTOMER_VALUE.name}.acquisition_channel")
    card.notes.append(Finding("pr.ltv_cac_no_channel", {"table": CUSTOMER_VALUE.name}))


def value_card(ctx: Context) -> Card:
    card = Card("value")
    row = ctx.shared["ranking"]
    n = row["customers"]
    if n:
        card.put("customers_t12", n)
        card.put("revenue_t12", row["total"], "usd")
        card.put("top_customers", row["top_k"])
        card.put("top_share", ratio(row["top"], row["total"]), "ratio")
        card.put("top_tied_excluded", row["tied_excluded"])
        card.put("gini", gini(row), "score")
        card.put("hhi", ratio(row["sum_sq"], row["total"] ** 2), "score")
        card.tables["lorenz"] = lorenz(ctx, n)
        value_tiers = tiers(ctx, n)
        if not ctx.inputs.has(OPPORTUNITIES.name, "gross_margin"):
            card.missing(f"{OPPORTUNITIES.name}.gross_margin")
            value_tiers = value_tiers.drop(columns="margin_rate")
        card.tables["value_tiers"] = value_tiers
    ltv_cac(ctx, card)
    if card.value("top_share") is not None:
        card.answer = _answer(card, ctx)
    return card


def _answer(card: Card, ctx: Context):
    share = card.value("ltv_cac_share_above")
    params = {
        "top": card.value("top_customers"),
        "top_pct": ctx.cfg.top_share,
        "share": card.value("top_share"),
        "gini": card.value("gini"),
    }
    if share is None:
        return Finding("pr.answer.value", params)
    return Finding(
        "pr.answer.value_ltv", {**params, "ltv_share": share, "red": ctx.cfg.ltv_cac_red_line}
    )
