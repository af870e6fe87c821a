"""Vega-Lite chart specs (Altair) built from result tables — aggregates and samples only.

One spec serves the interactive HTML (vega-embed) and the PNG (vl-convert).  Titles, axis labels
and category labels come from the catalogs; red lines come from the result's ``method``.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Callable

import altair as alt
import pandas as pd

from crmlens.analyses.base import AnalysisResult
from crmlens.report.fonts import CJK_FAMILY
from crmlens.report.i18n import t, tr_value
from crmlens.schema.contracts import MAX_TEXT_CHARS, cap_text

WIDTH = 520
HEIGHT = 300


@dataclass(frozen=True)
class Chart:
    id: str
    title: str
    spec: dict[str, Any]


def _base_config(chart: alt.TopLevelMixin, title: str) -> dict[str, Any]:
    spec = chart.properties(title=title).configure(font=CJK_FAMILY).configure_view(stroke=None).to_dict()
    spec.pop("$schema", None)  # no network lookups
    _cap_labels(spec)
    return spec


def _cap_labels(spec: dict[str, Any]) -> None:
    """Cut every text value of the chart's data to ``MAX_TEXT_CHARS`` (with an ellipsis): a
    megabyte category name would otherwise take the PNG renderer minutes to lay out."""
    for rows in spec.get("datasets", {}).values():
        for row in rows:
            for key, value in row.items():
                if isinstance(value, str) and len(value) > MAX_TEXT_CHARS:
                    row[key] = cap_text(value)


def _labels(df: pd.DataFrame, col: str, lang: str) -> pd.DataFrame:
    out = df.copy()
    out[col + "_label"] = out[col].astype(str).map(lambda v: tr_value(v, lang))
    return out


def contact_coverage_charts(r: AnalysisResult, lang: str) -> list[Chart]:
    L: Callable[..., str] = lambda key, **p: t(key, lang, **p)  # noqa: E731
    m = r.method
    charts: list[Chart] = []
    tier_order = ["high", "data_gap", "medium", "low"]
    tier_labels = [tr_value(x, lang) for x in tier_order]
    tier_scale = alt.Scale(domain=tier_labels, range=["#d62728", "#9467bd", "#ff7f0e", "#2ca02c"])

    rd = _labels(r.tables["risk_distribution"], "tier", lang)
    if len(rd):
        c = alt.Chart(rd).mark_bar().encode(
            x=alt.X("risk_score:O", title=L("chart.axis.risk_score")),
            y=alt.Y("accounts:Q", title=L("chart.axis.accounts")),
            color=alt.Color("tier_label:N", title=L("chart.axis.tier"), scale=tier_scale),
            tooltip=[alt.Tooltip("risk_score:O", title=L("chart.axis.risk_score")), alt.Tooltip("accounts:Q", title=L("chart.axis.accounts"), format=",")],
        ).properties(width=WIDTH, height=HEIGHT)
        charts.append(Chart("cc_risk_distribution", L("chart.cc.risk_distribution"), _base_config(c, L("chart.cc.risk_distribution"))))

    sc = _labels(r.tables["scatter_sample"], "tier", lang)
    if len(sc):
        sc = sc.assign(density_plot=sc["density"].clip(lower=0))
        pts = alt.Chart(sc).mark_circle(size=28, opacity=0.6).encode(
            x=alt.X("density_plot:Q", title=L("chart.axis.density"), scale=alt.Scale(type="symlog")),
            y=alt.Y("decision_ratio:Q", title=L("chart.axis.decision_ratio"), axis=alt.Axis(format=".0%")),
            color=alt.Color("tier_label:N", title=L("chart.axis.tier"), scale=tier_scale),
            tooltip=[alt.Tooltip("account_name:N", title=L("col.account_name")),
                     alt.Tooltip("density:Q", title=L("chart.axis.density"), format=".2f"),
                     alt.Tooltip("decision_ratio:Q", title=L("chart.axis.decision_ratio"), format=".1%")],
        )
        vline = alt.Chart(pd.DataFrame({"x": [m["density_red_line"]]})).mark_rule(strokeDash=[6, 4], color="#444").encode(x="x:Q")
        hline = alt.Chart(pd.DataFrame({"y": [m["decision_ratio_red_line"]]})).mark_rule(strokeDash=[2, 2], color="#444").encode(y="y:Q")
        c = alt.layer(pts, vline, hline).properties(width=WIDTH, height=HEIGHT)
        charts.append(Chart("cc_density_decision", L("chart.cc.density_decision"), _base_config(c, L("chart.cc.density_decision"))))

    ds = _labels(r.tables["density_by_size"], "company_size_category", lang)
    if len(ds):
        y = alt.Y("company_size_category_label:N", title=L("chart.axis.size"), sort=None)
        x_scale = alt.Scale(type="symlog")
        whisk = alt.Chart(ds).mark_rule().encode(y=y, x=alt.X("min:Q", title=L("chart.axis.density"), scale=x_scale), x2="max:Q")
        box = alt.Chart(ds).mark_bar(size=18, color="#9ecae1").encode(y=y, x=alt.X("p25:Q", scale=x_scale), x2="p75:Q",
                                                                       tooltip=[alt.Tooltip("median:Q", title=L("col.median_density"), format=".2f"),
                                                                                alt.Tooltip("accounts:Q", title=L("chart.axis.accounts"), format=",")])
        med = alt.Chart(ds).mark_tick(color="#08306b", size=18, thickness=2).encode(y=y, x=alt.X("median:Q", scale=x_scale))
        rl = alt.Chart(pd.DataFrame({"x": [m["density_red_line"]]})).mark_rule(strokeDash=[6, 4], color="#d62728").encode(x="x:Q")
        c = alt.layer(whisk, box, med, rl).properties(width=WIDTH, height=max(120, 45 * len(ds)))
        charts.append(Chart("cc_density_by_size", L("chart.cc.density_by_size"), _base_config(c, L("chart.cc.density_by_size"))))

    hm = _labels(_labels(r.tables["department_coverage_by_industry"], "department", lang), "industry_normalized", lang)
    if len(hm):
        c = alt.Chart(hm).mark_rect().encode(
            x=alt.X("department_label:N", title=L("chart.axis.department"), sort=None),
            y=alt.Y("industry_normalized_label:N", title=L("chart.axis.industry")),
            color=alt.Color("coverage_rate:Q", title=L("chart.axis.coverage_rate"), scale=alt.Scale(scheme="blues", domain=[0, 1]), legend=alt.Legend(format=".0%")),
            tooltip=[alt.Tooltip("industry_normalized_label:N", title=L("chart.axis.industry")), alt.Tooltip("department_label:N", title=L("chart.axis.department")),
                     alt.Tooltip("coverage_rate:Q", title=L("chart.axis.coverage_rate"), format=".1%")],
        ).properties(width=WIDTH // 2, height=max(160, 18 * hm["industry_normalized"].nunique()))
        charts.append(Chart("cc_coverage_heatmap", L("chart.cc.coverage_heatmap"), _base_config(c, L("chart.cc.coverage_heatmap"))))

    bi = _labels(r.tables["by_industry"], "industry_normalized", lang)
    bi = bi[bi["key_accounts"] > 0]
    if len(bi):
        c = alt.Chart(bi).mark_bar(color="#d62728").encode(
            x=alt.X("high:Q", title=L("chart.axis.high_risk_accounts")),
            y=alt.Y("industry_normalized_label:N", title=L("chart.axis.industry"), sort="-x"),
            tooltip=[alt.Tooltip("industry_normalized_label:N", title=L("chart.axis.industry")), alt.Tooltip("high:Q", title=L("chart.axis.high_risk_accounts"), format=","),
                     alt.Tooltip("high_share:Q", title=L("col.high_share"), format=".1%")],
        ).properties(width=WIDTH, height=max(160, 18 * len(bi)))
        charts.append(Chart("cc_high_risk_by_industry", L("chart.cc.high_risk_by_industry"), _base_config(c, L("chart.cc.high_risk_by_industry"))))

    dg = _labels(r.tables["department_gaps"], "department", lang)
    if len(dg):
        c = alt.Chart(dg).mark_bar(color="#ff7f0e").encode(
            x=alt.X("department_label:N", title=L("chart.axis.department"), sort=None),
            y=alt.Y("share_missing:Q", title=L("chart.axis.share_missing"), axis=alt.Axis(format=".0%")),
            tooltip=[alt.Tooltip("department_label:N", title=L("chart.axis.department")), alt.Tooltip("accounts_missing:Q", title=L("chart.axis.accounts"), format=",")],
        ).properties(width=WIDTH, height=HEIGHT)
        charts.append(Chart("cc_department_gaps", L("chart.cc.department_gaps"), _base_config(c, L("chart.cc.department_gaps"))))
    return charts


def investment_mismatch_charts(r: AnalysisResult, lang: str) -> list[Chart]:
    L: Callable[..., str] = lambda key, **p: t(key, lang, **p)  # noqa: E731
    charts: list[Chart] = []
    yes, no = tr_value("True", lang), tr_value("False", lang)
    flag_scale = alt.Scale(domain=[yes, no], range=["#d62728", "#9ecae1"])

    def add(cid: str, key: str, chart: alt.TopLevelMixin) -> None:
        charts.append(Chart(cid, L(key), _base_config(chart, L(key))))

    qs = r.tables["quadrant_sample"].assign(flag=lambda d: d["mismatched"].map({True: yes, False: no}))
    if len(qs):
        pts = alt.Chart(qs).mark_circle(size=22, opacity=0.6).encode(
            x=alt.X("investment_priority_score:Q", title=L("chart.axis.priority")),
            y=alt.Y("composite:Q", title=L("chart.axis.composite")),
            color=alt.Color("flag:N", title=L("chart.axis.mismatched"), scale=flag_scale),
            tooltip=[alt.Tooltip("customer360_id:N", title=L("col.customer360_id")), alt.Tooltip("investment_priority_score:Q", format=".2f", title=L("chart.axis.priority")),
                     alt.Tooltip("composite:Q", format=".3f", title=L("chart.axis.composite"))])
        v = alt.Chart(pd.DataFrame({"x": [r.metric("priority_cutoff")]})).mark_rule(strokeDash=[6, 4]).encode(x="x:Q")
        h = alt.Chart(pd.DataFrame({"y": [r.metric("composite_cutoff")]})).mark_rule(strokeDash=[6, 4]).encode(y="y:Q")
        add("mm_quadrant", "chart.mm.quadrant", alt.layer(pts, v, h).properties(width=WIDTH, height=HEIGHT))

    st = _labels(r.tables["stages"], "lifecycle_stage", lang)
    if len(st):
        add("mm_lifecycle", "chart.mm.lifecycle", alt.Chart(st).mark_bar(color="#d62728").encode(
            x=alt.X("lifecycle_stage_label:N", title=L("chart.axis.stage"), sort=None),
            y=alt.Y("mismatched:Q", title=L("chart.axis.customers")),
            tooltip=[alt.Tooltip("mismatched:Q", title=L("col.mismatched"), format=","), alt.Tooltip("mismatch_rate:Q", title=L("col.mismatch_rate"), format=".1%")],
        ).properties(width=WIDTH, height=HEIGHT))

    hist = r.tables["roi_histogram"]
    if len(hist):
        hist = hist.assign(flag=hist["mismatched"].map({True: yes, False: no}))
        add("mm_roi_distribution", "chart.mm.roi_distribution", alt.Chart(hist).mark_bar(opacity=0.85).encode(
            x=alt.X("bin_start:Q", bin="binned", title=L("chart.axis.roi")), x2="bin_end:Q",
            y=alt.Y("customers:Q", title=L("chart.axis.customers"), stack=True),
            color=alt.Color("flag:N", title=L("chart.axis.mismatched"), scale=flag_scale),
        ).properties(width=WIDTH, height=HEIGHT))

    g = _labels(_labels(r.tables["groups"], "industry_vertical", lang), "company_size_tier", lang)
    if len(g):
        add("mm_rr_heatmap", "chart.mm.rr_heatmap", alt.Chart(g).mark_rect().encode(
            x=alt.X("company_size_tier_label:N", title=L("chart.axis.size_tier")),
            y=alt.Y("industry_vertical_label:N", title=L("chart.axis.industry")),
            color=alt.Color("rr:Q", title=L("chart.axis.rr"), scale=alt.Scale(scheme="redblue", domainMid=1, reverse=True)),
            tooltip=[alt.Tooltip("rr:Q", format=".2f", title=L("chart.axis.rr")), alt.Tooltip("mismatch_rate:Q", format=".1%", title=L("col.mismatch_rate")),
                     alt.Tooltip("top_customers:Q", title=L("col.top_customers"))],
        ).properties(width=WIDTH // 2, height=max(160, 18 * g["industry_vertical"].nunique())))

    fit = r.tables["onboarding_fit"]
    pts = qs.dropna(subset=["product_adoption_rate"]) if len(qs) else qs
    if len(pts):
        dots = alt.Chart(pts).mark_circle(size=16, opacity=0.4, color="#4c78a8").encode(
            x=alt.X("customer_onboarding_score:Q", title=L("chart.axis.onboarding"), scale=alt.Scale(zero=False)),
            y=alt.Y("product_adoption_rate:Q", title=L("chart.axis.adoption"), axis=alt.Axis(format=".0%")))
        line = alt.Chart(fit).mark_line(color="#d62728", strokeWidth=2).encode(x="onboarding:Q", y="adoption:Q")
        add("mm_onboarding_adoption", "chart.mm.onboarding_adoption", alt.layer(dots, line).properties(width=WIDTH, height=HEIGHT))

    td = r.tables["team_decision"]
    if len(td):
        td = td.assign(exec_label=td["executive"].map({True: yes, False: no}))
        add("mm_team_decision", "chart.mm.team_decision", alt.Chart(td).mark_bar().encode(
            x=alt.X("team_size_bucket:N", title=L("chart.axis.team_size"), sort=None),
            xOffset="exec_label:N",
            y=alt.Y("mean_roi:Q", title=L("chart.axis.roi")),
            color=alt.Color("exec_label:N", title=L("chart.axis.executive")),
            tooltip=[alt.Tooltip("mean_roi:Q", format=".2f", title=L("col.mean_roi")), alt.Tooltip("customers:Q", title=L("col.customers"), format=",")],
        ).properties(width=WIDTH, height=HEIGHT))
    return charts


CHARTS: dict[str, Callable[[AnalysisResult, str], list[Chart]]] = {
    "contact_coverage": contact_coverage_charts,
    "investment_mismatch": investment_mismatch_charts,
}


def charts_for(r: AnalysisResult, lang: str) -> list[Chart]:
    fn = CHARTS.get(r.analysis)
    return fn(r, lang) if fn else []


def to_png(chart: Chart) -> bytes:
    import vl_convert as vlc

    from crmlens.report.fonts import register_cjk_font

    register_cjk_font()
    return vlc.vegalite_to_png(chart.spec, scale=2)
