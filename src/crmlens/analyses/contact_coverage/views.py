"""Report views of the contact coverage analysis: headline metrics, table views and column
formats, charts (Vega-Lite specs built from result tables) and method notes."""

from __future__ import annotations

from typing import Any, Callable

import altair as alt
import pandas as pd

from crmlens.analyses.base import AnalysisResult
from crmlens.analyses.contact_coverage import story
from crmlens.report.charts import (
    HEIGHT,
    ROW_HEIGHT,
    WIDTH,
    Chart,
    base_config,
    label_order,
    log_like_axis,
    rate_bars,
    with_labels,
)
from crmlens.report.document import Bullets, Para
from crmlens.report.i18n import fmt_value, t, tr_value
from crmlens.report.views import AnalysisViews, TableView, told

# the columns of the by-industry and by-size breakdowns, after the group column
BREAKDOWN_COLUMNS = (
    "key_accounts",
    "high",
    "data_gap",
    "medium",
    "low",
    "high_share",
    "density_pass_rate",
    "decision_pass_rate",
    "coverage_pass_rate",
    "median_density",
    "mean_coverage",
    "contacts_to_add",
    "executives_to_add",
)

HEADLINE = (
    "key_accounts",
    "high_risk",
    "high_risk_share",
    "data_gap",
    "density_pass_rate",
    "decision_pass_rate",
    "coverage_pass_rate",
    "median_density",
    "mean_density",
    "median_decision_ratio",
    "mean_decision_ratio",
    "mean_coverage",
    "plan_new_contacts",
    "plan_new_executives",
    "plan_contacts_per_account",
    "departments_to_add",
)

TABLES = (
    TableView(
        "top_risk",
        (  # what an owner needs in the body; every column is in top_risk.csv and the workbook
            "priority_rank",
            "account_name",
            "account_owner_name",
            "industry_normalized",
            "company_size_category",
            "annual_revenue",
            "n_contacts",
            "density",
            "decision_ratio",
            "coverage",
            "risk_score",
            "points_score",
            "tier",
            "contacts_to_add",
            "executives_to_add",
            "departments_to_add",
        ),
        "top_n",
    ),
    TableView("by_industry", ("industry_normalized", *BREAKDOWN_COLUMNS), 200),
    TableView("by_size", ("company_size_category", *BREAKDOWN_COLUMNS), 200),
    TableView(
        "industry_playbooks",
        (
            "industry_normalized",
            "key_accounts",
            "high_risk",
            "high_share",
            "density_target",
            "must_have_departments",
            "entry_roles",
            "most_missing_department",
        ),
        200,
    ),
    TableView(
        "peer_groups",
        (
            "industry_normalized",
            "company_size_category",
            "accounts",
            "p_density",
            "p_coverage",
            "median_density",
            "density_threshold",
            "coverage_threshold",
            "fallback",
        ),
        200,
    ),
    TableView("department_gaps", ("department", "accounts_missing", "share_missing"), 200),
    TableView(
        "must_have_gaps",
        ("industry_normalized", "department", "key_accounts", "accounts_missing", "share_missing"),
        200,
    ),
    TableView("coverage_distribution", ("coverage", "accounts", "share"), 200),
    TableView("top_risk_profile", ("trait", "top_accounts", "accounts", "share"), 200),
    TableView("risk_models", ("tier", "weighted_flags", "additive_points", "both"), 200),
    TableView(
        "outcome_comparison",
        (
            "comparison",
            "outcome",
            "flagged_deals",
            "flagged_rate",
            "flagged_ci_low",
            "flagged_ci_high",
            "other_deals",
            "other_rate",
            "other_ci_low",
            "other_ci_high",
            "difference",
            "difference_ci_low",
            "difference_ci_high",
            "verdict",
        ),
        200,
    ),
    TableView(
        "outcomes_by_tier", ("tier", "outcome", "deals", "won", "rate", "ci_low", "ci_high"), 200
    ),
    TableView("sample_mix", ("industry_normalized", "company_size_category", "accounts"), 200),
    TableView(
        "workload_uncomputable",
        (
            "priority_rank",
            "account_name",
            "industry_normalized",
            "company_size_category",
            "number_of_employees",
            "n_contacts",
            "tier",
        ),
        200,
    ),
)

COLUMN_FORMATS = {
    "annual_revenue": "usd",
    "revenue_threshold": "usd",
    "density": "num",
    "decision_ratio": "pct",
    "density_threshold": "num",
    "coverage_threshold": "num",
    "p_density": "num",
    "p_coverage": "num",
    "risk_score": "num",
    "gap_score": "num",
    "priority_score": "num",
    "high_share": "pct",
    "density_pass_rate": "pct",
    "decision_pass_rate": "pct",
    "coverage_pass_rate": "pct",
    "median_density": "num",
    "mean_coverage": "num",
    "share_missing": "pct",
    "coverage_rate": "pct",
    "density_target": "num",
    "number_of_employees": "int",
    "accounts": "int",
    "key_accounts": "int",
    "tier": "t",
    "risk_class": "t",
    "company_size_category": "t",
    "industry_normalized": "t",
    "department": "t",
    "owner_role": "t",
    "action": "t",
    "missing_departments": "list",
    "departments_to_add": "list",
    "must_have_departments": "list",
    "data_gap_reason": "list",
    "entry_roles": "list",
    "most_missing_department": "t",
    "fallback": "t",
    "points_score": "num",
    "share": "pct",
    "trait": "t",
    "comparison": "t",
    "outcome": "t",
    "verdict": "t",
    "weighted_flags": "int",
    "additive_points": "int",
    "both": "int",
    "deals": "int",
    "won": "int",
    **{
        c: "pct"
        for c in (
            "rate",
            "ci_low",
            "ci_high",
            "flagged_rate",
            "flagged_ci_low",
            "flagged_ci_high",
            "other_rate",
            "other_ci_low",
            "other_ci_high",
            "difference",
            "difference_ci_low",
            "difference_ci_high",
        )
    },
    "flagged_deals": "int",
    "other_deals": "int",
}


def contact_coverage_charts(r: AnalysisResult, lang: str) -> list[Chart]:
    L: Callable[..., str] = lambda key, **p: t(key, lang, **p)  # noqa: E731
    m = r.method
    charts: list[Chart] = []
    tier_order = ["high", "data_gap", "medium", "low"]
    tier_labels = [tr_value(x, lang) for x in tier_order]
    tier_scale = alt.Scale(domain=tier_labels, range=["#d62728", "#9467bd", "#ff7f0e", "#2ca02c"])

    rd = with_labels(r.tables["risk_distribution"], "tier", lang)
    if len(rd):
        c = (
            alt.Chart(rd)
            .mark_bar()
            .encode(
                x=alt.X("risk_score:O", title=L("chart.axis.risk_score")),
                y=alt.Y("accounts:Q", title=L("chart.axis.accounts")),
                color=alt.Color("tier_label:N", title=L("chart.axis.tier"), scale=tier_scale),
                tooltip=[
                    alt.Tooltip("risk_score:O", title=L("chart.axis.risk_score")),
                    alt.Tooltip("accounts:Q", title=L("chart.axis.accounts"), format=","),
                ],
            )
            .properties(width=WIDTH, height=HEIGHT)
        )
        charts.append(
            Chart(
                "cc_risk_distribution",
                L("chart.cc.risk_distribution"),
                base_config(c, L("chart.cc.risk_distribution")),
            )
        )

    sc = with_labels(r.tables["scatter_sample"], "tier", lang)
    if len(sc):
        sc = sc.assign(density_plot=sc["density"].clip(lower=0))
        pts = (
            alt.Chart(sc)
            .mark_circle(size=28, opacity=0.6)
            .encode(
                x=alt.X(
                    "density_plot:Q",
                    title=L("chart.axis.density_log"),
                    scale=alt.Scale(type="symlog"),
                    axis=log_like_axis(sc["density_plot"]),
                ),
                y=alt.Y(
                    "decision_ratio:Q",
                    title=L("chart.axis.decision_ratio"),
                    axis=alt.Axis(format=".0%"),
                ),
                color=alt.Color("tier_label:N", title=L("chart.axis.tier"), scale=tier_scale),
                tooltip=[
                    alt.Tooltip("account_name:N", title=L("col.account_name")),
                    alt.Tooltip("density:Q", title=L("col.density"), format=".2f"),
                    alt.Tooltip(
                        "decision_ratio:Q", title=L("chart.axis.decision_ratio"), format=".1%"
                    ),
                ],
            )
        )
        vline = (
            alt.Chart(pd.DataFrame({"x": [m["density_red_line"]]}))
            .mark_rule(strokeDash=[6, 4], color="#444")
            .encode(x="x:Q")
        )
        hline = (
            alt.Chart(pd.DataFrame({"y": [m["decision_ratio_red_line"]]}))
            .mark_rule(strokeDash=[2, 2], color="#444")
            .encode(y="y:Q")
        )
        c = alt.layer(pts, vline, hline).properties(width=WIDTH, height=HEIGHT)
        charts.append(
            Chart(
                "cc_density_decision",
                L("chart.cc.density_decision"),
                base_config(c, L("chart.cc.density_decision")),
            )
        )

    ds = with_labels(r.tables["density_by_size"], "company_size_category", lang)
    if len(ds):
        y = alt.Y(
            "company_size_category_label:N",
            title=L("chart.axis.size"),
            sort=label_order(ds, "company_size_category", lang, r),
        )
        x_scale = alt.Scale(type="symlog")
        x_axis = log_like_axis(ds["max"])
        whisk = (
            alt.Chart(ds)
            .mark_rule()
            .encode(
                y=y,
                x=alt.X("min:Q", title=L("chart.axis.density_log"), scale=x_scale, axis=x_axis),
                x2="max:Q",
            )
        )
        box = (
            alt.Chart(ds)
            .mark_bar(size=18, color="#9ecae1")
            .encode(
                y=y,
                x=alt.X("p25:Q", scale=x_scale),
                x2="p75:Q",
                tooltip=[
                    alt.Tooltip("median:Q", title=L("col.median_density"), format=".2f"),
                    alt.Tooltip("accounts:Q", title=L("chart.axis.accounts"), format=","),
                ],
            )
        )
        med = (
            alt.Chart(ds)
            .mark_tick(color="#08306b", size=18, thickness=2)
            .encode(y=y, x=alt.X("median:Q", scale=x_scale))
        )
        rl = (
            alt.Chart(pd.DataFrame({"x": [m["density_red_line"]]}))
            .mark_rule(strokeDash=[6, 4], color="#d62728")
            .encode(x="x:Q")
        )
        c = alt.layer(whisk, box, med, rl).properties(width=WIDTH, height=max(120, 40 * len(ds)))
        charts.append(
            Chart(
                "cc_density_by_size",
                L("chart.cc.density_by_size"),
                base_config(c, L("chart.cc.density_by_size")),
            )
        )

    hm = with_labels(
        with_labels(r.tables["department_coverage_by_industry"], "department", lang),
        "industry_normalized",
        lang,
    )
    if len(hm):
        c = (
            alt.Chart(hm)
            .mark_rect()
            .encode(
                x=alt.X(
                    "department_label:N",
                    title=L("chart.axis.department"),
                    sort=None,
                    axis=alt.Axis(labelAngle=0),
                ),
                y=alt.Y("industry_normalized_label:N", title=L("chart.axis.industry")),
                color=alt.Color(
                    "coverage_rate:Q",
                    title=L("chart.axis.coverage_rate"),
                    scale=alt.Scale(scheme="blues", domain=[0, 1]),
                    legend=alt.Legend(format=".0%"),
                ),
                tooltip=[
                    alt.Tooltip("industry_normalized_label:N", title=L("chart.axis.industry")),
                    alt.Tooltip("department_label:N", title=L("chart.axis.department")),
                    alt.Tooltip(
                        "coverage_rate:Q", title=L("chart.axis.coverage_rate"), format=".1%"
                    ),
                ],
            )
        )
        labels = c.mark_text(fontSize=10).encode(
            text=alt.Text("coverage_rate:Q", format=".0%"),
            color=alt.condition("datum.coverage_rate > 0.6", alt.value("white"), alt.value("#222")),
        )
        rows = hm["industry_normalized"].nunique()
        c = alt.layer(c, labels).properties(width=WIDTH, height=ROW_HEIGHT * max(rows, 4))
        charts.append(
            Chart(
                "cc_coverage_heatmap",
                L("chart.cc.coverage_heatmap"),
                base_config(c, L("chart.cc.coverage_heatmap")),
            )
        )

    bi = with_labels(r.tables["by_industry"], "industry_normalized", lang)
    bi = bi[bi["key_accounts"] > 0]
    if len(bi):
        c = rate_bars(  # a share: industries differ tenfold in key accounts
            bi,
            category="industry_normalized_label",
            count="high",
            total="key_accounts",
            lang=lang,
            category_title=L("chart.axis.industry"),
            rate_title=L("chart.axis.high_risk_share"),
            min_total=m["peer_min_group_size"],
        )
        charts.append(
            Chart(
                "cc_high_risk_by_industry",
                L("chart.cc.high_risk_by_industry"),
                base_config(c, L("chart.cc.high_risk_by_industry")),
            )
        )

    dg = with_labels(r.tables["department_gaps"], "department", lang)
    if len(dg):
        c = rate_bars(
            dg.assign(key_accounts=r.metric("key_accounts")),
            category="department_label",
            count="accounts_missing",
            total="key_accounts",
            lang=lang,
            category_title=L("chart.axis.department"),
            rate_title=L("chart.axis.share_missing"),
        )
        charts.append(
            Chart(
                "cc_department_gaps",
                L("chart.cc.department_gaps"),
                base_config(c, L("chart.cc.department_gaps")),
            )
        )
    return charts


def method_notes(r: AnalysisResult, lang: str) -> list[Any]:
    blocks: list[Any] = []
    m = r.method
    blocks.append(
        Bullets(
            [
                t(
                    "method.cc.key_accounts",
                    lang,
                    share=m["key_account_share"],
                    tie_break=tr_value(m["tie_break"], lang),
                ),
                t(
                    "method.cc.density",
                    lang,
                    per=m["density_per_employees"],
                    red_line=m["density_red_line"],
                ),
                t("method.cc.decision", lang, red_line=m["decision_ratio_red_line"]),
                t(
                    "method.cc.coverage",
                    lang,
                    departments=list(m["key_departments"]),
                    baselines="; ".join(
                        f"{tr_value(k, lang)} {v}" for k, v in m["coverage_baseline"].items()
                    ),
                ),
                t(
                    "method.cc.peer",
                    lang,
                    pct=m["peer_percentile"],
                    min_group=m["peer_min_group_size"],
                    method=tr_value(m["percentile_method"], lang),
                ),
                t(
                    "method.cc.must_have",
                    lang,
                    rules="; ".join(
                        f"{tr_value(k, lang)}: {fmt_value(v, 'list', lang)}"
                        for k, v in m["industry_must_have"].items()
                    ),
                ),
                t(
                    "method.cc.risk",
                    lang,
                    wd=m["weights"]["density"],
                    wr=m["weights"]["decision"],
                    wc=m["weights"]["coverage"],
                    high=m["tiers"]["high"],
                    medium=m["tiers"]["medium"],
                ),
                t("method.cc.data_gap", lang),
                *depth_notes(m, lang),
                t("method.cc.exclusions", lang),
            ]
        )
    )
    rules = m["title_rules"]
    blocks.append(Para(t("method.cc.title_rules", lang)))
    blocks.append(
        Bullets(
            [
                f"{t('value.' + k, lang)}: " + " | ".join(f"`{p}`" for p in rules[k])
                for k in ("exclude", "c_level", "vp", "known_other")
            ]
        )
    )
    blocks.append(Para(t("method.cc.department_rules", lang)))
    blocks.append(
        Bullets(
            [
                f"{tr_value(k, lang)}: " + " | ".join(f"`{p}`" for p in v)
                for k, v in m["key_departments"].items()
            ]
        )
    )
    return blocks


def depth_notes(m: dict[str, Any], lang: str) -> list[str]:
    """Method notes of the second pass (issue 14): the two risk models, size inference, the
    peer-track collapse and the relative standard, the joint-plan formula, the outcome check."""
    bands = sorted(m["size_from_employees"].items(), key=lambda kv: -kv[1])
    return [
        t(
            "method.cc.risk_models",
            lang,
            model="risk_model." + m["risk_model"],
            departments=len(m["key_departments"]),
            share=m["additive"]["high_share"],
            medium=m["additive"]["medium_points"],
        ),
        t(
            "method.cc.size_inference",
            lang,
            unknown=fmt_value(m["size_unknown_values"], "list", lang),
            bands="; ".join(f"{tr_value(k, lang)} ≥ {v:,}" for k, v in bands) or "—",
        ),
        t(
            "method.cc.peer_collapse",
            lang,
            share=m["peer_collapse_share"],
            fraction=m["relative_peer_fraction"],
        ),
        t(
            "method.cc.joint_plan",
            lang,
            per=m["density_per_employees"],
            ratio=m["decision_ratio_red_line"],
        ),
        t(
            "method.cc.outcomes",
            lang,
            days=m["outcome_window_days"],
            types="; ".join(
                f"{tr_value(k, lang)}: {', '.join(v)}" for k, v in m["outcome_types"].items()
            ),
            min_deals=m["outcome_min_deals"],
        ),
        t(
            "method.cc.alerts",
            lang,
            red_line=m["density_red_line"],
            shortfall=m["alert_density_q1_shortfall"],
            coverage=m["alert_coverage_below"],
            departments=m["alert_critical_departments"],
        ),
    ]


VIEWS = AnalysisViews(
    HEADLINE,
    TABLES,
    COLUMN_FORMATS,
    contact_coverage_charts,
    method_notes,
    story=told(story),
    captions=story.CAPTIONS,
)
