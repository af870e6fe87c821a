"""Report views of the portfolio review: the seven cards first, then the evidence tables of each
dimension, two charts (Lorenz curve, NPS per quarter) and the method notes (every definition,
window and threshold used)."""

from __future__ import annotations

from typing import Any

import altair as alt
import pandas as pd

from crmlens.analyses.base import AnalysisResult
from crmlens.analyses.portfolio_review import story
from crmlens.report.charts import HEIGHT, WIDTH, Chart, base_config
from crmlens.report.document import Bullets
from crmlens.report.i18n import t, tr_value
from crmlens.report.views import AnalysisViews, TableView, metric_format, told

HEADLINE = (
    "window_end",
    "customers_t12",
    "revenue_t12",
    "top_share",
    "gini",
    "ltv_cac_share_above",
    "nrr",
    "grr",
    "logo_retention",
    "repeat_rate",
    "dormant_share",
    "acquisition_spend_share",
    "new_business_revenue_share",
    "top5_share",
    "top3_drop",
    "churned_revenue",
    "largest_channel_customer_share",
    "best_channel_roi",
    "feature_request_share",
    "nps_t12",
    "complaints_per_100_customers",
    "lost_to_competitor_share",
    "customers_with_competitor_share",
)

SEGMENT_COLUMNS = ("customers", "revenue", "customer_share", "revenue_share")
NPS_COLUMNS = ("segment", "responses", "nps")

TABLES = (
    TableView(
        "cards",
        (
            "dimension",
            "status",
            "metric",
            "value",
            "change_since_last_run",
            "red_line",
            "watch_line",
            "needs",
        ),
    ),
    TableView("value_tiers", ("value_tier", "customers", "revenue", "margin_rate")),
    TableView("lorenz", ("customer_share", "revenue_share")),
    TableView("ltv_cac_distribution", ("band", "customers")),
    TableView("ltv_cac_by_tier", ("customer_tier", "customers", "share_above")),
    TableView("new_by_quarter", ("quarter", "new_customers")),
    TableView(
        "cac_by_channel", ("channel", "new_t12", "new_p12", "spend_t12", "cac_t12", "cac_p12")
    ),
    TableView("lifecycle_mix", ("lifecycle_stage", "customers", "share")),
    TableView(
        "churn_profile",
        (
            "factor",
            "test",
            "statistic",
            "p_value",
            "effect_kind",
            "effect",
            "churned_top",
            "churned_value",
            "retained_value",
            "n_churned",
            "n_retained",
            "significant",
        ),
    ),
    TableView("by_geographic_region", ("geographic_region", *SEGMENT_COLUMNS)),
    TableView("by_acquisition_channel", ("acquisition_channel", *SEGMENT_COLUMNS)),
    TableView("by_company_size_category", ("company_size_category", *SEGMENT_COLUMNS)),
    TableView(
        "channel_roi", ("channel", "customers", "revenue", "spend_t12", "spend_share", "roi")
    ),
    TableView("case_mix", ("case_class", "cases", "share")),
    TableView(
        "topics",
        ("topic", "quarter", "cases_quarter", "share_quarter", "share_previous", "share_change"),
    ),
    TableView("deal_mix", ("band", "share_p12", "share_t12")),
    TableView("nps_by_quarter", ("quarter", "responses", "nps")),
    TableView("nps_by_company_size_category", NPS_COLUMNS),
    TableView("nps_by_geographic_region", NPS_COLUMNS),
    TableView(
        "promoters_vs_detractors",
        (
            "category",
            "accounts",
            "renewed_rate",
            "renewed_low",
            "renewed_high",
            "expanded_rate",
            "expanded_low",
            "expanded_high",
        ),
    ),
    TableView("repurchase_after_complaint", ("group", "accounts", "rate", "ci_low", "ci_high")),
    TableView("lost_to_competitor_by_quarter", ("quarter", "lost", "to_competitor", "share")),
    TableView("top_competitors", ("competitor", "deals")),
    TableView("loss_reasons", ("loss_reason", "deals", "share")),
)

PCT = (
    "customer_share",
    "revenue_share",
    "margin_rate",
    "share_above",
    "share",
    "spend_share",
    "share_quarter",
    "share_previous",
    "share_change",
    "share_p12",
    "share_t12",
    "renewed_rate",
    "renewed_low",
    "renewed_high",
    "expanded_rate",
    "expanded_low",
    "expanded_high",
    "rate",
    "ci_low",
    "ci_high",
)
USD = ("revenue", "spend_t12", "cac_t12", "cac_p12")
INTS = (
    "customers",
    "new_customers",
    "new_t12",
    "new_p12",
    "cases",
    "cases_quarter",
    "responses",
    "accounts",
    "lost",
    "to_competitor",
    "deals",
)
COLUMN_FORMATS = {
    **dict.fromkeys(PCT, "pct"),
    **dict.fromkeys(USD, "usd"),
    **dict.fromkeys(INTS, "int"),
    "dimension": "t",
    "status": "t",
    "metric": "col",
    "value": "unit",  # the figures of the seven red-line metrics: each in its own unit
    "change_since_last_run": "unit",
    "red_line": "unit",
    "watch_line": "unit",
    "value_tier": "t",
    "case_class": "t",
    "topic": "t",
    "band": "t",
    "category": "t",
    "group": "t",
    "factor": "col",
    "test": "t",
    "effect_kind": "t",
    "p_value": "p",
    "statistic": "num",
    "effect": "num",
    "churned_top": "t",
    "churned_value": "num",
    "n_churned": "int",
    "n_retained": "int",
    "retained_value": "num",
    "nps": "num",
    "roi": "num",
    "level": "t",
    "target_value": "unit",
}


def row_formats(r: AnalysisResult, rows: pd.DataFrame) -> list[str]:
    """Each row's figure format: the unit of its red-line metric (the row's ``metric``, or its
    dimension's on the cards)."""
    if "metric" in rows.columns:
        metrics = rows["metric"]
    else:
        cards = r.tables.get("cards")
        card_metric = {} if cards is None else dict(zip(cards["dimension"], cards["metric"]))
        metrics = rows["dimension"].map(card_metric)
    return [metric_format(r, name) for name in metrics]


def charts(r: AnalysisResult, lang: str) -> list[Chart]:
    out: list[Chart] = []
    lorenz = r.tables.get("lorenz")
    if lorenz is not None and len(lorenz):
        points = pd.concat(
            [pd.DataFrame({"customer_share": [0.0], "revenue_share": [0.0]}), lorenz]
        )
        title = t("chart.pr.lorenz", lang)
        curve = (
            alt.Chart(points)
            .mark_line(point=True)
            .encode(
                x=alt.X(
                    "customer_share:Q",
                    title=t("col.customer_share", lang),
                    axis=alt.Axis(format=".0%"),
                ),
                y=alt.Y(
                    "revenue_share:Q",
                    title=t("col.revenue_share", lang),
                    axis=alt.Axis(format=".0%"),
                ),
            )
        )
        diagonal = (
            alt.Chart(pd.DataFrame({"x": [0, 1], "y": [0, 1]}))
            .mark_line(strokeDash=[4, 4], color="#888")
            .encode(x="x:Q", y="y:Q")
        )
        chart = alt.layer(diagonal, curve).properties(width=WIDTH, height=HEIGHT)
        out.append(Chart("pr_lorenz", title, base_config(chart, title)))
    nps = r.tables.get("nps_by_quarter")
    if nps is not None and len(nps):
        title = t("chart.pr.nps_by_quarter", lang)
        chart = (
            alt.Chart(nps)
            .mark_line(point=True)
            .encode(
                x=alt.X("quarter:O", title=t("col.quarter", lang)),
                y=alt.Y("nps:Q", title=t("col.nps", lang)),
            )
            .properties(width=WIDTH, height=HEIGHT)
        )
        out.append(Chart("pr_nps_by_quarter", title, base_config(chart, title)))
    return out


def method_notes(r: AnalysisResult, lang: str) -> list[Any]:
    m = r.method
    lines = [
        t(
            "method.pr.windows",
            lang,
            end=m["window_end"],
            source=t(f"value.portfolio_review.as_of_{m['as_of_source']}", lang),
            t12_start=m["t12"][0],
            p12_start=m["p12"][0],
            p12_end=m["p12"][1],
            days=m["window_days"],
        ),
        t("method.pr.revenue", lang),
        t("method.pr.value", lang, share=m["top_share"], red=m["ltv_cac_red_line"]),
        t("method.pr.growth", lang, dormant=m["dormant_days"]),
        t(
            "method.pr.growth_bought",
            lang,
            new=", ".join(m["new_business_types"]),
            existing=", ".join(m["existing_business_types"]),
        ),
        t("method.pr.risk", lang, top_n=m["top_concentration_n"], loss_n=m["top_loss_n"]),
        t(
            "method.pr.structure",
            lang,
            channels="; ".join(f"{k} → {v}" for k, v in m["campaign_channels"].items()),
        ),
        t(
            "method.pr.needs",
            lang,
            topics="; ".join(  # the matching rules, quoted as they are configured
                f"{tr_value(k, lang, 'portfolio_review')}: {', '.join(f'`{w}`' for w in v)}"
                for k, v in m["case_topics"].items()
            ),
        ),
        t(
            "method.pr.experience",
            lang,
            promoter=m["promoter_min"],
            passive=m["passive_min"],
            confidence=m["confidence"],
        ),
        t(
            "method.pr.competition",
            lang,
            keywords=", ".join(f"`{w}`" for w in m["competitor_loss_keywords"]),
        ),
        t("method.pr.status", lang),
    ]
    days = m.get("milestones_days")  # absent from results saved before the plan
    if days:
        first, alert, watch, check = days
        keys = {"first": first, "alert": alert, "watch": watch, "check": check}
        lines.append(t("method.pr.plan", lang, **keys, as_of=m.get("plan_as_of")))
    return [Bullets(lines)]


VIEWS = AnalysisViews(
    HEADLINE,
    TABLES,
    COLUMN_FORMATS,
    charts,
    method_notes,
    story=told(story),
    captions=story.CAPTIONS,
    row_formats=row_formats,
)
