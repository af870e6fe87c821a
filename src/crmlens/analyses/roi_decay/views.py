"""Report views of campaign ROI decay: headline metrics, tables, charts and method notes."""

from __future__ import annotations

from typing import Any, Callable

import altair as alt
import pandas as pd

from crmlens.analyses.base import AnalysisResult
from crmlens.analyses.roi_decay import story
from crmlens.report.charts import HEIGHT, WIDTH, Chart, base_config, with_labels
from crmlens.report.document import Bullets
from crmlens.report.i18n import t, tr_value
from crmlens.report.views import AnalysisViews, TableView, told

HEADLINE = (
    "campaigns",
    "campaigns_running",
    "total_spend",
    "attributed_revenue",
    "overall_roi",
    "half_life_months",
    "targeted_half_life_months",
    "break_even_month",
    "campaigns_past_break_even",
    "monthly_spend_at_stake",
)

TABLES = (
    TableView(
        "decay_fits",
        (
            "group_kind",
            "group",
            "campaigns",
            "spend",
            "roi",
            "start_roi",
            "floor_roi",
            "half_life",
            "half_life_low",
            "half_life_high",
            "break_even_month",
        ),
        20,
    ),
    TableView(
        "past_break_even",
        (
            "priority_rank",
            "name",
            "type",
            "targeting",
            "age_months",
            "break_even_month",
            "roi",
            "monthly_spend",
            "spend_past_break_even",
        ),
        "top_n",
    ),
)

COLUMN_FORMATS = {
    "group_kind": "t",
    "group": "t",
    "type": "t",
    "targeting": "t",
    "campaigns": "int",
    "spend": "usd",
    "revenue": "usd",
    "monthly_spend": "usd",
    "spend_past_break_even": "usd",
    "roi": "pct",
    "start_roi": "pct",
    "floor_roi": "pct",
    "cumulative_roi": "pct",
    "half_life": "num",
    "half_life_low": "num",
    "half_life_high": "num",
    "break_even_month": "num",
    "age_months": "int",
}


def roi_charts(r: AnalysisResult, lang: str) -> list[Chart]:
    L: Callable[..., str] = lambda key, **p: t(key, lang, **p)  # noqa: E731
    charts: list[Chart] = []
    cur = with_labels(r.tables["curves_by_targeting"], "targeting", lang)
    cur = cur[cur["roi"].notna()]
    if len(cur):
        line = (
            alt.Chart(cur)
            .mark_line(point=True)
            .encode(
                x=alt.X("age:Q", title=L("chart.axis.campaign_age")),
                y=alt.Y("roi:Q", title=L("chart.axis.campaign_roi"), axis=alt.Axis(format=".0%")),
                color=alt.Color("targeting_label:N", title=L("col.targeting")),
                tooltip=[
                    alt.Tooltip("age:Q", title=L("chart.axis.campaign_age")),
                    alt.Tooltip("roi:Q", title=L("chart.axis.campaign_roi"), format=".0%"),
                    alt.Tooltip("campaigns:Q", title=L("col.campaigns"), format=","),
                ],
            )
        )
        even = (
            alt.Chart(pd.DataFrame({"y": [r.method["break_even"]]}))
            .mark_rule(strokeDash=[6, 4], color="#d62728")
            .encode(y="y:Q")
        )
        c = alt.layer(line, even).properties(width=WIDTH, height=HEIGHT)
        title = L("chart.roi.decay")
        charts.append(Chart("roi_decay_by_targeting", title, base_config(c, title)))
    by_type = with_labels(r.tables["curves_by_type"], "type", lang)
    by_type = by_type[by_type["cumulative_roi"].notna()]
    if len(by_type):
        c = (
            alt.Chart(by_type)
            .mark_line()
            .encode(
                x=alt.X("age:Q", title=L("chart.axis.campaign_age")),
                y=alt.Y(
                    "cumulative_roi:Q", title=L("col.cumulative_roi"), axis=alt.Axis(format=".0%")
                ),
                color=alt.Color("type_label:N", title=L("col.type")),
            )
            .properties(width=WIDTH, height=HEIGHT)
        )
        title = L("chart.roi.cumulative_by_type")
        charts.append(Chart("roi_cumulative_by_type", title, base_config(c, title)))
    return charts


def method_notes(r: AnalysisResult, lang: str) -> list[Any]:
    m = r.method
    sources = "; ".join(f"{tr_value(k, lang)} {v}" for k, v in sorted(m["spend_sources"].items()))
    return [
        Bullets(
            [
                t("method.roi.spend", lang, sources=sources),
                *_not_started(m, lang),
                t("method.roi.revenue", lang),
                t("method.roi.definition", lang, break_even=m["break_even"]),
                t(
                    "method.roi.fit",
                    lang,
                    bootstrap=m["bootstrap"],
                    seed=m["seed"],
                    min_campaigns=m["min_campaigns"],
                ),
                t(
                    "method.roi.claim",
                    lang,
                    start_low=m["claim"]["start"][0],
                    start_high=m["claim"]["start"][1],
                    after_low=m["claim"]["after"][0],
                    after_high=m["claim"]["after"][1],
                    month=m["claim"]["month"],
                ),
                t("method.roi.at_stake", lang, max_age=m["max_age_months"]),
            ]
        )
    ]


def _not_started(m: dict, lang: str) -> list[str]:
    count = m.get("campaigns_not_started", 0)
    if not count:
        return []
    return [t("method.roi.not_started", lang, count=count, date=m["window_end"])]


VIEWS = AnalysisViews(
    HEADLINE,
    TABLES,
    COLUMN_FORMATS,
    roi_charts,
    method_notes,
    story=told(story),
    captions=story.CAPTIONS,
)
