"""Report views of the toy analysis."""

from __future__ import annotations

import altair as alt

from crmlens.report.charts import WIDTH, Chart, base_config, with_labels
from crmlens.report.document import Para
from crmlens.report.i18n import t
from crmlens.report.views import AnalysisViews, TableView


def charts(r, lang):
    df = with_labels(r.tables["widgets"], "tier", lang)
    chart = (
        alt.Chart(df)
        .mark_bar()
        .encode(
            x=alt.X("widget_name:N", title=t("col.widget_name", lang)),
            y=alt.Y("score:Q", title=t("col.score", lang)),
            color=alt.Color("tier_label:N", title=t("col.tier", lang)),
        )
    )
    title = t("chart.toy.scores", lang)
    return [
        Chart("toy_scores", title, base_config(chart.properties(width=WIDTH, height=200), title))
    ]


def method_notes(r, lang):
    return [Para(t("method.toy.rule", lang, bad_below=r.method["bad_below"]))]


VIEWS = AnalysisViews(
    headline=("widgets", "bad_widgets", "bad_share"),
    tables=(TableView("widgets", ("widget_id", "widget_name", "owner_name", "score", "tier")),),
    column_formats={"score": "num", "tier": "t"},
    charts=charts,
    method_notes=method_notes,
)
