"""Contact coverage told answer-first: the answer with its key numbers, why (which tracks fail,
which industries, departments and sizes), what the data cannot tell, the prioritised actions
(their owners and due dates come from the plan), the alert trigger, the executive-summary lines
and one computed takeaway per chart.  Lines are catalog keys with parameters taken from the
result's metrics, method and tables (nothing is recomputed here: the lines pick rows)."""

from __future__ import annotations

import pandas as pd

from crmlens.analyses.base import AnalysisResult
from crmlens.analyses.toolkit import top_n
from crmlens.report.views import Caption, Line, default_rules

ANALYSIS = "contact_coverage"
# the plan action each recommendation is carried out by (its owner and due date)
PLAN_ACTION = {
    "rec.fix_data": "action.fix_employee_count",
    "rec.add_executives": "action.add_executives",
    "rec.add_contacts": "action.add_contacts",
    "rec.cover_departments": "action.add_departments",
    "rec.monitor": "action.review_targets",
}
ACTION_ORDER = tuple(PLAN_ACTION)  # data first (it unblocks the data gaps), then the gaps
LIMIT_FINDINGS = ("cc.data_gap", "dq.revenue_null")
UNKNOWN_SIZES = {"unknown", "(unknown)", ""}
EMPTY_PLAN = pd.DataFrame({"action": [], "milestone_days": []})


def _v(r: AnalysisResult, name: str):
    return r.metric(name) if name in r.metrics else None


def peers(table: pd.DataFrame, r: AnalysisResult, size: str = "key_accounts") -> pd.DataFrame:
    """Rows of a breakdown with enough key accounts to compare (the peer minimum)."""
    return table[table[size] >= r.method.get("peer_min_group_size", 1)]


def industry_leaders(r: AnalysisResult) -> dict | None:
    """The industry with the highest high-risk share (among groups of the peer minimum) and the
    one with the most high-risk accounts."""
    table = peers(r.tables["by_industry"], r)
    table = table[table["high"] > 0]
    if table.empty:
        return None
    share = top_n(table, 1, ["high_share", "industry_normalized"], [False, True]).iloc[0]
    count = top_n(table, 1, ["high", "industry_normalized"], [False, True]).iloc[0]
    return {
        "top_share": share["industry_normalized"],
        "share": share["high_share"],
        "share_accounts": int(share["key_accounts"]),
        "top_count": count["industry_normalized"],
        "count": int(count["high"]),
    }


def size_extremes(r: AnalysisResult) -> dict | None:
    table = r.tables["density_by_size"].dropna(subset=["median"])
    known = ~table["company_size_category"].str.lower().isin(UNKNOWN_SIZES)
    table = table[known]  # a size class "Unknown" says nothing about size
    if len(table) < 2:
        return None
    low = top_n(table, 1, ["median", "company_size_category"], [True, True]).iloc[0]
    high = top_n(table, 1, ["median", "company_size_category"], [False, True]).iloc[0]
    return {
        "low": low["company_size_category"],
        "low_median": low["median"],
        "high": high["company_size_category"],
        "high_median": high["median"],
        "red_line": r.method["density_red_line"],
    }


def weakest_cell(r: AnalysisResult) -> dict | None:
    table = peers(r.tables["department_coverage_by_industry"], r, "accounts")
    if table.empty:
        return None
    cell = top_n(table, 1, ["coverage_rate", "industry_normalized", "department"]).iloc[0]
    return {
        "department": cell["department"],
        "industry": cell["industry_normalized"],
        "rate": cell["coverage_rate"],
        "accounts": int(cell["accounts"]),
    }


def top_gap(r: AnalysisResult) -> dict | None:
    gaps = r.tables["department_gaps"]
    if gaps.empty or gaps["accounts_missing"].max() == 0:
        return None
    g = top_n(gaps, 1, ["accounts_missing", "department"], [False, True]).iloc[0]
    return {
        "department": g["department"],
        "count": int(g["accounts_missing"]),
        "share": g["share_missing"],
    }


# ---- the story ------------------------------------------------------------------------------


def answer(r: AnalysisResult) -> tuple[Line, ...]:
    lines = [
        Line(
            "cc.answer",
            {
                "high": _v(r, "high_risk"),
                "key": _v(r, "key_accounts"),
                "share": _v(r, "high_risk_share"),
                "gap": _v(r, "data_gap"),
                "decision": _v(r, "decision_pass_rate"),
                "coverage": _v(r, "coverage_pass_rate"),
            },
        )
    ]
    plan = r.tables.get("plan_summary", EMPTY_PLAN)  # absent from results saved before it
    if _v(r, "plan_new_contacts") is not None and len(plan):
        lines.append(
            Line(
                "cc.answer_plan",
                {
                    "contacts": _v(r, "plan_new_contacts"),
                    "executives": _v(r, "plan_new_executives"),
                    "departments": _v(r, "departments_to_add"),
                    "days": int(plan["milestone_days"].max()),
                },
            )
        )
    return tuple(lines)


def why(r: AnalysisResult) -> tuple[Line, ...]:
    lines = [
        Line(
            "cc.why_tracks",
            {
                "key": _v(r, "key_accounts"),
                "decision": _v(r, "fail_decision_red_line"),
                "coverage": _v(r, "fail_coverage_red_line"),
                "density": _v(r, "fail_density_red_line"),
                "strong": _v(r, "strong_risk"),
            },
            id="tracks",
        )
    ]
    lines += found(r, "cc.risk_model", "cc.peer_collapsed", "cc.peer_distinct")
    leaders = industry_leaders(r)
    if leaders:
        lines.append(Line("cc.why_industry", leaders, id="industry"))
    gap = top_gap(r)
    if gap:
        lines.append(Line("cc.top_department_gap", gap, id="departments"))
    sizes = size_extremes(r)
    if sizes:
        lines.append(Line("cc.why_size", sizes, id="size"))
    lines += found(r, "cc.size_inferred", "cc.joint_plan")
    lines += outcome(r)
    lines.append(Line("cc.why_evidence"))
    return tuple(lines)


def found(r: AnalysisResult, *codes: str) -> list[Line]:
    """The second pass's findings (issue 14) in the analysis' own words, in ``codes`` order."""
    by_code = {f.code: f for f in r.findings}
    return [Line(code, by_code[code].params) for code in codes if code in by_code]


def outcome(r: AnalysisResult) -> list[Line]:
    """Did high-risk accounts win less often? Anything but a supported verdict is weak evidence."""
    for f in r.findings:
        if f.code == "cc.outcome_verdict":
            weak = f.params.get("verdict") != "outcome.supports"
            return [Line(f.code, f.params, strength="weak" if weak else "strong")]
        if f.code == "cc.outcome_skipped":
            return [Line(f.code, f.params, strength="weak")]
    return []


def limits(r: AnalysisResult) -> tuple[Line, ...]:
    lines = [Line(f.code, f.params) for f in r.findings if f.code in LIMIT_FINDINGS]
    live = _v(r, "contacts_live") or 0
    if _v(r, "contacts_dept_unknown"):
        share = _v(r, "contacts_dept_unknown") / live if live else None
        lines.append(
            Line("cc.limit_departments", {"count": _v(r, "contacts_dept_unknown"), "share": share})
        )
    if _v(r, "contacts_title_unrecognised"):
        lines.append(Line("cc.limit_titles", {"count": _v(r, "contacts_title_unrecognised")}))
    lines.append(Line("cc.limit_crm"))
    return tuple(lines)


def actions(r: AnalysisResult) -> tuple[Line, ...]:
    recs = {x.code: x for x in r.recommendations}
    lines = [
        Line(code, {**recs[code].params, "plan_action": PLAN_ACTION[code]}, severity="action")
        for code in ACTION_ORDER
        if code in recs and code != "rec.monitor"
    ]
    lines += [
        Line(x.code, x.params, severity="action")
        for x in r.recommendations
        if x.code == "rec.queue"
    ]
    return tuple(lines)


def trigger(r: AnalysisResult) -> Line:
    rules = default_rules(ANALYSIS)
    return Line(
        "cc.trigger",
        {
            "decision_line": rules.get("decision_pass_rate_low", {}).get("value"),
            "decision": _v(r, "decision_pass_rate"),
            "density_line": rules.get("density_pass_rate_low_2_runs", {}).get("value"),
            "density": _v(r, "density_pass_rate"),
            "growth": rules.get("high_risk_up_10pct", {}).get("relative"),
            "high": _v(r, "high_risk"),
        },
        severity="warning",
    )


def summary(r: AnalysisResult) -> tuple[Line, ...]:
    lines = [
        Line(
            "cc.summary_risk",
            {
                "high": _v(r, "high_risk"),
                "key": _v(r, "key_accounts"),
                "share": _v(r, "high_risk_share"),
                "gap": _v(r, "data_gap"),
            },
            severity="critical",
        )
    ]
    gap = top_gap(r)
    if gap:
        lines.append(
            Line(
                "cc.summary_gaps",
                {"decision": _v(r, "decision_pass_rate"), **gap},
                severity="warning",
            )
        )
    plan = r.tables.get("plan_summary", EMPTY_PLAN)
    execs = plan[plan["action"] == "action.add_executives"]
    if len(execs):
        row = execs.iloc[0]
        lines.append(
            Line(
                "cc.summary_action",
                {
                    "executives": row["quantity"],
                    "accounts": row["entities"],
                    "due": row["due_date"],
                    "owner": str(row["owner_role"]).split("; "),
                },
                severity="action",
            )
        )
    return tuple(lines)


# ---- chart takeaways --------------------------------------------------------------------------


def _risk_distribution(r: AnalysisResult) -> Line:
    return Line(
        "cc.cap.risk_distribution",
        {
            "high": _v(r, "high_risk"),
            "key": _v(r, "key_accounts"),
            "cut": r.method["tiers"]["high"],
        },
    )


def _density_decision(r: AnalysisResult) -> Line:
    return Line(
        "cc.cap.density_decision",
        {
            "below": _v(r, "fail_decision_red_line"),
            "key": _v(r, "key_accounts"),
            "line": r.method["decision_ratio_red_line"],
            "density": _v(r, "fail_density_red_line"),
        },
    )


def _density_by_size(r: AnalysisResult) -> Line | None:
    sizes = size_extremes(r)
    return Line("cc.cap.density_by_size", sizes) if sizes else None


def _coverage_heatmap(r: AnalysisResult) -> Line | None:
    cell = weakest_cell(r)
    if cell is None:
        return None
    return Line(
        "cc.cap.coverage_heatmap_none" if cell["rate"] == 0 else "cc.cap.coverage_heatmap", cell
    )


def _high_risk_by_industry(r: AnalysisResult) -> Line | None:
    leaders = industry_leaders(r)
    if not leaders:
        return None
    same = leaders["top_share"] == leaders["top_count"]
    return Line("cc.cap.high_risk_same" if same else "cc.cap.high_risk_by_industry", leaders)


def _department_gaps(r: AnalysisResult) -> Line | None:
    gap = top_gap(r)
    return Line("cc.cap.department_gaps", gap) if gap else None


CAPTIONS = {
    "cc_risk_distribution": Caption(_risk_distribution, "tracks"),
    "cc_density_decision": Caption(_density_decision, "tracks"),
    "cc_high_risk_by_industry": Caption(_high_risk_by_industry, "industry"),
    "cc_department_gaps": Caption(_department_gaps, "departments"),
    "cc_coverage_heatmap": Caption(_coverage_heatmap, "departments"),
    "cc_density_by_size": Caption(_density_by_size, "size"),
}
