"""Markdown report with PNG charts written beside it (``charts/<id>.png``).

Every text that reaches the page (titles, paragraphs, bullets, table cells) passes through
``escape.markdown_text``: CRM values can hold HTML, link syntax, pipes or line breaks, and a
Markdown viewer that allows HTML would otherwise run it."""

from __future__ import annotations

from crmlens.report.document import Bullets, ChartBlock, Document, MetricGrid, Para, TableBlock
from crmlens.report.escape import markdown_text as _md
from crmlens.report.i18n import t


def _row(cells: list[str]) -> str:
    return "| " + " | ".join(_md(c) for c in cells) + " |"


def _table_note(b: TableBlock, lang: str) -> list[str]:
    """Where the rows not shown are (the appendix, the CSV), or a link to the full table."""
    if b.note:
        return ["", f"_{_md(b.note)}_ [{_md(b.link)}]({b.link})"]
    if b.total_rows > len(b.rows):
        note = t("report.rows_shown", lang, shown=len(b.rows), total=b.total_rows)
        return ["", f"_{_md(note)}_"]
    return []


def render_markdown(doc: Document, chart_files: dict[str, str]) -> str:
    out = [f"# {_md(doc.title)}", "", f"_{_md(doc.subtitle)}_", ""]
    for s in doc.sections:
        out += ["#" * s.level + " " + _md(s.title), ""]
        for b in s.blocks:
            if isinstance(b, Para):
                prefix = {"critical": "⚠ ", "warning": "• ", "action": "→ "}.get(b.severity, "")
                out += [prefix + _md(b.text), ""]
            elif isinstance(b, MetricGrid):
                out += [
                    _row([t("report.metric", doc.lang), t("report.value", doc.lang)]),
                    "| --- | ---: |",
                ]
                out += [_row([k, v]) for k, v in b.items] + [""]
            elif isinstance(b, Bullets):
                marks = [f"{n}." for n in range(1, len(b.items) + 1)] if b.ordered else None
                out += [f"{marks[k] if marks else '-'} {_md(i)}" for k, i in enumerate(b.items)]
                out += [""]
            elif isinstance(b, ChartBlock):
                f = chart_files.get(b.chart.id)
                if f:
                    out += [f"![{_md(b.chart.title)}]({f})", ""]
                out += [f"_{_md(b.caption)}_", ""]
            elif isinstance(b, TableBlock):
                out += [f"**{_md(b.title)}**", "", _row(b.columns), "|" + " --- |" * len(b.columns)]
                out += [_row(row) for row in b.rows]
                out += _table_note(b, doc.lang)
                out += [""]
    return "\n".join(out).rstrip() + "\n"
