"""Investment mismatch told answer-first: how many top-priority customers underperform and what it
costs (answer), why (a priority score that does not track results, where the gap sits, which
drivers; a weak model is called weak), what the data cannot tell, the prioritised actions (owners
and due dates from the plan), the alert trigger, summary lines and one takeaway per chart.  Lines
pick values from the result's metrics, method and tables; nothing is recomputed."""

from __future__ import annotations

import pandas as pd

from crmlens.analyses.base import AnalysisResult
from crmlens.analyses.investment_mismatch.stages import worst_stage
from crmlens.analyses.toolkit import top_n
from crmlens.report.views import Caption, Line, Story, default_rules

ANALYSIS = "investment_mismatch"
WEAK_R2 = 0.3  # a model explaining less than this share of the variance is weak evidence
SIGNIFICANT_P = 0.05
PLAN_ACTION = {
    "rec.mm.onboarding_gate": "action.mm.onboarding",
    "rec.mm.onboarding_gate_pool": "action.mm.onboarding",
    "rec.mm.pilot_model": "action.mm.reprioritise",
    "rec.mm.component": "action.mm.success_plan",
    "rec.mm.recalibrate": "action.mm.reprioritise",
}
ACTION_ORDER = (
    "rec.mm.onboarding_gate",
    "rec.mm.onboarding_gate_pool",
    "rec.mm.component",
    "rec.mm.roi_alert",
    "rec.mm.industry",
    "rec.mm.lifecycle_gate",
    "rec.mm.recalibrate",
    "rec.mm.pilot_model",
)
LIMIT_FINDINGS = ("mm.join", "dq.mm_data_gap", "dq.mm_top_roi_unknown")
BIAS_FINDINGS = ("mm.bias_follows", "mm.bias_follows_none", "mm.bias_ignores")


def _v(r: AnalysisResult, name: str):
    return r.metric(name) if name in r.metrics else None


def model_is_weak(r: AnalysisResult) -> bool:
    """The analysis' own verdict (``model_evidence``); a result without it: R² below WEAK_R2."""
    evidence = _v(r, "model_evidence")
    if evidence is not None:
        return evidence == "weak"
    r2 = _v(r, "model_cv_r2")
    return r2 is None or r2 < WEAK_R2


def stages_differ(r: AnalysisResult) -> bool:
    """Does lifecycle stage explain ROI inside the mismatched cohort (the cohort ANOVA)?"""
    p = _v(r, "cohort_anova_p")
    return p is not None and p < SIGNIFICANT_P


def finding(r: AnalysisResult, code: str):
    return next((f for f in r.findings if f.code == code), None)


def largest_gap(r: AnalysisResult) -> dict | None:
    table = r.tables["gap_decomposition"].dropna(subset=["share"])
    if table.empty:
        return None
    row = top_n(table, 1, ["share", "component"], [False, True]).iloc[0]
    return {"component": row["component"], "share": row["share"]}


def stage_leaders(r: AnalysisResult) -> dict | None:
    """Within the top-priority pool: the stage with the highest mismatch rate (stages with enough
    top-priority customers) and the stage with the most mismatched customers."""
    table = r.tables["stages"]
    if table.empty or table["mismatched"].max() == 0:
        return None
    rate = worst_stage(table, r.method.get("min_group_size", 1))
    if rate is None:
        return None
    count = top_n(table, 1, ["mismatched", "lifecycle_stage"], [False, True]).iloc[0]
    return {
        "stage": rate["lifecycle_stage"],
        "rate": rate["mismatch_rate_in_top"],
        "count_stage": count["lifecycle_stage"],
        "count": int(count["mismatched"]),
    }


def team_extremes(r: AnalysisResult) -> dict | None:
    table = r.tables["team_decision"].dropna(subset=["mean_roi"])
    table = table[table["customers"] >= r.method.get("min_group_size", 1)]
    if len(table) < 2:
        return None
    keys = ["mean_roi", "team_size_bucket", "executive"]
    low = top_n(table, 1, keys, [True, True, True]).iloc[0]
    high = top_n(table, 1, keys, [False, True, True]).iloc[0]
    return {
        "low": low["team_size_bucket"],
        "low_roi": low["mean_roi"],
        "high": high["team_size_bucket"],
        "high_roi": high["mean_roi"],
    }


def worst_group(r: AnalysisResult) -> dict | None:
    groups = r.tables["groups"].dropna(subset=["rr"])
    if groups.empty:
        return None
    g = groups.iloc[0]  # highest relative risk first
    return {
        "industry": g["industry_vertical"],
        "size": g["company_size_tier"],
        "rr": g["rr"],
        "rate": g["mismatch_rate"],
    }


# ---- the story ------------------------------------------------------------------------------


def story(r: AnalysisResult) -> Story:
    return Story(
        answer=(
            Line(
                "mm.answer",
                {
                    "mismatched": _v(r, "mismatched"),
                    "top": _v(r, "top_priority"),
                    "rate": _v(r, "mismatch_rate_in_top"),
                    "roi_mm": _v(r, "roi_mean_mismatched"),
                    "roi_ok": _v(r, "roi_mean_top_matched"),
                    "below": _v(r, "top_roi_below_alert"),
                    "alert": r.method.get("roi_alert"),
                },
            ),
        ),
        why=why(r),
        limits=limits(r),
        actions=actions(r),
        trigger=trigger(r),
        summary=summary(r),
    )


def why(r: AnalysisResult) -> tuple[Line, ...]:
    corr = {"corr": _v(r, "corr_priority_composite"), "corr_roi": _v(r, "corr_priority_roi")}
    lines = [Line("mm.why_bias", corr, id="bias")]
    lines += [Line(f.code, f.params) for f in r.findings if f.code in BIAS_FINDINGS]
    roi = finding(r, "mm.roi_gap")
    if roi is not None:
        lines.append(Line(roi.code, roi.params, id="roi"))
    for code in ("mm.pool_behaviour", "mm.root_cause"):
        found = finding(r, code)
        if found is not None:
            lines.append(Line(found.code, found.params))
    gap = largest_gap(r)
    if gap:
        lines.append(Line("mm.why_component", gap, id="component"))
    group = worst_group(r)
    if group:
        lines.append(Line("mm.why_group", group, id="group"))
    stages = stage_leaders(r)
    if stages:
        p = {"p": _v(r, "cohort_anova_p")}
        key, strength = (
            ("mm.why_stage", "strong") if stages_differ(r) else ("mm.why_stage_unclear", "weak")
        )
        lines.append(Line(key, stages | p, id="stage", strength=strength))
    if _v(r, "corr_onboarding_adoption") is not None:
        onboarding = {"r": _v(r, "corr_onboarding_adoption"), "p": _v(r, "p_onboarding_adoption")}
        lines.append(Line("mm.why_onboarding", onboarding, id="onboarding"))
    team = team_extremes(r)
    if team:
        lines.append(Line("mm.why_team", team, id="team"))
    if _v(r, "model_cv_r2") is not None:
        lines.append(model_line(r))
    return tuple(lines)


def model_line(r: AnalysisResult) -> Line:
    weak = finding(r, "mm.model_weak")
    if weak is not None:  # the analysis' own words: weak evidence, a pilot, not a replacement
        return Line(weak.code, weak.params, id="model", strength="weak")
    params = {
        "r2": _v(r, "model_cv_r2"),
        "current": _v(r, "current_mismatch_rate_test"),
        "model": _v(r, "model_mismatch_rate_test"),
    }
    weak = model_is_weak(r)
    return Line("mm.why_model", params, id="model", strength="weak" if weak else "strong")


def limits(r: AnalysisResult) -> tuple[Line, ...]:
    lines = [Line(f.code, f.params) for f in r.findings if f.code in LIMIT_FINDINGS]
    return (*lines, Line("mm.limit_causal"))


def actions(r: AnalysisResult) -> tuple[Line, ...]:
    recs = {x.code: x for x in r.recommendations}
    weak = {
        "rec.mm.recalibrate": model_is_weak(r),
        "rec.mm.lifecycle_gate": not stages_differ(r),
    }
    lines = [
        Line(
            code,
            {**recs[code].params, "plan_action": PLAN_ACTION.get(code)},
            severity="action",
            strength="weak" if weak.get(code) else "strong",
        )
        for code in ACTION_ORDER
        if code in recs
    ]
    return tuple(sorted(lines, key=lambda line: line.strength == "weak"))  # weak evidence last


def trigger(r: AnalysisResult) -> Line | None:
    rule = default_rules(ANALYSIS).get("mismatch_rate_high")
    if rule is None:
        return None
    rate = _v(r, "mismatch_rate_in_top")
    fired = rate is not None and rate > rule["value"]
    key = "mm.trigger_fired" if fired else "mm.trigger"
    return Line(key, {"line": rule["value"], "rate": rate}, severity="warning")


def summary(r: AnalysisResult) -> tuple[Line, ...]:
    lines = [
        Line(
            "mm.summary_cohort",
            {
                "mismatched": _v(r, "mismatched"),
                "top": _v(r, "top_priority"),
                "rate": _v(r, "mismatch_rate_in_top"),
                "roi_mm": _v(r, "roi_mean_mismatched"),
                "roi_ok": _v(r, "roi_mean_top_matched"),
            },
            severity="critical",
        ),
        Line("mm.summary_bias", {"corr": _v(r, "corr_priority_composite")}, severity="warning"),
    ]
    plan = r.tables.get("plan_summary", pd.DataFrame())
    if len(plan):
        first, last = plan.iloc[0], plan.iloc[-1]
        params = {
            "action": first["action"],
            "count": first["entities"],
            "due": first["due_date"],
            "owner": str(first["owner_role"]).split("; "),
            "last_action": last["action"],
            "last_count": last["entities"],
            "last_due": last["due_date"],
        }
        lines.append(Line("mm.summary_action", params, severity="action"))
    if _v(r, "model_cv_r2") is not None and model_is_weak(r):
        lines.append(model_line(r))
    return tuple(lines)


# ---- chart takeaways --------------------------------------------------------------------------


def _quadrant(r: AnalysisResult) -> Line:
    return Line(
        "mm.cap.quadrant",
        {"mismatched": _v(r, "mismatched"), "corr": _v(r, "corr_priority_composite")},
    )


def _lifecycle(r: AnalysisResult) -> Line | None:
    stages = stage_leaders(r)
    if not stages:
        return None
    same = stages["stage"] == stages["count_stage"]
    return Line("mm.cap.lifecycle_same" if same else "mm.cap.lifecycle", stages)


def _roi(r: AnalysisResult) -> Line:
    return Line(
        "mm.cap.roi",
        {
            "mm": _v(r, "roi_mean_mismatched"),
            "ok": _v(r, "roi_mean_top_matched"),
            "below": _v(r, "top_roi_below_alert"),
            "alert": r.method.get("roi_alert"),
        },
    )


def _rr(r: AnalysisResult) -> Line | None:
    group = worst_group(r)
    return Line("mm.cap.rr", group) if group else None


def _onboarding(r: AnalysisResult) -> Line | None:
    if _v(r, "corr_onboarding_adoption") is None:
        return None
    return Line(
        "mm.cap.onboarding",
        {"r": _v(r, "corr_onboarding_adoption"), "p": _v(r, "p_onboarding_adoption")},
    )


def _team(r: AnalysisResult) -> Line | None:
    team = team_extremes(r)
    return Line("mm.cap.team", team) if team else None


CAPTIONS = {
    "mm_quadrant": Caption(_quadrant, "bias"),
    "mm_roi_distribution": Caption(_roi, "roi"),
    "mm_rr_heatmap": Caption(_rr, "group"),
    "mm_lifecycle": Caption(_lifecycle, "stage"),
    "mm_onboarding_adoption": Caption(_onboarding, "onboarding"),
    "mm_team_decision": Caption(_team, "team"),
}
