"""Report views of the pipeline funnel: headline metrics, tables, charts and method notes."""

from __future__ import annotations

from typing import Any, Callable

import altair as alt
import pandas as pd

from crmlens.analyses.base import AnalysisResult
from crmlens.analyses.funnel import story
from crmlens.report.charts import HEIGHT, WIDTH, Chart, base_config, with_labels
from crmlens.report.document import Bullets
from crmlens.report.i18n import t
from crmlens.report.views import AnalysisViews, TableView, told

HEADLINE = (
    "win_rate",
    "median_cycle_days",
    "open_deals",
    "pipeline",
    "weighted_pipeline",
    "forecast_this_quarter",
    "forecast_low",
    "forecast_high",
    "stuck_deals",
    "model_brier",
    "baseline_brier",
    "rep_brier",
)
WIN_RATE_COLUMNS = ("group", "closed", "won", "win_rate", "median_cycle_days")
TABLES = (
    TableView("conversion", ("stage", "reached", "still_open", "converted", "conversion"), 20),
    TableView("time_in_stage", ("stage", "segments", "median_days", "p75_days", "p90_days"), 20),
    TableView("drops", ("stage", "lost", "lost_share"), 20),
    TableView("backtest_scores", ("source", "n", "brier", "log_loss", "auc"), 20),
    TableView(
        "open_deals",
        (
            "priority_rank",
            "account_name",
            "owner_label",
            "stage",
            "amount",
            "p_win",
            "p_next",
            "rep_probability",
            "days_in_stage",
            "stuck",
            "driver_1",
            "driver_2",
            "driver_3",
        ),
        "top_n",
    ),
    TableView(
        "forecast",
        ("quarter", "open_deals", "pipeline", "expected", "interval_low", "interval_high"),
        20,
    ),
    TableView("forecast_by_owner", ("owner_label", "open_deals", "pipeline", "expected"), 20),
    TableView("realised_bookings", ("quarter", "won_amount"), 20),
    TableView(
        "override_judgement",
        ("changed_by", "judged", "brier_human", "brier_model", "brier_crm", "verdict"),
        20,
    ),
    TableView("override_scores", ("source", "n", "brier"), 20),
    TableView("by_source", WIN_RATE_COLUMNS, 20),
    TableView("by_type", WIN_RATE_COLUMNS, 20),
    TableView("by_amount_band", WIN_RATE_COLUMNS, 20),
)
COLUMN_FORMATS = {
    "stage": "t",
    "quarter": "t",  # a quarter such as 2026Q3 shows as is; "undated" is translated
    "source": "t",
    "reached": "int",
    "still_open": "int",
    "converted": "int",
    "conversion": "pct",
    "segments": "int",
    "median_days": "num",
    "p75_days": "num",
    "p90_days": "num",
    "lost": "int",
    "lost_share": "pct",
    "n": "int",
    "brier": "num",
    "log_loss": "num",
    "auc": "num",
    "amount": "usd",
    "p_win": "pct",
    "p_next": "pct",
    "rep_probability": "pct",
    "days_in_stage": "num",
    "stuck": "t",
    "driver_1": "t",
    "driver_2": "t",
    "driver_3": "t",
    "open_deals": "int",
    "scored_deals": "int",
    "pipeline": "usd",
    "expected": "usd",
    "interval_low": "usd",
    "interval_high": "usd",
    "won_amount": "usd",
    "closed": "int",
    "win_rate": "pct",
    "median_cycle_days": "num",
    "tier": "t",
    "action": "t",
    "judged": "int",
    "brier_human": "num",
    "brier_model": "num",
    "brier_crm": "num",
    "verdict": "t",
    "p_win_model": "pct",
}


def funnel_charts(r: AnalysisResult, lang: str) -> list[Chart]:
    L: Callable[..., str] = lambda key, **p: t(key, lang, **p)  # noqa: E731
    charts: list[Chart] = []
    conv = with_labels(r.tables["conversion"].dropna(subset=["conversion"]), "stage", lang)
    if len(conv):
        c = (
            alt.Chart(conv)
            .mark_bar(color="#4c78a8")
            .encode(
                x=alt.X("stage_label:N", title=L("col.stage"), sort=None),
                y=alt.Y("conversion:Q", title=L("col.conversion"), axis=alt.Axis(format=".0%")),
                tooltip=[
                    alt.Tooltip("stage_label:N", title=L("col.stage")),
                    alt.Tooltip("conversion:Q", title=L("col.conversion"), format=".1%"),
                    alt.Tooltip("reached:Q", title=L("col.reached"), format=","),
                ],
            )
            .properties(width=WIDTH, height=HEIGHT)
        )
        title = L("chart.fn.conversion")
        charts.append(Chart("fn_conversion", title, base_config(c, title)))
    rel = r.tables["reliability"]
    if len(rel):
        rel = with_labels(rel, "source", lang)
        line = (
            alt.Chart(rel)
            .mark_line(point=True)
            .encode(
                x=alt.X(
                    "predicted:Q", title=L("chart.axis.predicted"), axis=alt.Axis(format=".0%")
                ),
                y=alt.Y("observed:Q", title=L("chart.axis.observed"), axis=alt.Axis(format=".0%")),
                color=alt.Color("source_label:N", title=L("col.source")),
                tooltip=[
                    alt.Tooltip("source_label:N", title=L("col.source")),
                    alt.Tooltip("scored_deals:Q", title=L("col.scored_deals"), format=","),
                ],
            )
        )
        diagonal = (
            alt.Chart(pd.DataFrame({"x": [0.0, 1.0], "y": [0.0, 1.0]}))
            .mark_line(strokeDash=[4, 4], color="#888")
            .encode(x="x:Q", y="y:Q")
        )
        c = alt.layer(diagonal, line).properties(width=WIDTH, height=HEIGHT)
        title = L("chart.fn.reliability")
        charts.append(Chart("fn_reliability", title, base_config(c, title)))
    return charts


def method_notes(r: AnalysisResult, lang: str) -> list[Any]:
    m = r.method
    notes = [
        t("method.fn.stages", lang, stages=" → ".join(m["open_stages"])),
        t("method.fn.timeline", lang),
        t("method.fn.window_end", lang, date=m["window_end"]),
        t(
            "method.fn.model",
            lang,
            step=m["snapshot_step_days"],
            days=m["snapshot_days"],
            min_won=m["min_won"],
            min_lost=m["min_lost"],
        ),
        t("method.fn.known_then", lang),
        t(f"method.fn.amount_{'dated' if m.get('amount_feature') else 'undated'}", lang),
        t(f"method.fn.rep_{'dated' if m.get('rep_feature') else 'undated'}", lang),
        t("method.fn.backtest", lang, split=m["backtest_split"]),
        t("method.fn.forecast", lang, runs=m["simulations"], level=m["interval"]),
        t("method.fn.stuck", lang, pct=m["stuck_percentile"]),
    ]
    if m["calibration"]:
        notes.append(t(f"method.fn.calibration_{m['calibration']}", lang))
    return [Bullets(notes)]


VIEWS = AnalysisViews(
    HEADLINE,
    TABLES,
    COLUMN_FORMATS,
    funnel_charts,
    method_notes,
    story=told(story),
    captions=story.CAPTIONS,
)
