"""The portfolio review — the boss's first page — told answer-first: the seven dimensions in one
screen (which are at alert, on watch, ok or not measurable, then one line per dimension with its
figure against its red line), why (each dimension's answer sentence, what churned customers have
in common, whether promoters really renew more — overlapping intervals are weak evidence), what the
data cannot tell, what to do (the result's recommendations: one per dimension beyond its watch
line, alerts first, with owner, target, due dates and alert rule; the plan by milestone is the
``plan_summary`` table), the alert trigger, summary lines and one takeaway per chart.  Lines pick
values from the result's metrics, findings, recommendations and tables; nothing is recomputed."""

from __future__ import annotations

from crmlens.analyses.base import AnalysisResult
from crmlens.analyses.toolkit import top_n
from crmlens.report.views import Caption, Line, default_rules, metric

ANALYSIS = "portfolio_review"
STATUSES = ("alert", "watch", "ok", "not_measurable")
LIMIT_FINDINGS = (
    "pr.no_opportunities",
    "pr.as_of_before_data",
    "pr.amounts_all_null",
    "pr.no_won_t12",
    "pr.won_amount_null",
)
FORMAT = {"ratio": "pct", "score": "num"}  # a card figure's unit → its format in the sentence


def cards(r: AnalysisResult) -> list[dict]:
    table = r.tables.get("cards")
    return [] if table is None else table.to_dict("records")


def by_status(r: AnalysisResult) -> dict[str, list[str]]:
    groups: dict[str, list[str]] = {s: [] for s in STATUSES}
    for card in cards(r):
        groups.setdefault(card["status"], []).append(card["dimension"])
    return groups


def card_line(card: dict, r: AnalysisResult) -> Line:
    """One dimension in one line: its status and its red-line figure against the lines."""
    if card["status"] == "not_measurable":
        return Line(
            "pr.card.not_measurable", {"dimension": card["dimension"], "needs": card["needs"]}
        )
    unit = r.metrics[card["metric"]].unit if card["metric"] in r.metrics else "score"
    params = {k: card[k] for k in ("dimension", "status", "metric", "value", "red_line")}
    return Line(f"pr.card.{FORMAT.get(unit, 'num')}", {**params, "watch": card["watch_line"]})


def churn_factor(r: AnalysisResult) -> Line | None:
    """The factor that best separates churned from retained customers (the smallest p-value among
    the significant ones); none significant: said so, as weak evidence."""
    table = r.tables.get("churn_profile")
    if table is None or table.empty:
        return None
    significant = table[table["significant"].astype(bool)]
    if significant.empty:
        return Line("pr.why_churn_none", {"factors": table["factor"].tolist()}, strength="weak")
    row = top_n(significant, 1, ["p_value", "factor"], [True, True]).iloc[0]
    params = {"factor": row["factor"], "p": row["p_value"], "effect": row["effect"]}
    if row["test"] == "chi_square":
        return Line("pr.why_churn_category", {**params, "top": row["churned_top"]})
    values = {"churned": row["churned_value"], "retained": row["retained_value"]}
    return Line("pr.why_churn_numeric", {**params, **values})


def renewal(r: AnalysisResult) -> Line | None:
    """Promoters' renewal rate against detractors'; overlapping intervals are weak evidence."""
    table = r.tables.get("promoters_vs_detractors")
    if table is None or table.empty:
        return None
    rows = {row["category"]: row for row in table.to_dict("records")}
    if not {"promoter", "detractor"} <= set(rows):
        return None
    p, d = rows["promoter"], rows["detractor"]
    params = {
        "promoters": p["renewed_rate"],
        "p_low": p["renewed_low"],
        "p_high": p["renewed_high"],
        "detractors": d["renewed_rate"],
        "d_low": d["renewed_low"],
        "d_high": d["renewed_high"],
    }
    overlap = p["renewed_low"] <= d["renewed_high"] and d["renewed_low"] <= p["renewed_high"]
    if overlap:
        return Line("pr.why_renewal_overlap", params, strength="weak")
    return Line("pr.why_renewal", params)


# ---- the story ------------------------------------------------------------------------------


def overview(r: AnalysisResult) -> tuple[Line, ...]:
    """One line per dimension."""
    return tuple(card_line(card, r) for card in cards(r))


def answer(r: AnalysisResult) -> tuple[Line, ...]:
    base = {
        "customers": metric(r, "customers_t12"),
        "revenue": metric(r, "revenue_t12"),
        "end": metric(r, "window_end"),
    }
    lines = [Line("pr.answer_base", base)]
    groups = by_status(r)
    for status in STATUSES:
        if groups[status]:
            lines.append(Line(f"pr.answer_{status}", {"dimensions": groups[status]}))
    return tuple(lines)


def why(r: AnalysisResult) -> tuple[Line, ...]:
    answers = [f for f in r.findings if f.code.startswith("pr.answer.")]
    lines = []
    for f in answers:
        dimension = f.code.split(".")[2].split("_")[0]
        lines.append(Line(f.code, f.params, id=dimension))
    lines += [Line(f.code, f.params) for f in r.findings if f.code == "pr.not_measurable"]
    for line in (churn_factor(r), renewal(r)):
        if line is not None:
            lines.append(line)
    return tuple(lines)


def limits(r: AnalysisResult) -> tuple[Line, ...]:
    lines = [Line(f.code, f.params) for f in r.findings if f.code in LIMIT_FINDINGS]
    return (*lines, Line("pr.limit_crm"))


def actions(r: AnalysisResult) -> tuple[Line, ...]:
    """The result's recommendations in their order (compute put alerts first)."""
    lines = [Line(x.code, x.params, severity="action") for x in r.recommendations]
    return tuple(lines) or (Line("pr.do.none", severity="action"),)


def trigger(r: AnalysisResult) -> Line:
    rules = default_rules(ANALYSIS)

    def value(rule: str):
        return rules.get(rule, {}).get("value")

    return Line(
        "pr.trigger",
        {
            "top5_line": value("top5_share_above_safety_line"),
            "top5": metric(r, "top5_share"),
            "nrr_line": value("nrr_below_100pct"),
            "nrr": metric(r, "nrr"),
            "dormant_line": value("dormant_share_above_30pct"),
            "dormant": metric(r, "dormant_share"),
            "runs": rules.get("nps_down_two_runs", {}).get("runs"),
            "nps": metric(r, "nps_t12"),
            "top_line": value("top_share_above_red_line"),
            "channel_line": value("largest_channel_above_red_line"),
            "needs_line": value("feature_requests_above_red_line"),
            "competition_line": value("competitor_losses_above_red_line"),
        },
        severity="warning",
    )


def summary(r: AnalysisResult) -> tuple[Line, ...]:
    groups = by_status(r)
    params = {
        "customers": metric(r, "customers_t12"),
        "revenue": metric(r, "revenue_t12"),
        "alert": groups["alert"],
        "watch": groups["watch"],
    }
    if groups["alert"]:
        return (Line("pr.summary", params, severity="critical"),)
    if groups["watch"]:
        return (Line("pr.summary_calm", params, severity="warning"),)
    return (Line("pr.summary_all_ok", params, severity="info"),)


# ---- chart takeaways --------------------------------------------------------------------------


def _lorenz(r: AnalysisResult) -> Line | None:
    """The point of the curve just below 90% of customers: how little the long tail brings."""
    lorenz = r.tables.get("lorenz")
    if lorenz is None or len(lorenz) < 2:
        return None
    tail = lorenz.iloc[-2]  # the last point before 100% of customers
    return Line(
        "pr.cap.lorenz",
        {
            "customers": tail["customer_share"],
            "revenue": tail["revenue_share"],
            "gini": metric(r, "gini"),
        },
    )


def _nps(r: AnalysisResult) -> Line | None:
    nps = r.tables.get("nps_by_quarter")
    if nps is None or nps.empty:
        return None
    last = nps.iloc[-1]
    low = top_n(nps, 1, ["nps", "quarter"], [True, True]).iloc[0]
    return Line(
        "pr.cap.nps",
        {
            "quarter": last["quarter"],
            "nps": last["nps"],
            "responses": int(last["responses"]),
            "low_quarter": low["quarter"],
            "low": low["nps"],
        },
    )


CAPTIONS = {
    "pr_lorenz": Caption(_lorenz, "value"),
    "pr_nps_by_quarter": Caption(_nps, "experience"),
}
