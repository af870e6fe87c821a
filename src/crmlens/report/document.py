"""The report as a neutral document (sections of paragraphs, metric grids, tables, charts),
built from AnalysisResults in one language.  HTML and Markdown writers only lay it out.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import Any

import pandas as pd

from crmlens.analyses.base import AnalysisResult
from crmlens.report.blocks import (  # noqa: F401  (re-exported: the writers import them here)
    BODY_ROWS,
    Bullets,
    ChartBlock,
    Document,
    MetricGrid,
    Para,
    Section,
    TableBlock,
)
from crmlens.report.i18n import column_label, fmt_value, has, scoped_key, t, tr_codes, tr_value
from crmlens.report.views import EMPTY, UNIT_SPEC, AnalysisViews, TableView, views_of
from crmlens.schema.contracts import cap_text
from crmlens.schema.contracts import CONTRACTS


def pii_columns() -> frozenset[str]:
    """Columns holding personal data (e-mails, phones, people's names), from every contract —
    including tables an analysis unit brought."""
    return frozenset(c.name for spec in CONTRACTS.values() for c in spec.columns if c.pii)


def format_cell(
    value: Any,
    col: str,
    lang: str,
    views: AnalysisViews = EMPTY,
    scope: str | None = None,
    spec: str | None = None,
) -> str:
    """A table cell in the column's format (``spec``: this row's, for a ``unit`` column)."""
    if value is None or (isinstance(value, float) and math.isnan(value)) or value is pd.NA:
        return "—"
    if isinstance(value, str):
        value = cap_text(value)  # a label, not the data: tables/ keeps the full text
    spec = views.format_of(col) if spec is None else spec
    if spec == "list" and isinstance(value, str):
        value = [v for v in value.split("; ") if v]
    if spec == "codes":
        return tr_codes(value if isinstance(value, str) else "; ".join(value), lang)
    if isinstance(value, bool) or spec == "t":
        return tr_value(str(value), lang, scope)
    return fmt_value(value, spec, lang, scope)


def _sort_key(value: Any) -> Any:
    if value is None or value is pd.NA or (isinstance(value, float) and math.isnan(value)):
        return None
    if isinstance(value, (list, tuple)):
        return len(value)
    if hasattr(value, "item"):
        return value.item()
    if isinstance(value, str):
        return cap_text(value)
    return value if isinstance(value, (int, float)) else str(value)


def table_block(
    r: AnalysisResult,
    view: TableView,
    lang: str,
    limit: int,
    include_pii: bool,
    views: AnalysisViews = EMPTY,
) -> TableBlock | None:
    name = view.name
    df = r.tables.get(name)
    if df is None:
        return None
    cols = [c for c in view.columns if c in df.columns]
    if not include_pii:
        pii = pii_columns()
        cols = [c for c in cols if c not in pii]
    head = df[cols].head(limit)
    specs = [views.cell_formats(r, df.head(limit), c) for c in cols]
    rows = [
        [
            format_cell(v, c, lang, views, r.analysis, spec[i])
            for c, v, spec in zip(cols, rec, specs)
        ]
        for i, rec in enumerate(head.itertuples(index=False, name=None))
    ]
    keys = [[_sort_key(v) for v in rec] for rec in head.itertuples(index=False, name=None)]
    return TableBlock(
        f"{r.analysis}-{name}",
        t(f"table.{r.analysis}.{name}", lang),
        [column_label(c, lang, r.analysis) for c in cols],
        rows,
        keys,
        len(df),
        link=f"tables/{r.analysis}/{name}.csv",
    )


def metric_grid(r: AnalysisResult, lang: str) -> MetricGrid:
    """The headline metrics a unit declares, at most ``BODY_ROWS`` of them (a grid, not a dump;
    every metric stays in summary.json and the results)."""
    items = []
    for name in (views_of(r.analysis).headline or list(r.metrics))[:BODY_ROWS]:
        if name not in r.metrics:  # e.g. model metrics when too few rows to fit a model
            continue
        m = r.metrics[name]
        items.append(
            (t(f"metric.{r.analysis}.{name}", lang), fmt_value(m.value, UNIT_SPEC[m.unit], lang))
        )
    return MetricGrid(items)


def method_notes(r: AnalysisResult, lang: str) -> list[Any]:
    fn = views_of(r.analysis).method_notes
    return fn(r, lang) if fn else []


def since_last_section(since: dict, results: dict[str, AnalysisResult], lang: str) -> Section:
    sec = Section("since-last-run", t("report.since_last", lang, previous=since["previous_as_of"]))
    deltas = since["metric_deltas"]
    rows, keys = [], []
    for d in deltas.itertuples(index=False):
        if d.metric not in views_of(d.analysis).headline or d.delta == 0:
            continue
        spec = UNIT_SPEC.get(d.unit, "num")
        sign = "+" if d.delta > 0 else "−"
        rows.append(
            [
                t(f"analysis.{d.analysis}.title", lang),
                t(f"metric.{d.analysis}.{d.metric}", lang),
                fmt_value(d.previous, spec, lang),
                fmt_value(d.current, spec, lang),
                sign + fmt_value(abs(d.delta), spec, lang),
            ]
        )
        keys.append([d.analysis, d.metric, d.previous, d.current, d.delta])
    if rows:
        sec.blocks.append(
            TableBlock(
                "since-last-deltas",
                t("report.metric_changes", lang),
                [
                    t(c, lang)
                    for c in (
                        "col.analysis",
                        "report.metric",
                        "report.previous",
                        "report.current",
                        "report.delta",
                    )
                ],
                rows,
                keys,
                len(rows),
            )
        )
    else:
        sec.blocks.append(Para(t("report.no_metric_changes", lang)))
    for key, ents in since["lists"].items():
        analysis, event = key.split(":", 1)
        names = [str(n) for n in ents["entity_name"].head(30)]
        more = len(ents) - len(names)
        text = t(
            scoped_key("report.event", analysis, event, lang),
            lang,
            count=len(ents),
            tier=since.get("tiers", {}).get(key),
            names=", ".join(names) + (f" (+{more})" if more > 0 else ""),
        )
        sec.blocks.append(Para(text))
    return sec


def alerts_section(alerts: list[dict], lang: str) -> Section:
    sec = Section("alerts", t("report.alerts", lang, count=len(alerts)))
    if not alerts:
        sec.blocks.append(Para(t("report.no_alerts", lang)))
        return sec
    order = {"critical": 0, "warning": 1, "info": 2}
    for a in sorted(alerts, key=lambda a: (order.get(a["severity"], 3), a["rule_id"])):
        sec.blocks.append(
            Para(
                f"[{tr_value(a['severity'], lang)}] {a['message'][lang]}"
                f" — {tr_value(a['owner'], lang)}",
                a["severity"],
            )
        )
    return sec


def build_document(
    results: dict[str, AnalysisResult],
    lang: str,
    *,
    include_pii: bool = False,
    top_n: int = 20,
    profile: dict | None = None,
    generated: str = "",
    since_last: dict | None = None,
    alerts: list[dict] | None = None,
    charts: Mapping[str, list] | None = None,
) -> Document:
    """Alerts and changes since the last run (when monitored), the executive summary, one
    answer-first part per analysis (answer, why, what to do, evidence, data quality, method),
    validation notes and the appendix of long tables.  ``charts``: per analysis, its captioned
    charts when already built (``sections.captioned_charts``)."""
    from crmlens.report.sections import AnalysisPart, executive_summary

    sections: list[Section] = []
    if alerts is not None:
        sections.append(alerts_section(alerts, lang))
    if since_last is not None:
        sections.append(since_last_section(since_last, results, lang))
    built = charts or {}
    parts = [
        AnalysisPart(r, lang, include_pii, top_n, built.get(r.analysis)) for r in results.values()
    ]
    sections.append(executive_summary(parts, lang))
    figures = 0
    for part in parts:
        sections.extend(part.sections(figures))
        figures += part.figure_count
    if profile and profile.get("issues"):
        qsec = Section("validation", t("report.validation", lang))
        qsec.blocks.append(Bullets([issue_text(i, lang) for i in profile["issues"]]))
        sections.append(qsec)
    appendix = [block for part in parts for block in part.appendix]
    if appendix:
        sections.append(Section("appendix", t("report.appendix", lang), appendix))
    return Document(
        lang, t("report.title", lang), t("report.generated", lang, when=generated), sections
    )


def issue_text(issue: dict, lang: str) -> str:
    params = dict(issue.get("params", {}))
    params.setdefault("table", issue.get("table"))
    params.setdefault("column", issue.get("column"))
    if "analyses" in params:  # analysis names → their titles in the reader's language
        names = params["analyses"]
        names = names.split(", ") if isinstance(names, str) else list(names)
        titles = [
            t(f"analysis.{n}.title", lang) if has(f"analysis.{n}.title") else n for n in names
        ]
        params["analyses"] = ("、" if lang == "zh" else ", ").join(titles)
    code = issue["code"]
    return t(code, lang, **params) if has(code, lang) else code
