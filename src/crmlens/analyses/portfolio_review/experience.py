"""Dimension 6, experience and reputation: NPS (% promoters − % detractors, ×100) per quarter and
by segment; complaints per 100 customers, resolution rate and time; repurchase within the window
after a resolved complaint vs customers without complaints; renewal and expansion of promoters vs
detractors with confidence intervals."""

from __future__ import annotations

import ibis
import pandas as pd

from crmlens.analyses.base import Finding
from crmlens.analyses.portfolio_review import evidence
from crmlens.analyses.portfolio_review.cards import Card, Context, ratio
from crmlens.analyses.portfolio_review.expressions import (
    fetch,
    in_window,
    one_row,
    recent_quarters,
)
from crmlens.analyses.portfolio_review.growth import quarter_label
from crmlens.schema.contracts import ACCOUNTS, CASES, NPS_RESPONSES


def nps_category(score, cfg):
    return ibis.cases(
        (score >= cfg.promoter_min, "promoter"),
        (score >= cfg.passive_min, "passive"),
        else_="detractor",
    )


def _nps_aggregates(table, cfg) -> dict:
    category = nps_category(table.score, cfg)
    return {
        "responses": table.count(),
        "promoters": (category == "promoter").cast("int64").sum(),
        "detractors": (category == "detractor").cast("int64").sum(),
    }


def _nps_row(table, cfg) -> dict:
    return one_row(table.aggregate(**_nps_aggregates(table, cfg)))


def nps_value(frame) -> pd.Series | float | None:
    responses = frame["responses"]
    if isinstance(frame, dict):
        return (
            None if not responses else 100 * (frame["promoters"] - frame["detractors"]) / responses
        )
    return 100 * (frame["promoters"] - frame["detractors"]) / responses.where(responses > 0)


def valid_responses(ctx: Context):
    nps = ctx.inputs.nps
    nps = nps.filter(nps.response_date <= ibis.literal(ctx.windows.end))
    return nps.filter(nps.score.between(0, 10))


def nps_figures(ctx: Context, card: Card) -> None:
    w, cfg = ctx.windows, ctx.cfg
    nps = valid_responses(ctx)
    invalid = ctx.inputs.nps.filter(~ctx.inputs.nps.score.between(0, 10).fill_null(False))
    card.put("nps_invalid_scores", int(invalid.count().to_pyarrow().as_py()))
    t12 = _nps_row(nps.filter(in_window(nps.response_date, w.t12_start, w.end)), cfg)
    p12 = _nps_row(nps.filter(in_window(nps.response_date, w.p12_start, w.p12_end)), cfg)
    card.put("nps_responses_t12", t12.get("responses", 0))
    card.put("nps_t12", nps_value(t12), "score")
    card.put("nps_p12", nps_value(p12), "score")
    recent = recent_quarters(nps, "response_date", w.end, cfg.quarters)
    per_quarter = fetch(recent.group_by("q").aggregate(**_nps_aggregates(recent, cfg))).sort_values(
        "q"
    )
    per_quarter["nps"] = nps_value(per_quarter)
    per_quarter["quarter"] = per_quarter["q"].map(quarter_label)
    card.tables["nps_by_quarter"] = per_quarter[["quarter", "responses", "nps"]]
    if len(per_quarter):
        card.put("nps_last_quarter", per_quarter["nps"].iloc[-1], "score")
    for column in ("company_size_category", "geographic_region"):
        if not ctx.inputs.has(ACCOUNTS.name, column):
            continue
        accounts = ctx.inputs.accounts.select("account_id", column)
        window = nps.filter(in_window(nps.response_date, w.t12_start, w.end))
        joined = window.left_join(accounts, "account_id")
        segment = joined[column].fill_null("Unknown")
        frame = fetch(joined.group_by(segment=segment).aggregate(**_nps_aggregates(joined, cfg)))
        frame["nps"] = nps_value(frame)
        card.tables[f"nps_by_{column}"] = frame.sort_values("segment")[
            ["segment", "responses", "nps"]
        ]


def complaints(ctx: Context, card: Card) -> None:
    w = ctx.windows
    cases = ctx.shared["cases"]
    window = cases.filter(in_window(cases.created_date, w.t12_start, w.end))
    window = window.filter(window.case_class == "complaint")
    closed = window.closed_date.notnull() & (window.closed_date <= ibis.literal(w.end))
    days = window.closed_date.delta(window.created_date, unit="day")
    row = one_row(
        window.aggregate(
            n=window.count(),
            resolved=closed.cast("int64").sum(),
            days=days.cast("float64").mean(where=closed),
        )
    )
    customers = ctx.shared["ranking"]["customers"]
    card.put("complaints_t12", row.get("n", 0))
    card.put(
        "complaints_per_100_customers",
        100 * ratio(row.get("n", 0), customers) if customers else None,
        "score",
    )
    card.put("complaint_resolution_rate", ratio(row.get("resolved"), row.get("n")), "ratio")
    card.put("complaint_resolution_days", row.get("days"), "days")


def repurchase_after_complaint(ctx: Context, card: Card) -> None:
    """Accounts with a complaint resolved in P12: a won deal within ``window_days`` after their
    first such resolution; vs P12 customers with no complaint in P12: a won deal in T12."""
    w, cfg = ctx.windows, ctx.cfg
    cases, deals = ctx.shared["cases"], ctx.inputs.deals
    complaints = cases.filter(cases.case_class == "complaint")
    resolved = complaints.filter(in_window(complaints.closed_date, w.p12_start, w.p12_end))
    first = resolved.group_by("account_id").aggregate(resolved_on=resolved.closed_date.min())
    won = deals.filter(deals.is_won & (deals.close_date <= ibis.literal(w.end)))
    joined = first.left_join(won.select("account_id", "close_date"), "account_id")
    later = joined.close_date.delta(joined.resolved_on, unit="day")
    bought = (joined.close_date > joined.resolved_on) & (later <= cfg.window_days)
    per_account = joined.group_by(joined.account_id).aggregate(bought=bought.fill_null(False).max())
    after = one_row(
        per_account.aggregate(n=per_account.count(), bought=per_account.bought.cast("int64").sum())
    )
    in_p12 = complaints.filter(in_window(complaints.created_date, w.p12_start, w.p12_end))
    quiet = ctx.facts.filter(ctx.facts.rev_p12 > 0).anti_join(in_p12, "account_id")
    base = one_row(quiet.aggregate(n=quiet.count(), bought=(quiet.won_t12 > 0).cast("int64").sum()))
    rows = []
    for group, row in (("resolved_complaint", after), ("no_complaint", base)):
        rate, low, high = evidence.wilson(
            row.get("bought", 0) or 0, row.get("n", 0) or 0, cfg.confidence
        )
        rows.append(
            {
                "group": group,
                "accounts": row.get("n", 0),
                "rate": rate,
                "ci_low": low,
                "ci_high": high,
            }
        )
    card.tables["repurchase_after_complaint"] = pd.DataFrame(rows)
    card.put("repurchase_after_complaint", rows[0]["rate"], "ratio")
    card.put("repurchase_without_complaint", rows[1]["rate"], "ratio")


def promoters_vs_detractors(ctx: Context, card: Card) -> None:
    """P12 customers by their latest P12 answer (the lowest score when several share the date):
    renewed = revenue in T12, expanded = T12 revenue above P12 revenue."""
    w, cfg = ctx.windows, ctx.cfg
    nps = valid_responses(ctx)
    nps = nps.filter(in_window(nps.response_date, w.p12_start, w.p12_end))
    latest = nps.group_by("account_id").aggregate(day=nps.response_date.max())
    last = nps.join(latest, [nps.account_id == latest.account_id, nps.response_date == latest.day])
    last = last.group_by(last.account_id).aggregate(score=last.score.min())
    customers = ctx.facts.filter(ctx.facts.rev_p12 > 0)
    joined = customers.join(last, "account_id")
    category = nps_category(joined.score, cfg)
    frame = fetch(
        joined.group_by(category=category).aggregate(
            accounts=joined.count(),
            renewed=(joined.rev_t12 > 0).cast("int64").sum(),
            expanded=(joined.rev_t12 > joined.rev_p12).cast("int64").sum(),
        )
    ).set_index("category")
    rows = []
    for category_name in ("promoter", "passive", "detractor"):
        r = (
            frame.loc[category_name]
            if category_name in frame.index
            else {"accounts": 0, "renewed": 0, "expanded": 0}
        )
        row = {"category": category_name, "accounts": int(r["accounts"])}
        for outcome in ("renewed", "expanded"):
            rate, low, high = evidence.wilson(int(r[outcome]), int(r["accounts"]), cfg.confidence)
            row.update({f"{outcome}_rate": rate, f"{outcome}_low": low, f"{outcome}_high": high})
        rows.append(row)
    table = pd.DataFrame(rows)
    card.tables["promoters_vs_detractors"] = table
    pro, det = frame.reindex(["promoter", "detractor"]).fillna(0).to_dict("index").values()
    for outcome, name in (("renewed", "renewal"), ("expanded", "expansion")):
        diff, low, high = evidence.difference_ci(
            (pro[outcome], pro["accounts"]), (det[outcome], det["accounts"]), cfg.confidence
        )
        card.put(f"{name}_gap_promoters_detractors", diff, "ratio")
        card.put(f"{name}_gap_low", low, "ratio")
        card.put(f"{name}_gap_high", high, "ratio")


def experience_card(ctx: Context) -> Card:
    card = Card("experience")
    if ctx.inputs.nps is not None:
        nps_figures(ctx, card)
        promoters_vs_detractors(ctx, card)
    else:
        card.missing(f"{NPS_RESPONSES.name}.response_id, account_id, response_date, score")
    if "cases" in ctx.shared:
        complaints(ctx, card)
        repurchase_after_complaint(ctx, card)
    else:
        card.missing(f"{CASES.name}.type, created_date, closed_date")
    if card.value("nps_t12") is not None:
        card.answer = Finding(
            "pr.answer.experience",
            {
                "nps": card.value("nps_t12"),
                "previous": card.value("nps_p12"),
                "complaints": card.value("complaints_per_100_customers"),
                "gap": card.value("renewal_gap_promoters_detractors"),
            },
        )
    return card
