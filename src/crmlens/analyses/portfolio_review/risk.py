"""Dimension 3, risk and stability: top-N share against the safety line, the drop if the top
customers left, churned revenue (P12 revenue of customers with none in T12) and what churned
customers have in common versus retained ones (tests and effect sizes), and dependence on one
channel or region."""

from __future__ import annotations

import math

import ibis
import pandas as pd

from crmlens.analyses.base import Finding
from crmlens.analyses.portfolio_review import evidence
from crmlens.analyses.portfolio_review.cards import Card, Context, clean, ratio
from crmlens.analyses.portfolio_review.expressions import fetch
from crmlens.schema.contracts import ACCOUNTS, CASES, CONTACTS, NPS_RESPONSES

CATEGORICAL = ("industry_normalized", "company_size_category")


def _population(ctx: Context):
    f = ctx.facts
    base = f.filter(f.rev_p12 > 0)
    return base.mutate(churned=base.rev_t12 <= 0)


def _categorical(ctx: Context, column: str) -> dict:
    base = _population(ctx)
    counts = fetch(base.group_by(["churned", column]).aggregate(n=base.count()))
    table = counts.pivot_table(index=column, columns="churned", values="n", fill_value=0)
    result = evidence.chi_square(table)
    churned = table.get(True, pd.Series(dtype=float))
    retained = table.get(False, pd.Series(dtype=float))
    return {
        **result,
        "effect_kind": "cramers_v",
        "test": "chi_square",
        "churned_top": str(churned.idxmax()) if churned.sum() > 0 else None,
        "n_churned": float(churned.sum()),
        "n_retained": float(retained.sum()),
    }


def _numeric(ctx: Context, per_account, column: str) -> dict:
    """Welch test of ``column`` (one value per account) between churned and retained."""
    base = _population(ctx)
    joined = base.left_join(per_account, "account_id")
    value = joined[column].cast("float64")  # Postgres averages integers as numeric (Decimal)
    frame = fetch(
        joined.group_by("churned").aggregate(n=value.count(), mean=value.mean(), var=value.var())
    ).set_index("churned")

    def group(flag):
        if flag not in frame.index:
            return (0, math.nan, math.nan)
        r = frame.loc[flag]
        return (float(r["n"]), float(r["mean"]), float(r["var"]))

    churned, retained = group(True), group(False)
    return {
        **evidence.welch(churned, retained),
        "effect_kind": "cohens_d",
        "test": "welch_t",
        "churned_value": churned[1],
        "retained_value": retained[1],
        "n_churned": churned[0],
        "n_retained": retained[0],
    }


def churn_profile(ctx: Context, card: Card) -> pd.DataFrame:
    rows = []
    inputs, w = ctx.inputs, ctx.windows
    for column in CATEGORICAL:
        if inputs.has(ACCOUNTS.name, column):
            rows.append({"factor": column, **_categorical(ctx, column)})
        else:
            card.missing(f"{ACCOUNTS.name}.{column}")
    if inputs.nps is not None:
        nps = inputs.nps.filter(inputs.nps.response_date <= ibis.literal(w.end))
        nps = nps.filter(nps.score.between(0, 10))
        per_account = nps.group_by("account_id").aggregate(nps_score=nps.score.mean())
        rows.append({"factor": "nps_score", **_numeric(ctx, per_account, "nps_score")})
    else:
        card.missing(f"{NPS_RESPONSES.name}.score")
    if "cases" in ctx.shared:
        cases = ctx.shared["cases"]
        cases = cases.filter((cases.created_date >= ibis.literal(w.p12_start)))
        cases = cases.filter(cases.created_date <= ibis.literal(w.end))
        complaints = cases.filter(cases.case_class == "complaint")
        per_account = _zero_filled(ctx, complaints, "complaints")
        rows.append({"factor": "complaints", **_numeric(ctx, per_account, "complaints")})
    else:
        card.missing(f"{CASES.name}.type")
    if inputs.contacts is not None:
        per_account = _zero_filled(ctx, inputs.contacts, "contacts")
        rows.append({"factor": "contacts", **_numeric(ctx, per_account, "contacts")})
    else:
        card.missing(f"{CONTACTS.name}.account_id")
    frame = pd.DataFrame(rows)
    if len(frame):  # too small a group: no test (the group sizes stay in the table)
        small = (frame["n_churned"] < ctx.cfg.min_group_size) | (
            frame["n_retained"] < ctx.cfg.min_group_size
        )
        frame.loc[small, ["statistic", "p_value", "effect"]] = float("nan")
        frame["significant"] = (frame["p_value"] < 1 - ctx.cfg.confidence).where(~small)
    return frame


def _zero_filled(ctx: Context, table, name: str):
    """Rows of ``table`` per account of the P12 population, 0 for accounts without any."""
    counted = table.group_by("account_id").aggregate(**{name: table.count()})
    base = _population(ctx).select("account_id")
    joined = base.left_join(counted, "account_id")
    return joined.select(
        account_id=base.account_id, **{name: joined[name].fill_null(0).cast("float64")}
    )


def dependence(ctx: Context, card: Card) -> None:
    for label, column in (("channel", "acquisition_channel"), ("region", "geographic_region")):
        frame = ctx.shared["segments"].get(column)
        if frame is None or frame.empty:
            card.missing(f"{ACCOUNTS.name}.{column}")
            continue
        card.put(f"largest_{label}_customer_share", frame["customer_share"].max(), "ratio")
        card.put(f"largest_{label}_revenue_share", frame["revenue_share"].max(), "ratio")
        top = frame.sort_values(["customer_share", column], ascending=[False, True]).iloc[0]
        card.put(f"largest_{label}", str(top[column]), "text")


def risk_card(ctx: Context) -> Card:
    card = Card("risk")
    rank, ret = ctx.shared["ranking"], ctx.shared["retention"]
    total = rank.get("total")
    if rank["customers"]:
        card.put("top5_share", ratio(rank["top_n"], total), "ratio")
        card.put("top3_drop", ratio(rank["top_loss"], total), "ratio")
    card.put("churned_customers", ret.get("churned"))
    card.put("churned_revenue", clean(ret.get("churned_revenue")) or 0.0, "usd")
    card.put(
        "churned_revenue_share", ratio(ret.get("churned_revenue"), ret.get("p12_revenue")), "ratio"
    )
    if ret.get("churned") and ret.get("customers_p12", 0) > ret.get("churned", 0):
        card.tables["churn_profile"] = churn_profile(ctx, card)
    dependence(ctx, card)
    if card.value("top5_share") is not None:
        card.answer = Finding(
            "pr.answer.risk",
            {
                "top_n": ctx.cfg.top_concentration_n,
                "share": card.value("top5_share"),
                "line": ctx.cfg.red_line("risk").alert,
                "loss_n": ctx.cfg.top_loss_n,
                "drop": card.value("top3_drop"),
                "churned_revenue": card.value("churned_revenue"),
                "churned": card.value("churned_customers"),
            },
        )
    return card
