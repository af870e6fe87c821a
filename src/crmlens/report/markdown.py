"""Markdown report with PNG charts written beside it (``charts/<id>.png``)."""

from __future__ import annotations

from crmlens.report.document import Bullets, ChartBlock, Document, MetricGrid, Para, TableBlock
from crmlens.report.i18n import t


def _cell(s: str) -> str:
    return s.replace("|", "\\|").replace("\n", " ")


def render_markdown(doc: Document, chart_files: dict[str, str]) -> str:
    out = [f"# {doc.title}", "", f"_{doc.subtitle}_", ""]
    for s in doc.sections:
        out += ["#" * s.level + " " + s.title, ""]
        for b in s.blocks:
            if isinstance(b, Para):
                prefix = {"critical": "⚠ ", "warning": "• ", "action": "→ "}.get(b.severity, "")
                out += [prefix + b.text, ""]
            elif isinstance(b, MetricGrid):
                out += [f"| {t('report.metric', doc.lang)} | {t('report.value', doc.lang)} |", "| --- | ---: |"]
                out += [f"| {_cell(k)} | {_cell(v)} |" for k, v in b.items] + [""]
            elif isinstance(b, Bullets):
                out += [f"- {i}" for i in b.items] + [""]
            elif isinstance(b, ChartBlock):
                f = chart_files.get(b.chart.id)
                if f:
                    out += [f"![{b.chart.title}]({f})", ""]
            elif isinstance(b, TableBlock):
                out += [f"**{b.title}**", "", "| " + " | ".join(_cell(c) for c in b.columns) + " |", "|" + " --- |" * len(b.columns)]
                out += ["| " + " | ".join(_cell(c) for c in row) + " |" for row in b.rows]
                if b.total_rows > len(b.rows):
                    out += ["", "_" + t("report.rows_shown", doc.lang, shown=len(b.rows), total=b.total_rows) + "_"]
                out += [""]
    return "\n".join(out).rstrip() + "\n"
