"""The health score told answer-first: how many accounts are unhealthy and where (answer), why (the
score's spread, the weakest industry × size cell, the component that drives the differences, what
low-health accounts share, whether the score was back-tested against churn — weak evidence called
weak), what the data cannot tell, the playbooks (owners and due dates from the plan), the alert
trigger, summary lines and one takeaway per chart.  Lines pick values from the result's metrics,
findings and tables; nothing is recomputed."""

from __future__ import annotations

from crmlens.analyses.base import AnalysisResult
from crmlens.analyses.toolkit import top_n
from crmlens.report.views import (
    Caption,
    Line,
    default_rules,
    finding_line,
    metric,
    plan_row,
)

ANALYSIS = "health_score"
PLAN_ACTION = {
    "rec.health_recover": "action.health_recovery_call",
    "rec.health_expand": "action.health_expansion",
}
ACTION_ORDER = ("rec.health_recover", "rec.health_matrix", "rec.health_fix_data")
WEAK_ACTIONS = ("rec.health_expand",)  # rests on the assumption-based outlook
BACKTEST_CODES = (
    "hs.backtest",
    "hs.backtest_weak",
    "hs.backtest_no_dated_components",
    "hs.backtest_no_opportunities",
    "hs.backtest_too_few_customers",
)
LIMIT_FINDINGS = ("hs.unmeasurable", "hs.missing_inputs")


def backtest(r: AnalysisResult) -> Line | None:
    """The back-test finding; an AUC whose interval reaches chance is weak evidence (a score that
    could not be back-tested says so in its own words)."""
    for code in BACKTEST_CODES:
        line = finding_line(r, code, id="backtest")
        if line is not None:
            weak = code == "hs.backtest_weak"
            return Line(line.key, line.params, line.id, strength="weak" if weak else "strong")
    return None


def validated(r: AnalysisResult) -> bool:
    """Did the back-test show that a low score precedes churn (an AUC clearly above chance)?"""
    return any(f.code == "hs.backtest" for f in r.findings)


def weakest_cell(r: AnalysisResult) -> dict | None:
    """The first row of the risk matrix (sorted by level, then low-health count), if unhealthy."""
    matrix = r.tables.get("risk_matrix")
    if matrix is None or matrix.empty or matrix["low_health"].iloc[0] == 0:
        return None
    top = matrix.iloc[0]
    return {
        "industry": top["industry_normalized"],
        "size": top["company_size_category"],
        "share": top["low_health_share"],
        "low": int(top["low_health"]),
        "accounts": int(top["accounts"]),
        "level": top["level"],
        "cells": metric(r, "high_level_cells"),
    }


def drivers(r: AnalysisResult) -> dict | None:
    shares = r.tables["variance_shares"].dropna(subset=["variance_share"])
    if len(shares) < 2:
        return None
    keys = ["variance_share", "component"]
    top = top_n(shares, 1, keys, [False, True]).iloc[0]
    bottom = top_n(shares, 1, keys, [True, True]).iloc[0]
    return {
        "top": top["component"],
        "share": top["variance_share"],
        "bottom": bottom["component"],
        "bottom_share": bottom["variance_share"],
    }


# ---- the story ------------------------------------------------------------------------------


def answer(r: AnalysisResult) -> tuple[Line, ...]:
    params = {
        "low": metric(r, "low_health"),
        "accounts": metric(r, "accounts"),
        "share": metric(r, "low_health_share"),
        "mean": metric(r, "mean_score"),
    }
    lines = [Line("hs.answer", params)]
    cell = weakest_cell(r)
    if cell:
        lines.append(Line("hs.answer_cell", cell))
    call, plan = (
        plan_row(r, "action.health_recovery_call"),
        plan_row(r, "action.health_recovery_plan"),
    )
    if call is not None and plan is not None:
        due = {"call_due": call["due_date"], "plan_due": plan["due_date"]}
        lines.append(Line("hs.answer_plan", {"count": int(call["entities"]), **due}))
    if not validated(r):
        lines.append(Line("hs.answer_unvalidated"))
    return tuple(lines)


def why(r: AnalysisResult) -> tuple[Line, ...]:
    lines = []
    found = finding_line(r, "hs.distribution", id="distribution")
    if found is not None:
        lines.append(found)
    cell = weakest_cell(r)
    if cell:
        lines.append(Line("hs.why_cell", cell, id="matrix"))
    driver = drivers(r)
    if driver:
        lines.append(Line("hs.why_driver", driver, id="driver"))
    found = finding_line(r, "hs.low_profile_activity")
    if found is not None:
        lines.append(found)
    check = backtest(r)
    if check is not None:
        lines.append(check)
    outlook = finding_line(r, "hs.outlook", strength="weak")
    if outlook is not None:
        lines.append(outlook)
    return tuple(lines)


def limits(r: AnalysisResult) -> tuple[Line, ...]:
    lines = [Line(f.code, f.params) for f in r.findings if f.code in LIMIT_FINDINGS]
    return (*lines, Line("hs.limit_causes"))


def actions(r: AnalysisResult) -> tuple[Line, ...]:
    recs = {x.code: x for x in r.recommendations}
    lines = [
        Line(
            code,
            {**recs[code].params, "plan_action": PLAN_ACTION.get(code)},
            severity="action",
            strength="weak" if code in WEAK_ACTIONS else "strong",
        )
        for code in (*ACTION_ORDER, *WEAK_ACTIONS)  # weak evidence last
        if code in recs
    ]
    return tuple(lines)


def trigger(r: AnalysisResult) -> Line:
    rules = default_rules(ANALYSIS)
    share = rules.get("health_low_share_up_10pct", {})
    mean = rules.get("health_mean_falling_3_runs", {})
    return Line(
        "hs.trigger",
        {
            "relative": share.get("relative"),
            "share": metric(r, "low_health_share"),
            "drop": mean.get("absolute"),
            "runs": mean.get("runs"),
            "mean": metric(r, "mean_score"),
        },
        severity="warning",
    )


def summary(r: AnalysisResult) -> tuple[Line, ...]:
    params = {
        "low": metric(r, "low_health"),
        "accounts": metric(r, "accounts"),
        "share": metric(r, "low_health_share"),
    }
    lines = [Line("hs.summary", params, severity="warning")]
    if not validated(r):
        lines.append(Line("hs.summary_unvalidated"))
    return tuple(lines)


# ---- chart takeaways --------------------------------------------------------------------------


def _distribution(r: AnalysisResult) -> Line | None:
    bands = r.tables["score_distribution"]
    if bands.empty:
        return None
    band = top_n(bands, 1, ["accounts", "band"], [False, True]).iloc[0]
    return Line(
        "hs.cap.distribution",
        {
            "low": metric(r, "low_health"),
            "accounts": metric(r, "accounts"),
            "medium": r.method.get("medium_score"),
            "band": int(band["band"]),
            "count": int(band["accounts"]),
        },
    )


def _risk_matrix(r: AnalysisResult) -> Line | None:
    cell = weakest_cell(r)
    return Line("hs.cap.risk_matrix", cell) if cell else None


def _variance(r: AnalysisResult) -> Line | None:
    driver = drivers(r)
    return Line("hs.cap.variance", driver) if driver else None


CAPTIONS = {
    "hs_distribution": Caption(_distribution, "distribution"),
    "hs_risk_matrix": Caption(_risk_matrix, "matrix"),
    "hs_variance_shares": Caption(_variance, "driver"),
}
