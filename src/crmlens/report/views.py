"""What an analysis unit tells the report layer about its result: headline metrics, table views
with column formats, chart builders and method notes.  A unit's ``views`` module exposes one
``VIEWS = AnalysisViews(...)``; the document, Markdown/HTML writers, Excel and the summary read it
and never name an analysis.

Column formats: ``int`` ``num`` ``pct`` ``usd`` ``p`` (p-value) · ``t`` (a value translated through
``value.<x>``) · ``list`` (translated items) · ``codes`` (catalog keys joined by "; ").
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Callable

if TYPE_CHECKING:  # pragma: no cover
    from crmlens.analyses.base import AnalysisResult
    from crmlens.report.charts import Chart

TRANSLATED_FORMATS = ("t", "list", "codes")


@dataclass(frozen=True)
class TableView:
    """One table of the result as the report shows it: which columns, in which order, how many
    rows in the body (``top_n`` uses the report's ``--top``)."""

    name: str
    columns: tuple[str, ...]
    limit: int | str = 200  # a row count, or "top_n"

    def rows(self, top_n: int) -> int:
        return top_n if self.limit == "top_n" else int(self.limit)


@dataclass(frozen=True)
class AnalysisViews:
    headline: tuple[str, ...] = ()
    tables: tuple[TableView, ...] = ()
    column_formats: dict[str, str] = field(default_factory=dict)
    charts: Callable[["AnalysisResult", str], list["Chart"]] | None = None
    method_notes: Callable[["AnalysisResult", str], list[Any]] | None = None

    def format_of(self, column: str) -> str:
        return self.column_formats.get(column, "")


EMPTY = AnalysisViews()


def views_of(analysis: str) -> AnalysisViews:
    """The registered views of an analysis (empty views for an analysis no longer registered,
    e.g. results saved by another version: its tables still render with default formats)."""
    from crmlens.analyses import REGISTRY

    spec = REGISTRY.get(analysis)
    views = spec.load_views() if spec is not None else None
    return views if views is not None else EMPTY
