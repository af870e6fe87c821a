"""Campaign ROI decay told answer-first: what the campaigns returned and how fast their ROI fades
(answer), why (the fitted curve, break-even, targeted vs broad, campaign types — a curve fitted on
few campaigns or with a wide interval is weak evidence), what the data cannot tell, the actions
(owners and due dates from the plan), the alert trigger, summary lines and one takeaway per chart.
Lines pick values from the result's metrics, findings and tables; nothing is recomputed."""

from __future__ import annotations

import math

import pandas as pd

from crmlens.analyses.base import AnalysisResult
from crmlens.analyses.toolkit import top_n
from crmlens.report.views import Caption, Line, default_rules, finding_line, metric

ANALYSIS = "roi_decay"
WIDE = 4.0  # a half-life interval whose upper end is more than WIDE × its lower end is weak
PLAN_ACTION = {"rec.roi_stop_refresh": "action.roi_stop_or_refresh"}
ACTION_ORDER = ("rec.roi_stop_refresh", "rec.roi_shift_budget", "rec.roi_standardise")
DECAY_CODES = ("roi.decay", "roi.decay_no_ci", "roi.not_fitted")
CLAIM_CODES = ("roi.claim_holds", "roi.claim_partly", "roi.claim_fails", "roi.claim_not_testable")
LIMIT_FINDINGS = ("dq.roi_revenue_before_start", "dq.roi_unknown_campaign")


def fits(r: AnalysisResult, kind: str) -> pd.DataFrame:
    """The fitted curves of one group kind (a fit stuck at a bound of its range is no curve)."""
    table = r.tables["decay_fits"]
    return table[(table["group_kind"] == kind) & table["fitted"] & ~table["at_bound"]]


def weak_fit(row) -> bool:
    """A curve is weak evidence when its half-life has no interval or a wide one."""
    low, high = row["half_life_low"], row["half_life_high"]
    if not (math.isfinite(low) and math.isfinite(high)) or low <= 0:
        return True
    return high > WIDE * low


def overall(r: AnalysisResult):
    every = fits(r, "all")
    return every.iloc[0] if len(every) else None


def decay_is_weak(r: AnalysisResult) -> bool:
    row = overall(r)
    return row is None or weak_fit(row)


def type_extremes(r: AnalysisResult) -> dict | None:
    """The campaign types with the highest and lowest ROI over all their months."""
    table = r.tables["decay_fits"]
    types = table[(table["group_kind"] == "type") & table["roi"].notna()]
    if len(types) < 2:
        return None
    best = top_n(types, 1, ["roi", "group"], [False, True]).iloc[0]
    worst = top_n(types, 1, ["roi", "group"], [True, True]).iloc[0]
    return {
        "best": best["group"],
        "best_roi": best["roi"],
        "best_campaigns": int(best["campaigns"]),
        "worst": worst["group"],
        "worst_roi": worst["roi"],
        "worst_campaigns": int(worst["campaigns"]),
        "unfitted": table[(table["group_kind"] == "type") & ~table["fitted"]]["group"].tolist(),
    }


def targeting(r: AnalysisResult) -> dict | None:
    rows = {row["group"]: row for _, row in fits(r, "targeting").iterrows()}
    if not {"targeted", "broad"} <= set(rows):
        return None
    t, b = rows["targeted"], rows["broad"]
    return {
        "t_start": t["start_roi"],
        "t_floor": t["floor_roi"],
        "t_campaigns": int(t["campaigns"]),
        "b_start": b["start_roi"],
        "b_floor": b["floor_roi"],
        "b_campaigns": int(b["campaigns"]),
        "weak": weak_fit(t) or weak_fit(b),
    }


# ---- the story ------------------------------------------------------------------------------


def _overall_params(r: AnalysisResult) -> dict:
    return {
        "campaigns": metric(r, "campaigns"),
        "spend": metric(r, "total_spend"),
        "revenue": metric(r, "attributed_revenue"),
        "roi": metric(r, "overall_roi"),
    }


def answer(r: AnalysisResult) -> tuple[Line, ...]:
    lines = [Line("roi.answer", _overall_params(r))]
    row = overall(r)
    if row is not None:
        params = {"half_life": row["half_life"], "floor": row["floor_roi"]}
        weak = weak_fit(row)
        lines.append(Line("roi.answer_decay_weak" if weak else "roi.answer_decay", params))
    else:
        lines.append(Line("roi.answer_not_fitted"))
    past = metric(r, "campaigns_past_break_even")
    if past:
        spend = {"count": past, "monthly": metric(r, "monthly_spend_at_stake")}
        lines.append(Line("roi.answer_past", spend))
    else:
        lines.append(Line("roi.answer_none_past", {"running": metric(r, "campaigns_running")}))
    return tuple(lines)


def why(r: AnalysisResult) -> tuple[Line, ...]:
    lines = []
    weak = "weak" if decay_is_weak(r) else "strong"
    for code in DECAY_CODES:
        found = finding_line(r, code, id="decay", strength=weak)
        if found is not None:
            lines.append(found)
    for code in ("roi.break_even", "roi.never_below", "roi.past_break_even"):
        found = finding_line(r, code, strength=weak if code != "roi.past_break_even" else "strong")
        if found is not None:
            lines.append(found)
    pair = targeting(r)
    for code in CLAIM_CODES:
        strength = "weak" if pair is None or pair["weak"] else "strong"
        found = finding_line(r, code, id="targeting", strength=strength)
        if found is not None:
            lines.append(found)
    types = type_extremes(r)
    if types:
        key = "roi.why_types_unfitted" if types["unfitted"] else "roi.why_types"
        lines.append(Line(key, types, id="types"))
    return tuple(lines)


def limits(r: AnalysisResult) -> tuple[Line, ...]:
    lines = [Line(f.code, f.params) for f in r.findings if f.code in LIMIT_FINDINGS]
    fit = {"campaigns": metric(r, "campaigns"), "minimum": r.method.get("min_campaigns")}
    return (*lines, Line("roi.limit_fit", fit), Line("roi.limit_attribution"))


def actions(r: AnalysisResult) -> tuple[Line, ...]:
    recs = {x.code: x for x in r.recommendations}
    weak = {"rec.roi_shift_budget": _types_weak(r), "rec.roi_standardise": _targeting_weak(r)}
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
    if not lines:
        lines.append(Line("roi.action_keep", {"running": metric(r, "campaigns_running")}))
    return tuple(sorted(lines, key=lambda line: line.strength == "weak"))


def _types_weak(r: AnalysisResult) -> bool:
    types = fits(r, "type")
    return types.empty or any(weak_fit(row) for _, row in types.iterrows())


def _targeting_weak(r: AnalysisResult) -> bool:
    pair = targeting(r)
    return pair is None or pair["weak"]


def trigger(r: AnalysisResult) -> Line:
    rules = default_rules(ANALYSIS)
    return Line(
        "roi.trigger",
        {
            "line": rules.get("overall_roi_below_break_even", {}).get("value"),
            "roi": metric(r, "overall_roi"),
            "relative": rules.get("roi_spend_at_stake_up_20pct", {}).get("relative"),
            "monthly": metric(r, "monthly_spend_at_stake"),
        },
        severity="warning",
    )


def summary(r: AnalysisResult) -> tuple[Line, ...]:
    lines = [Line("roi.summary", _overall_params(r), severity="info")]
    past = metric(r, "campaigns_past_break_even")
    if past:
        spend = {"count": past, "monthly": metric(r, "monthly_spend_at_stake")}
        lines.insert(0, Line("roi.summary_past", spend, severity="critical"))
    row = overall(r)
    if row is not None:
        params = {"half_life": row["half_life"], "low": row["half_life_low"]}
        params["high"] = row["half_life_high"]
        weak = weak_fit(row)
        lines.append(Line("roi.summary_decay", params, strength="weak" if weak else "strong"))
    return tuple(lines)


# ---- chart takeaways --------------------------------------------------------------------------


def _by_targeting(r: AnalysisResult) -> Line | None:
    pair = targeting(r)
    if pair is None:
        row = overall(r)
        if row is None:
            return None
        params = {"start": row["start_roi"], "floor": row["floor_roi"]}
        return Line("roi.cap.decay_overall", params)
    return Line("roi.cap.decay_by_targeting", pair)


def _by_type(r: AnalysisResult) -> Line | None:
    types = type_extremes(r)
    return Line("roi.cap.by_type", types) if types else None


CAPTIONS = {
    "roi_decay_by_targeting": Caption(_by_targeting, "targeting"),
    "roi_cumulative_by_type": Caption(_by_type, "types"),
}
