"""Dimension 5, needs and market fit: case mix by type and topic (keyword maps over the type and
reason text, English and Chinese), the share of cases asking for a missing feature, the top topics
and their quarter-on-quarter moves, and the shift of won deals between size bands (T12 vs P12)."""

from __future__ import annotations

import ibis
import pandas as pd

from crmlens.analyses.base import Finding
from crmlens.analyses.portfolio_review.cards import Card, Context, ratio, shares
from crmlens.analyses.portfolio_review.expressions import (
    classify,
    fetch,
    in_window,
    one_row,
    quarter_of,
    recent_quarters,
)
from crmlens.analyses.portfolio_review.growth import quarter_label
from crmlens.schema.contracts import CASES, OPPORTUNITIES


def classified_cases(ctx: Context):
    """Cases with ``case_class`` (from the type text) and ``topic`` (reason, then type text)."""
    cases = ctx.inputs.cases
    text = cases.reason.fill_null("").concat(" ", cases.type.fill_null(""))
    return cases.mutate(
        case_class=classify(cases.type, ctx.cfg.case_types),
        topic=classify(text, ctx.cfg.case_topics),
    )


def _is_feature(cases):
    return (cases.case_class == "feature_request") | (cases.topic == "missing_feature")


def topics_by_quarter(ctx: Context, cases) -> pd.DataFrame:
    last = quarter_of(ctx.windows.end)
    recent = recent_quarters(cases, "created_date", ctx.windows.end, 2)
    frame = fetch(recent.group_by(["q", "topic"]).aggregate(cases=recent.count()))
    wide = frame.pivot_table(index="topic", columns="q", values="cases", fill_value=0)
    current = wide.get(last, pd.Series(0, index=wide.index))
    previous = wide.get(last - 1, pd.Series(0, index=wide.index))
    out = pd.DataFrame(
        {
            "topic": wide.index,
            "cases_quarter": current.to_numpy(),
            "share_quarter": shares(current).to_numpy(),
            "share_previous": shares(previous).to_numpy(),
        }
    )
    out["share_change"] = out["share_quarter"] - out["share_previous"]
    out["quarter"] = quarter_label(last)
    return out.sort_values(["cases_quarter", "topic"], ascending=[False, True]).reset_index(
        drop=True
    )


def case_mix(ctx: Context, card: Card) -> None:
    w = ctx.windows
    cases = ctx.shared["cases"]
    recent = cases.filter(in_window(cases.created_date, w.t12_start, w.end))
    mix = fetch(recent.group_by(["case_class", "topic"]).aggregate(cases=recent.count()))
    total = mix["cases"].sum()
    card.put("cases_t12", total)
    if not total:
        return
    by_type = mix.groupby("case_class", as_index=False)["cases"].sum()
    by_type["share"] = by_type["cases"] / total
    card.tables["case_mix"] = by_type.sort_values(["cases", "case_class"], ascending=[False, True])
    feature = one_row(recent.aggregate(n=_is_feature(recent).cast("int64").sum()))
    card.put("feature_request_share", ratio(feature.get("n"), total), "ratio")
    topics = topics_by_quarter(ctx, cases)
    card.tables["topics"] = topics
    if len(topics) and topics["cases_quarter"].iloc[0] > 0:
        card.put("top_topic", str(topics["topic"].iloc[0]), "text")
        card.put("top_topic_share_change", topics["share_change"].iloc[0], "ratio")


def deal_mix(ctx: Context, card: Card) -> None:
    """Share of won deals (known amount) in the large band, T12 vs P12."""
    deals, w = ctx.inputs.deals, ctx.windows
    small, large = ctx.cfg.deal_size_bands
    won = deals.filter(deals.is_won & deals.amount.notnull())
    band = ibis.cases((won.amount < small, "small"), (won.amount < large, "mid"), else_="large")
    period = ibis.cases(
        (in_window(won.close_date, w.t12_start, w.end), "t12"),
        (in_window(won.close_date, w.p12_start, w.p12_end), "p12"),
        else_="other",
    )
    frame = fetch(won.group_by(period=period, band=band).aggregate(deals=won.count()))
    frame = frame[frame["period"] != "other"]
    if frame.empty:
        return
    wide = frame.pivot_table(index="band", columns="period", values="deals", fill_value=0)
    wide = wide.reindex(["small", "mid", "large"], fill_value=0)
    out = pd.DataFrame({"band": wide.index})
    for period_name in ("p12", "t12"):
        col = wide.get(period_name, pd.Series(0, index=wide.index))
        out[f"share_{period_name}"] = shares(col).to_numpy()
    card.tables["deal_mix"] = out
    card.put("large_deal_share", out["share_t12"].iloc[2], "ratio")
    card.put(
        "large_deal_share_change", out["share_t12"].iloc[2] - out["share_p12"].iloc[2], "ratio"
    )


def needs_card(ctx: Context) -> Card:
    card = Card("needs")
    if "cases" in ctx.shared:
        case_mix(ctx, card)
    else:
        card.missing(f"{CASES.name}.case_id, account_id, created_date, type, reason")
    if ctx.inputs.has(OPPORTUNITIES.name, "amount"):
        deal_mix(ctx, card)
    if card.value("feature_request_share") is not None:
        card.answer = Finding(
            "pr.answer.needs",
            {
                "share": card.value("feature_request_share"),
                "cases": card.value("cases_t12"),
                "topic": card.value("top_topic") or "other",
                "change": card.value("top_topic_share_change") or 0.0,
            },
        )
    return card
