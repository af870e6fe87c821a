"""Report views of the health score: headline metrics, table views and column formats, charts
(Vega-Lite specs built from result tables) and method notes."""

from __future__ import annotations

from typing import Any, Callable

import altair as alt

from crmlens.analyses.base import AnalysisResult
from crmlens.analyses.health_score import story
from crmlens.report.charts import HEIGHT, WIDTH, Chart, base_config, with_labels
from crmlens.report.document import Bullets
from crmlens.report.i18n import fmt_value, t, tr_value
from crmlens.report.views import AnalysisViews, TableView, told

HEADLINE = (
    "accounts",
    "mean_score",
    "median_score",
    "low_health",
    "low_health_share",
    "high_health",
    "accounts_missing_inputs",
    "high_level_cells",
    "outlook_total",
    "outlook_top_quartile_share",
)

TABLES = (
    TableView(
        "top_low_health",
        (
            "priority_rank",
            "account_name",
            "account_owner_name",
            "industry_normalized",
            "company_size_category",
            "health_score",
            "tier",
            "reason_1",
            "reason_2",
            "days_since_last_activity",
            "email_share",
            "outlook",
        ),
        "top_n",
    ),
    TableView(
        "risk_matrix",
        (
            "industry_normalized",
            "company_size_category",
            "accounts",
            "low_health",
            "low_health_share",
            "level",
        ),
        20,
    ),
    TableView(
        "low_health_profile",
        ("feature", "low_health_mean", "others_mean", "difference", "low_health_known"),
        20,
    ),
    TableView("variance_shares", ("component", "mean_points", "variance_share"), 20),
    TableView("outlook_by_quartile", ("quartile", "accounts", "outlook", "outlook_share"), 20),
    TableView(
        "backtest_by_tier", ("tier", "customers", "churned", "churn_rate", "lift", "contracted"), 20
    ),
)

COLUMN_FORMATS = {
    "health_score": "num",
    "tier": "t",
    "level": "t",
    "reason_1": "t",
    "reason_2": "t",
    "industry_normalized": "t",
    "company_size_category": "t",
    "feature": "t",
    "component": "t",
    "playbook": "t",
    "owner_role": "t",
    "action": "t",
    "accounts": "int",
    "low_health": "int",
    "low_health_known": "int",
    "low_health_share": "pct",
    "email_share": "pct",
    "variance_share": "pct",
    "outlook_share": "pct",
    "outlook": "usd",
    "mean_points": "num",
    "low_health_mean": "num",
    "others_mean": "num",
    "difference": "num",
    "days_since_last_activity": "int",
    "customers": "int",
    "churned": "int",
    "contracted": "int",
    "churn_rate": "pct",
    "lift": "num",
}

TIER_COLOURS = {"low": "#d62728", "medium": "#ff7f0e", "high": "#2ca02c"}
LEVEL_COLOURS = {"high": "#d62728", "elevated": "#ff7f0e", "watch": "#fdd0a2", "stable": "#e5f5e0"}


def health_charts(r: AnalysisResult, lang: str) -> list[Chart]:
    L: Callable[..., str] = lambda key, **p: t(key, lang, **p)  # noqa: E731
    charts: list[Chart] = []
    tiers = [tr_value(x, lang) for x in TIER_COLOURS]
    dist = with_labels(r.tables["score_distribution"], "tier", lang)
    if len(dist):
        c = (
            alt.Chart(dist)
            .mark_bar()
            .encode(
                x=alt.X("band:O", title=L("chart.axis.health_band")),
                y=alt.Y("accounts:Q", title=L("chart.axis.accounts")),
                color=alt.Color(
                    "tier_label:N",
                    title=L("chart.axis.tier"),
                    scale=alt.Scale(domain=tiers, range=list(TIER_COLOURS.values())),
                ),
                tooltip=[
                    alt.Tooltip("band:O", title=L("chart.axis.health_band")),
                    alt.Tooltip("accounts:Q", title=L("chart.axis.accounts"), format=","),
                ],
            )
            .properties(width=WIDTH, height=HEIGHT)
        )
        title = L("chart.hs.distribution")
        charts.append(Chart("hs_distribution", title, base_config(c, title)))
    matrix = r.tables["risk_matrix"]
    if len(matrix):
        hm = with_labels(
            with_labels(matrix, "industry_normalized", lang), "company_size_category", lang
        )
        c = (
            alt.Chart(hm)
            .mark_rect()
            .encode(
                x=alt.X("company_size_category_label:N", title=L("chart.axis.size"), sort=None),
                y=alt.Y("industry_normalized_label:N", title=L("chart.axis.industry")),
                color=alt.Color(
                    "low_health_share:Q",
                    title=L("col.low_health_share"),
                    scale=alt.Scale(scheme="reds", domain=[0, 1]),
                    legend=alt.Legend(format=".0%"),
                ),
                tooltip=[
                    alt.Tooltip("industry_normalized_label:N", title=L("chart.axis.industry")),
                    alt.Tooltip("company_size_category_label:N", title=L("chart.axis.size")),
                    alt.Tooltip("accounts:Q", title=L("chart.axis.accounts"), format=","),
                    alt.Tooltip(
                        "low_health_share:Q", title=L("col.low_health_share"), format=".0%"
                    ),
                ],
            )
            .properties(width=WIDTH // 2, height=max(160, 18 * hm["industry_normalized"].nunique()))
        )
        title = L("chart.hs.risk_matrix")
        charts.append(Chart("hs_risk_matrix", title, base_config(c, title)))
    shares = with_labels(
        r.tables["variance_shares"].dropna(subset=["variance_share"]), "component", lang
    )
    if len(shares):
        c = (
            alt.Chart(shares)
            .mark_bar(color="#4c78a8")
            .encode(
                x=alt.X(
                    "variance_share:Q", title=L("col.variance_share"), axis=alt.Axis(format=".0%")
                ),
                y=alt.Y("component_label:N", title=L("col.component"), sort="-x"),
            )
            .properties(width=WIDTH, height=max(100, 30 * len(shares)))
        )
        title = L("chart.hs.variance_shares")
        charts.append(Chart("hs_variance_shares", title, base_config(c, title)))
    return charts


def method_notes(r: AnalysisResult, lang: str) -> list[Any]:
    m = r.method
    weights = "; ".join(
        f"{tr_value(c, lang)} {fmt_value(w, 'num', lang)}" for c, w in m["weights"].items()
    )
    sizes = "; ".join(
        f"{tr_value(k, lang)} {fmt_value(v, 'num', lang)}" for k, v in m["size_scores"].items()
    )
    v2 = m["v2"]
    params = {
        "sizes": sizes,
        "extra": v2["complaint_weight"] - 1,
        "support_days": v2["support_window_days"],
        "cap": v2["case_cap"],
        "nps_days": v2["nps_window_days"],
        "trend_days": v2["trend_window_days"],
    }
    components = [t(f"method.hs.c.{c}", lang, **params) for c in m["components"]]
    notes = [
        t("method.hs.preset", lang, preset=tr_value(m["preset"], lang), weights=weights),
        t("method.hs.combine", lang) + " " + " ".join(components),
        t("method.hs.edges", lang),
        t(f"method.hs.missing_{m['missing_inputs']}", lang),
        t("method.hs.tiers", lang, high=m["high_score"], medium=m["medium_score"]),
        t(
            "method.hs.matrix",
            lang,
            high=m["matrix_levels"]["high"],
            elevated=m["matrix_levels"]["elevated"],
            watch=m["matrix_levels"]["watch"],
        ),
        t(
            "method.hs.outlook",
            lang,
            won=m["outlook_weights"]["won"],
            pipeline=m["outlook_weights"]["pipeline"],
        ),
        t("method.hs.variance", lang),
        t("method.hs.window_end", lang, date=m["window_end"]),
        t(
            "method.hs.backtest",
            lang,
            cutoff=m["backtest"]["cutoff"],
            horizon=m["backtest"]["horizon"],
        ),
    ]
    if m["profiles"]["column"]:
        notes.append(
            t(
                "method.hs.profiles",
                lang,
                column=m["profiles"]["column"],
                count=len(m["profiles"]["weights"]),
            )
        )
    if m["unmeasurable"]:
        notes.append(t("method.hs.unmeasurable", lang, components=m["unmeasurable"]))
    if m["backtest"].get("dropped"):
        notes.append(
            t(
                "method.hs.backtest_dropped",
                lang,
                components=m["backtest"]["dropped"],
                cutoff=m["backtest"]["cutoff"],
            )
        )
    return [Bullets(notes)]


VIEWS = AnalysisViews(
    HEADLINE,
    TABLES,
    COLUMN_FORMATS,
    health_charts,
    method_notes,
    story=told(story),
    captions=story.CAPTIONS,
)
