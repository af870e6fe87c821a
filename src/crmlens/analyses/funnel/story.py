"""The pipeline funnel told answer-first: how deals convert and what the quarter will bring
(answer), why (the stage that leaks most, where lost deals drop out, how far the win probabilities
can be trusted — a model not trained, or no better than the stage win rates, is weak evidence),
what the data cannot tell, the actions (owners and due dates from the plan), the alert trigger,
summary lines and one takeaway per chart.  Lines pick values from the result's metrics, findings
and tables; nothing is recomputed."""

from __future__ import annotations

from crmlens.analyses.base import AnalysisResult
from crmlens.analyses.funnel.forecast import UNDATED
from crmlens.analyses.toolkit import top_n
from crmlens.report.views import Caption, Line, default_rules, finding_line, metric

ANALYSIS = "funnel"
PLAN_ACTION = {
    "rec.funnel_unstick": "action.funnel_unstick",
    "rec.funnel_qualify": "action.funnel_qualify_or_close",
}
ACTION_ORDER = (
    "rec.funnel_unstick",
    "rec.funnel_qualify",
    "rec.funnel_bottleneck",
    "rec.funnel_use_model",
)
MODEL_CODES = ("fn.model_better", "fn.model_not_better", "fn.model_not_trained")
PEOPLE_CODES = ("fn.model_beats_reps", "fn.reps_beat_model", "fn.reps_overconfident")
OVERRIDE_CODES = (
    "fn.overrides_in_force",
    "fn.override_helps",
    "fn.override_hurts",
    "fn.overrides_unknown_deals",
)


def model_is_weak(r: AnalysisResult) -> bool:
    """Weak unless the back-test showed the model closer to the outcomes than the stage rates."""
    return not any(f.code == "fn.model_better" for f in r.findings)


def backtest_row(r: AnalysisResult, source: str):
    scores = r.tables.get("backtest_scores")
    if scores is None or scores.empty or source not in set(scores["source"]):
        return None
    return scores[scores["source"] == source].iloc[0]


def conversion_extremes(r: AnalysisResult) -> dict | None:
    conv = r.tables["conversion"].dropna(subset=["conversion"])
    if conv.empty:
        return None
    worst = top_n(conv, 1, ["conversion", "order"], [True, True]).iloc[0]
    best = top_n(conv, 1, ["conversion", "order"], [False, True]).iloc[0]
    return {
        "stage": worst["stage"],
        "conversion": worst["conversion"],
        "reached": int(worst["reached"]),
        "best": best["stage"],
        "best_conversion": best["conversion"],
    }


# ---- the story ------------------------------------------------------------------------------


def _forecast(r: AnalysisResult) -> dict:
    """This quarter's forecast and, when the result has it, next quarter's (``next_*``): when the
    data end near a quarter's end, this quarter has almost nothing left to book."""
    quarters = r.tables["forecast"]
    if len(quarters):
        quarters = quarters[quarters["quarter"] != UNDATED]
    params = {
        "quarter": quarters["quarter"].iloc[0] if len(quarters) else None,
        "expected": metric(r, "forecast_this_quarter"),
        "low": metric(r, "forecast_low"),
        "high": metric(r, "forecast_high"),
        "level": r.method.get("interval"),
        "end": r.method.get("window_end"),
    }
    if len(quarters) > 1:
        following = quarters.iloc[1]
        params |= {
            "next_quarter": following["quarter"],
            "next_expected": following["expected"],
            "next_low": following["interval_low"],
            "next_high": following["interval_high"],
        }
    return params


def _with_next(key: str, params: dict) -> str:
    """``key``, or its ``_next`` wording when next quarter's forecast is there."""
    return f"{key}_next" if "next_quarter" in params else key


def answer(r: AnalysisResult) -> tuple[Line, ...]:
    lines = [
        Line(
            "fn.answer",
            {
                "closed": metric(r, "closed_deals"),
                "win_rate": metric(r, "win_rate"),
                "open": metric(r, "open_deals"),
                "pipeline": metric(r, "pipeline"),
                "weighted": metric(r, "weighted_pipeline"),
            },
        ),
    ]
    quarters = _forecast(r)
    strength = "weak" if model_is_weak(r) else "strong"
    lines.append(Line(_with_next("fn.answer_forecast", quarters), quarters, strength=strength))
    leak = conversion_extremes(r)
    if leak:
        lines.append(Line("fn.answer_leak", {**leak, "stuck": metric(r, "stuck_deals")}))
    return tuple(lines)


def why(r: AnalysisResult) -> tuple[Line, ...]:
    lines = []
    found = finding_line(r, "fn.bottleneck", id="conversion")
    if found is not None:
        lines.append(found)
    found = finding_line(r, "fn.drops")
    if found is not None:
        lines.append(found)
    strength = "weak" if model_is_weak(r) else "strong"
    for code in MODEL_CODES:
        found = finding_line(r, code, id="model", strength=strength)
        if found is not None:
            lines.append(found)
    for code in (*PEOPLE_CODES, "fn.stuck", *OVERRIDE_CODES):
        lines += [Line(f.code, f.params) for f in r.findings if f.code == code]
    return tuple(lines)


def limits(r: AnalysisResult) -> tuple[Line, ...]:
    lines = []
    model = backtest_row(r, "model")
    if model is not None:
        split = r.method.get("backtest_split")
        lines.append(Line("fn.limit_backtest", {"n": int(model["n"]), "split": split}))
    return (*lines, Line("fn.limit_history"))


def actions(r: AnalysisResult) -> tuple[Line, ...]:
    recs = {x.code: x for x in r.recommendations}
    weak = {"rec.funnel_use_model": model_is_weak(r)}
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
    return tuple(sorted(lines, key=lambda line: line.strength == "weak"))


def trigger(r: AnalysisResult) -> Line:
    rules = default_rules(ANALYSIS)

    def relative(rule: str):
        return rules.get(rule, {}).get("relative")

    return Line(
        "fn.trigger",
        {
            "forecast_drop": relative("funnel_forecast_down"),
            "expected": metric(r, "forecast_this_quarter"),
            "conversion_drop": relative("funnel_stage_conversion_drop"),
            "conversion": metric(r, "lowest_stage_conversion"),
            "stuck_up": relative("funnel_stuck_deals_up"),
            "stuck": metric(r, "stuck_deals"),
            "brier_up": relative("funnel_calibration_degrading"),
        },
        severity="warning",
    )


def summary(r: AnalysisResult) -> tuple[Line, ...]:
    params = {**_forecast(r), "win_rate": metric(r, "win_rate"), "stuck": metric(r, "stuck_deals")}
    lines = [Line(_with_next("fn.summary", params), params, severity="warning")]
    if model_is_weak(r):
        lines.append(Line("fn.summary_model_weak", strength="weak"))
    return tuple(lines)


# ---- chart takeaways --------------------------------------------------------------------------


def _conversion(r: AnalysisResult) -> Line | None:
    leak = conversion_extremes(r)
    return Line("fn.cap.conversion", leak) if leak else None


def _reliability(r: AnalysisResult) -> Line | None:
    rows = {s: backtest_row(r, s) for s in ("model", "baseline", "reps")}
    if rows["baseline"] is None:
        return None
    params = {
        "split": r.method.get("backtest_split"),
        "n": int(rows["baseline"]["n"]),
        "baseline": rows["baseline"]["brier"],
    }
    if rows["model"] is None:
        return Line("fn.cap.reliability_baseline", params)
    params["model"] = rows["model"]["brier"]
    if rows["reps"] is None:
        return Line("fn.cap.reliability_no_reps", params)
    return Line("fn.cap.reliability", {**params, "reps": rows["reps"]["brier"]})


CAPTIONS = {
    "fn_conversion": Caption(_conversion, "conversion"),
    "fn_reliability": Caption(_reliability, "model"),
}
