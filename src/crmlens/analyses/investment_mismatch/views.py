"""Report views of the investment mismatch analysis: headline metrics, table views and column
formats, charts (Vega-Lite specs built from result tables) and method notes."""

from __future__ import annotations

from typing import Any, Callable

import altair as alt
import pandas as pd

from crmlens.analyses.base import AnalysisResult
from crmlens.analyses.investment_mismatch import story
from crmlens.analyses.investment_mismatch.base_table import COMPONENTS
from crmlens.analyses.investment_mismatch.pool import CELL_MEANS, MEANS
from crmlens.report.charts import (
    HEIGHT,
    WIDTH,
    Chart,
    base_config,
    label_order,
    rate_bars,
    ratio_heatmap,
    with_labels,
)
from crmlens.report.document import Bullets
from crmlens.report.i18n import feature_label, t, tr_value
from crmlens.report.views import AnalysisViews, TableView

HEADLINE = (
    "base_customers",
    "top_priority",
    "mismatched",
    "mismatch_rate_in_top",
    "roi_mean_mismatched",
    "roi_mean_top_matched",
    "roi_median",
    "top_roi_below_alert",
    "data_gap_top_priority",
    "corr_priority_composite",
    "corr_onboarding_adoption",
    "cohort_anova_significant",
    "join_coverage",
    "model_cv_r2",
    "model_evidence",
    "current_mismatch_rate_test",
    "model_mismatch_rate_test",
)

POOL_MEANS = tuple(name.removeprefix("mean_") for name in MEANS)
COMPONENT_NAMES = tuple(COMPONENTS)

TABLES = (
    TableView(
        "top_mismatched",
        (
            "customer360_id",
            "primary_email",
            "industry_vertical",
            "company_size_tier",
            "lifecycle_stage",
            "decision_maker_level",
            "investment_priority_score",
            "composite",
            "roi_w",
            "customer_onboarding_score",
            "reasons",
        ),
        200,
    ),
    TableView(
        "groups",
        (
            "industry_vertical",
            "company_size_tier",
            "top_customers",
            "mismatched",
            "mismatch_rate",
            "rr",
            "rr_low",
            "rr_high",
            "share_sales",
            "share_adoption",
            "share_support",
        ),
        200,
    ),
    TableView(
        "stages",
        (
            "lifecycle_stage",
            "top_customers",
            "mismatched",
            "mismatch_rate_in_top",
            "mean_roi_mismatched",
            "mean_roi_top_matched",
            "median_roi_mismatched",
            "median_roi_top_matched",
            "customers",
            "share_mismatched",
        ),
        200,
    ),
    TableView(
        "onboarding_buckets",
        ("onboarding", "customers", "mean_adoption", "mean_roi", "share_mismatched"),
        200,
    ),
    TableView("team_decision", ("team_size_bucket", "executive", "customers", "mean_roi"), 200),
    TableView(
        "priority_terciles",
        ("priority_tercile", "customers", "mean_priority", "mean_composite", "mean_roi"),
        200,
    ),
    TableView(
        "gap_decomposition",
        (
            "component",
            "weight",
            "mean_mismatched",
            "mean_top_matched",
            "gap",
            "contribution",
            "share",
        ),
        200,
    ),
    TableView("model_coefficients", ("feature", "coefficient"), 200),
    TableView(
        "feature_alignment",
        ("feature", "corr_priority", "corr_composite", "alignment", "misaligned"),
        200,
    ),
    TableView(
        "pool_means",
        ("cohort", "customers", *(f"mean_{c}" for c in POOL_MEANS)),
        200,
    ),
    TableView("pool_onboarding_adoption", ("cohort", "n", "r", "t", "p"), 200),
    TableView(
        "pool_onboarding_buckets",
        ("onboarding", "cohort", "customers", *CELL_MEANS, "mismatch_rate_in_top"),
        200,
    ),
    TableView(
        "pool_team_decision",
        (
            "team_size_bucket",
            "executive",
            "cohort",
            "customers",
            *CELL_MEANS,
            "mismatch_rate_in_top",
        ),
        200,
    ),
    TableView(
        "group_root_cause",
        (
            "industry_vertical",
            "company_size_tier",
            "mismatched",
            "top_matched",
            *(f"{c}_{side}" for c in COMPONENT_NAMES for side in ("mismatched", "top_matched")),
            *(f"contribution_{c}" for c in COMPONENT_NAMES),
            "delta_composite",
            "driver",
        ),
        200,
    ),
    TableView(
        "feature_bias",
        ("feature", "assoc_priority", "assoc_composite", "role", "proposed_weight"),
        200,
    ),
    TableView(
        "roi_terciles_by_stage",
        (
            "lifecycle_stage",
            "tercile",
            "customers",
            "mismatched",
            "top_matched",
            "share_of_mismatched",
        ),
        200,
    ),
    TableView("cutoffs", ("cutoff", "value"), 200),
    TableView(
        "onboarding_adoption_by_group",
        ("industry_vertical", "company_size_tier", "n", "r", "t", "p"),
        200,
    ),
)

COLUMN_FORMATS = {
    "cohort": "t",
    "share_mismatched": "pct",
    "mismatch_rate_in_top": "pct",
    "mean_roi_mismatched": "num",
    "mean_roi_top_matched": "num",
    "median_roi_mismatched": "num",
    "median_roi_top_matched": "num",
    "top_customers": "int",
    "top_matched": "int",
    "share_of_mismatched": "pct",
    "tercile": "t",
    "mean_support": "num",
    "mean_sales": "usd",
    "mean_onboarding": "num",
    "mean_team_size": "num1",
    "sales_mismatched": "usd",
    "sales_top_matched": "usd",
    "adoption_mismatched": "pct",
    "adoption_top_matched": "pct",
    "support_mismatched": "num",
    "support_top_matched": "num",
    "contribution_sales": "num",
    "contribution_adoption": "num",
    "contribution_support": "num",
    "delta_composite": "num",
    "driver": "t",
    "feature": "col",
    "assoc_priority": "num",
    "assoc_composite": "num",
    "role": "t",
    "proposed_weight": "pct",
    "cutoff": "t",
    "value": "num",
    "weight": "num",
    "mean_mismatched": "num",
    "mean_top_matched": "num",
    "gap": "num",
    "contribution": "num",
    "n": "int",
    "owner_role": "t",
    "action": "t",
    "industry_vertical": "t",
    "company_size_tier": "t",
    "lifecycle_stage": "t",
    "decision_maker_level": "t",
    "investment_priority_score": "num",
    "composite": "num",
    "norm_sales": "num",
    "norm_adoption": "num",
    "norm_support": "num",
    "roi": "num",
    "roi_w": "num",
    "reasons": "codes",
    "mismatch_rate": "pct",
    "rr": "num",
    "rr_low": "num",
    "rr_high": "num",
    "gap_sales": "num",
    "gap_adoption": "num",
    "gap_support": "num",
    "share_sales": "pct",
    "share_adoption": "pct",
    "share_support": "pct",
    "mean_roi": "num",
    "median_roi": "num",
    "mean_adoption": "pct",
    "mean_priority": "num",
    "mean_composite": "num",
    "corr_priority": "num",
    "corr_composite": "num",
    "alignment": "num",
    "misaligned": "t",
    "coefficient": "num",
    "component": "t",
    "share": "pct",
    "r": "num",
    "t": "num",
    "p": "p",
    "executive": "t",
    "customer_onboarding_score": "num",
    "team_size": "int",
    "customers": "int",
    "priority_tercile": "t",
}


def investment_mismatch_charts(r: AnalysisResult, lang: str) -> list[Chart]:
    L: Callable[..., str] = lambda key, **p: t(key, lang, **p)  # noqa: E731
    charts: list[Chart] = []
    yes, no = tr_value("True", lang), tr_value("False", lang)
    flag_scale = alt.Scale(domain=[yes, no], range=["#d62728", "#9ecae1"])

    def add(cid: str, key: str, chart: alt.TopLevelMixin) -> None:
        charts.append(Chart(cid, L(key), base_config(chart, L(key))))

    qs = r.tables["quadrant_sample"].assign(
        flag=lambda d: d["mismatched"].map({True: yes, False: no})
    )
    if len(qs):
        pts = (
            alt.Chart(qs)
            .mark_circle(size=22, opacity=0.6)
            .encode(
                x=alt.X("investment_priority_score:Q", title=L("chart.axis.priority")),
                y=alt.Y("composite:Q", title=L("chart.axis.composite")),
                color=alt.Color("flag:N", title=L("chart.axis.mismatched"), scale=flag_scale),
                tooltip=[
                    alt.Tooltip("customer360_id:N", title=L("col.customer360_id")),
                    alt.Tooltip(
                        "investment_priority_score:Q", format=".2f", title=L("chart.axis.priority")
                    ),
                    alt.Tooltip("composite:Q", format=".3f", title=L("chart.axis.composite")),
                ],
            )
        )
        v = (
            alt.Chart(pd.DataFrame({"x": [r.metric("priority_cutoff")]}))
            .mark_rule(strokeDash=[6, 4])
            .encode(x="x:Q")
        )
        h = (
            alt.Chart(pd.DataFrame({"y": [r.metric("composite_cutoff")]}))
            .mark_rule(strokeDash=[6, 4])
            .encode(y="y:Q")
        )
        add(
            "mm_quadrant",
            "chart.mm.quadrant",
            alt.layer(pts, v, h).properties(width=WIDTH, height=HEIGHT),
        )

    st = with_labels(r.tables["stages"], "lifecycle_stage", lang)
    if len(st):
        add(  # a rate, stages in their natural order: stages differ in size
            "mm_lifecycle",
            "chart.mm.lifecycle",
            rate_bars(
                st,
                category="lifecycle_stage_label",
                count="mismatched",
                total="top_customers",
                lang=lang,
                category_title=L("chart.axis.stage"),
                rate_title=L("col.mismatch_rate_in_top"),
                sort=label_order(st, "lifecycle_stage", lang, r),
                min_total=r.method["min_group_size"],
            ),
        )

    hist = r.tables["roi_histogram"]
    if len(hist):
        hist = hist.assign(  # each group's own distribution: the groups differ in size
            flag=hist["mismatched"].map({True: yes, False: no}),
            share=hist["customers"] / hist.groupby("mismatched")["customers"].transform("sum"),
        )
        add(
            "mm_roi_distribution",
            "chart.mm.roi_distribution",
            alt.Chart(hist)
            .mark_bar(opacity=0.6)
            .encode(
                x=alt.X("bin_start:Q", bin="binned", title=L("chart.axis.roi")),
                x2="bin_end:Q",
                y=alt.Y(
                    "share:Q",
                    title=L("chart.axis.share_of_group"),
                    stack=None,
                    axis=alt.Axis(format=".0%"),
                ),
                color=alt.Color("flag:N", title=L("chart.axis.mismatched"), scale=flag_scale),
                tooltip=[
                    alt.Tooltip("flag:N", title=L("chart.axis.mismatched")),
                    alt.Tooltip("share:Q", title=L("chart.axis.share_of_group"), format=".1%"),
                    alt.Tooltip("customers:Q", title=L("chart.axis.customers"), format=","),
                ],
            )
            .properties(width=WIDTH, height=HEIGHT),
        )

    g = with_labels(
        with_labels(r.tables["groups"], "industry_vertical", lang), "company_size_tier", lang
    )
    if len(g):
        add(
            "mm_rr_heatmap",
            "chart.mm.rr_heatmap",
            ratio_heatmap(
                g,
                x="company_size_tier_label",
                y="industry_vertical_label",
                ratio="rr",
                n="top_customers",
                min_n=r.method["min_group_size"],
                x_order=label_order(g, "company_size_tier", lang, r),
                y_order=None,
                titles={
                    "x": L("chart.axis.size_tier"),
                    "y": L("chart.axis.industry"),
                    "ratio": L("chart.axis.rr"),
                    "n": L("col.top_customers"),
                },
            ),
        )

    fit = r.tables["onboarding_fit"]
    pts = qs.dropna(subset=["product_adoption_rate"]) if len(qs) else qs
    if len(pts):
        dots = (
            alt.Chart(pts)
            .mark_circle(size=16, opacity=0.4, color="#4c78a8")
            .encode(
                x=alt.X(
                    "customer_onboarding_score:Q",
                    title=L("chart.axis.onboarding"),
                    scale=alt.Scale(zero=False),
                ),
                y=alt.Y(
                    "product_adoption_rate:Q",
                    title=L("chart.axis.adoption"),
                    axis=alt.Axis(format=".0%"),
                ),
            )
        )
        line = (
            alt.Chart(fit)
            .mark_line(color="#d62728", strokeWidth=2)
            .encode(x="onboarding:Q", y="adoption:Q")
        )
        add(
            "mm_onboarding_adoption",
            "chart.mm.onboarding_adoption",
            alt.layer(dots, line).properties(width=WIDTH, height=HEIGHT),
        )

    td = r.tables["team_decision"]
    if len(td):
        td = td.assign(exec_label=td["executive"].map({True: yes, False: no}))
        add(
            "mm_team_decision",
            "chart.mm.team_decision",
            alt.Chart(td)
            .mark_bar()
            .encode(
                x=alt.X("team_size_bucket:N", title=L("chart.axis.team_size"), sort=None),
                xOffset="exec_label:N",
                y=alt.Y("mean_roi:Q", title=L("chart.axis.roi")),
                color=alt.Color("exec_label:N", title=L("chart.axis.executive")),
                tooltip=[
                    alt.Tooltip("mean_roi:Q", format=".2f", title=L("col.mean_roi")),
                    alt.Tooltip("customers:Q", title=L("col.customers"), format=","),
                ],
            )
            .properties(width=WIDTH, height=HEIGHT),
        )
    return charts


def method_notes(r: AnalysisResult, lang: str) -> list[Any]:
    blocks: list[Any] = []
    m = r.method
    w, mo = m["weights"], m["model"]
    blocks.append(
        Bullets(
            [
                t(
                    "method.mm.identity",
                    lang,
                    identity=tr_value(m["identity"], lang),
                    rule=tr_value(m["dedup_rule"], lang),
                ),
                t(
                    "method.mm.composite",
                    lang,
                    ws=w["sales"],
                    wa=w["adoption"],
                    wsu=w["support"],
                    lo=m["winsor"][0],
                    hi=m["winsor"][1],
                    norm=tr_value(m["normalisation"], lang),
                ),
                t(
                    "method.mm.flags",
                    lang,
                    top=1 - m["priority_top_share"],
                    bottom=m["composite_bottom_share"],
                ),
                t("method.mm.roi", lang, alert=m["roi_alert"]),
                t("method.mm.rr", lang, min=m["min_group_size"]),
                t("method.mm.pool", lang, min=m["min_example_size"], groups=m["root_cause_groups"]),
                t(
                    "method.mm.bias",
                    lang,
                    follows=m["bias_follows"],
                    ignores=m["bias_ignores"],
                    alpha=m["significance"],
                    weak=mo["weak_r2"],
                    conversion=m["conversion_target"],
                ),
                t(
                    "method.mm.model",
                    lang,
                    alpha=mo["alpha"],
                    features=("、" if lang == "zh" else ", ").join(
                        feature_label(f, lang) for f in mo["features"]
                    ),
                    folds=mo["cv_folds"],
                    test=mo["test_share"],
                    seed=mo["seed"],
                ),
            ]
        )
    )
    return blocks


VIEWS = AnalysisViews(
    HEADLINE,
    TABLES,
    COLUMN_FORMATS,
    investment_mismatch_charts,
    method_notes,
    story=story.story,
    captions=story.CAPTIONS,
)
