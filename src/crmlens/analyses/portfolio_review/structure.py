"""Dimension 4, structure and distribution: by region, acquisition channel and size — share of
customers vs share of T12 revenue (and CAC by channel); channel ROI (T12 revenue of the channel's
customers ÷ the channel's T12 spend) next to the channel's share of spend."""

from __future__ import annotations

import pandas as pd

from crmlens.analyses.engine import cents
from crmlens.analyses.base import Finding
from crmlens.analyses.portfolio_review.cards import Card, Context
from crmlens.analyses.portfolio_review.expressions import fetch
from crmlens.analyses.portfolio_review.spend import channel_spend
from crmlens.schema.contracts import ACCOUNTS, CAMPAIGNS

SEGMENTS = ("geographic_region", "acquisition_channel", "company_size_category")


def segment_table(ctx: Context, column: str) -> pd.DataFrame:
    """T12 customers and revenue per value of ``column`` with their shares."""
    f = ctx.facts
    customers = f.filter(f.rev_t12 > 0)
    frame = fetch(
        customers.group_by(column).aggregate(
            customers=customers.count(), revenue=customers.rev_t12.sum()
        )
    )
    cents(frame, "revenue")
    frame["customer_share"] = frame["customers"] / frame["customers"].sum()
    frame["revenue_share"] = frame["revenue"] / frame["revenue"].sum()
    return frame.sort_values(["revenue", column], ascending=[False, True]).reset_index(drop=True)


def segments(ctx: Context) -> dict[str, pd.DataFrame]:
    if not ctx.shared["ranking"]["customers"]:
        return {}
    return {
        column: segment_table(ctx, column)
        for column in SEGMENTS
        if ctx.inputs.has(ACCOUNTS.name, column)
    }


def channel_roi(ctx: Context, card: Card, by_channel: pd.DataFrame) -> pd.DataFrame | None:
    spend = channel_spend(ctx)
    if spend is None:
        card.missing(f"{CAMPAIGNS.name}.type, start_date, actual_cost")
        return None
    frame = by_channel.rename(columns={"acquisition_channel": "channel"}).merge(
        spend[["channel", "spend_t12"]], on="channel", how="outer"
    )
    frame = frame.fillna({"customers": 0, "revenue": 0.0, "spend_t12": 0.0})
    total = frame["spend_t12"].sum()
    frame["spend_share"] = frame["spend_t12"] / total if total else None
    frame["roi"] = frame["revenue"] / frame["spend_t12"].where(frame["spend_t12"] > 0)
    return frame[["channel", "customers", "revenue", "spend_t12", "spend_share", "roi"]]


def structure_card(ctx: Context) -> Card:
    card = Card("structure")
    tables = ctx.shared["segments"]
    for column in SEGMENTS:
        if column in tables:
            card.tables[f"by_{column}"] = tables[column]
        else:
            card.missing(f"{ACCOUNTS.name}.{column}")
    by_channel = tables.get("acquisition_channel")
    if by_channel is not None:
        card.put("largest_channel_customer_share", by_channel["customer_share"].max(), "ratio")
        roi = channel_roi(ctx, card, by_channel)
        if roi is not None:
            card.tables["channel_roi"] = roi
            ranked = roi.dropna(subset=["roi"]).sort_values(
                ["roi", "channel"], ascending=[False, True]
            )
            if len(ranked):
                best, worst = ranked.iloc[0], ranked.iloc[-1]
                card.put("best_roi_channel", str(best["channel"]), "text")
                card.put("best_channel_roi", best["roi"], "score")
                card.put("best_channel_spend_share", best["spend_share"], "ratio")
                card.put("worst_roi_channel", str(worst["channel"]), "text")
                card.put("worst_channel_roi", worst["roi"], "score")
                card.answer = Finding(
                    "pr.answer.structure",
                    {
                        "best": card.value("best_roi_channel"),
                        "roi": card.value("best_channel_roi"),
                        "spend_share": card.value("best_channel_spend_share"),
                        "worst": card.value("worst_roi_channel"),
                        "worst_roi": card.value("worst_channel_roi"),
                        "largest_share": card.value("largest_channel_customer_share"),
                    },
                )
        if card.answer is None:
            top = by_channel.sort_values(
                ["customer_share", "acquisition_channel"], ascending=[False, True]
            ).iloc[0]
            card.answer = Finding(
                "pr.answer.structure_share",
                {"channel": str(top["acquisition_channel"]), "share": top["customer_share"]},
            )
    return card
