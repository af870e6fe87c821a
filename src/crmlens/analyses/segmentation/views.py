"""Report views of the segmentation analysis: headline metrics, table views and column formats,
charts (Vega-Lite specs built from result tables) and method notes."""

from __future__ import annotations

from typing import Any

import altair as alt

from crmlens.analyses.base import AnalysisResult
from crmlens.analyses.segmentation import story
from crmlens.report.charts import HEIGHT, WIDTH, Chart, base_config, with_labels
from crmlens.report.document import Bullets
from crmlens.report.i18n import fmt_value, t, tr_value
from crmlens.report.views import AnalysisViews, TableView, told

HEADLINE = (
    "customers",
    "prospects",
    "segments_used",
    "other_bucket",
    "segments_flagged",
    "segments_kept",
    "clusters",
    "silhouette",
    "stability_ari_mean",
    "data_utilisation",
    "overrides_active",
    "disagreement_share",
    "overrides_expiring",
    "overrides_judged",
    "human_closer_share",
    "c360_customers",
    "c360_unscored",
    "c360_link_coverage",
)

TABLES = (
    TableView(
        "segment_profile",
        (
            "segment",
            "customers",
            "share",
            "revenue",
            "revenue_share",
            "value_per_customer",
            "cases_per_customer",
            "owner_load",
            "treatment",
            "recommendation",
            "merge_into",
        ),
    ),
    TableView(
        "c360_segments",
        (
            "segment",
            "customers",
            "share",
            "clv_sum",
            "clv_mean",
            "cac_known",
            "cac_sum",
            "cac_mean",
        ),
    ),
    TableView("c360_account_segments", ("segment", "account_segment", "customers")),
    TableView("segment_rules", ("order", "segment", "r_range", "f_range", "m_range", "customers")),
    TableView("rfm_cuts", ("dimension", "rfm_score", "customers", "value_low", "value_high")),
    TableView(
        "top_customers",
        (
            "account_id",
            "account_name",
            "segment",
            "segment_model",
            "r_score",
            "f_score",
            "m_score",
            "recency_days",
            "frequency",
            "monetary",
            "cluster",
        ),
        "top_n",
    ),
    TableView(
        "cluster_profiles",
        ("cluster", "customers", "share", "traits", "recency_days", "frequency", "monetary"),
    ),
    TableView("cluster_silhouettes", ("k", "silhouette")),
    TableView("segment_clusters", ("segment", "cluster", "customers")),
    TableView("data_utilisation", ("attribute", "origin", "completeness", "use", "gain")),
    TableView(
        "overridden",
        (
            "account_id",
            "account_name",
            "segment_model",
            "segment",
            "override_by",
            "override_reason",
            "override_expires",
            "override_expiring",
        ),
        "top_n",
    ),
    TableView("disagreements", ("segment_model", "segment_human", "customers")),
    TableView(
        "override_outcomes",
        (
            "segment_model",
            "segment_human",
            "customers",
            "revenue",
            "retained",
            "model_expected_revenue",
            "model_expected_retained",
            "human_expected_revenue",
            "human_expected_retained",
            "human_closer",
        ),
    ),
)

COLUMN_FORMATS = {
    "segment": "t",
    "segment_model": "t",
    "segment_human": "t",
    "account_segment": "t",
    "clv_sum": "usd",
    "clv_mean": "usd",
    "cac_sum": "usd",
    "cac_mean": "usd",
    "cac_known": "int",
    "treatment": "t",
    "recommendation": "t",
    "merge_into": "t",
    "dimension": "t",
    "origin": "t",
    "use": "t",
    "traits": "codes",
    "customers": "int",
    "share": "pct",
    "revenue_share": "pct",
    "completeness": "pct",
    "retained": "pct",
    "model_expected_retained": "pct",
    "human_expected_retained": "pct",
    "revenue": "usd",
    "monetary": "usd",
    "value_per_customer": "usd",
    "model_expected_revenue": "usd",
    "human_expected_revenue": "usd",
    "value_low": "num",
    "value_high": "num",
    "cases_per_customer": "num",
    "owner_load": "num",
    "silhouette": "num",
    "gain": "num",
    "recency_days": "int",
    "frequency": "int",
}


def segmentation_charts(r: AnalysisResult, lang: str) -> list[Chart]:
    charts: list[Chart] = []
    prof = r.tables["segment_profile"]
    prof = with_labels(prof[prof["customers"] > 0], "segment", lang)
    if len(prof):
        title = t("chart.seg.profile", lang)
        bars = (
            alt.Chart(prof)
            .mark_bar()
            .encode(
                x=alt.X("customers:Q", title=t("col.customers", lang)),
                y=alt.Y("segment_label:N", title=t("col.segment", lang), sort=None),
                color=alt.Color("recommendation:N", title=t("col.recommendation", lang)),
                tooltip=[
                    alt.Tooltip("segment_label:N", title=t("col.segment", lang)),
                    alt.Tooltip("customers:Q", title=t("col.customers", lang), format=","),
                    alt.Tooltip(
                        "revenue_share:Q", title=t("col.revenue_share", lang), format=".1%"
                    ),
                ],
            )
            .properties(width=WIDTH, height=max(HEIGHT // 2, 24 * len(prof)))
        )
        charts.append(Chart("seg_profile", title, base_config(bars, title)))
    sil = r.tables.get("cluster_silhouettes")
    if sil is not None and len(sil):
        title = t("chart.seg.silhouette", lang)
        line = (
            alt.Chart(sil)
            .mark_line(point=True)
            .encode(
                x=alt.X("k:O", title=t("col.k", lang)),
                y=alt.Y("silhouette:Q", title=t("col.silhouette", lang)),
            )
            .properties(width=WIDTH, height=HEIGHT // 2)
        )
        charts.append(Chart("seg_silhouette", title, base_config(line, title)))
    return charts


def method_notes(r: AnalysisResult, lang: str) -> list[Any]:
    m = r.method
    rules = "; ".join(
        f"{tr_value(s['name'], lang)} (R {s['r'][0]}–{s['r'][1]}, F {s['f'][0]}–{s['f'][1]}, "
        f"M {s['m'][0]}–{s['m'][1]})"
        for s in m["segments"]
    )
    cuts = "; ".join(
        f"{tr_value(key.split(':')[0], lang)} {key.split(':')[1]}: "
        f"{fmt_value(low, 'num', lang)}–{fmt_value(high, 'num', lang)}"
        for key, (low, high) in m["cuts"].items()
        if low is not None
    )
    items = [
        t("method.seg.rfm", lang, window=m["window_days"], start=m["window_start"]),
        t("method.seg.scores", lang, cuts=cuts),
        t("method.seg.rules", lang, rules=rules, other=tr_value(m["other_segment"], lang)),
        t(
            "method.seg.guard",
            lang,
            minimum=m["min_segment_customers"],
            share=m["min_segment_share"],
        ),
        t(
            "method.seg.clusters",
            lang,
            k_min=m["clustering"]["k_min"],
            k_max=m["clustering"]["k_max"],
            seed=m["clustering"]["seed"],
            resamples=m["clustering"]["resamples"],
            features=", ".join(fmt_value(f, "col", lang) for f in m["cluster_features"]),
        ),
        t("method.seg.overrides", lang, days=m["outcome_days"]),
    ]
    if m.get("rfm_source") == "customer360":
        items.insert(3, t("method.seg.c360", lang))
    return [Bullets(items)]


VIEWS = AnalysisViews(
    HEADLINE,
    TABLES,
    COLUMN_FORMATS,
    segmentation_charts,
    method_notes,
    story=told(story),
    captions=story.CAPTIONS,
)
