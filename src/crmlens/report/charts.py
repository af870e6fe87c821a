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
    return spec


def _labels(df: pd.DataFrame, col: str, lang: str) -> pd.DataFrame:
    out = df.copy()
    out[col + "_label"] = out[col].astype(str).map(lambda v: tr_value(v, lang))
    return out


def contact_coverage_charts(r: AnalysisResult, lang: str) -> list[Chart]:
    L: Callable[..., str] = lambda key, **p: t(key, lang, **p)  # noqa: E731
    m = r.method
    charts: list[Chart] = []
    tier_order = ["high", "medium", "low"]
    tier_labels = [tr_value(x, lang) for x in tier_order]
    tier_scale = alt.Scale(domain=tier_labels, range=["#d62728", "#ff7f0e", "#2ca02c"])

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


CHARTS: dict[str, Callable[[AnalysisResult, str], list[Chart]]] = {
    "contact_coverage": contact_coverage_charts,
}


def charts_for(r: AnalysisResult, lang: str) -> list[Chart]:
    fn = CHARTS.get(r.analysis)
    return fn(r, lang) if fn else []


def to_png(chart: Chart) -> bytes:
    import vl_convert as vlc

    from crmlens.report.fonts import register_cjk_font

    register_cjk_font()
    return vlc.vegalite_to_png(chart.spec, scale=2)
