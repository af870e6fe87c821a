"""What an analysis unit tells the report layer about its result: headline metrics, table views
with column formats, chart builders, chart captions, the story (answer, why, what to do) and method
notes.  A unit's ``views`` module exposes one ``VIEWS = AnalysisViews(...)``; the document,
Markdown/HTML writers, Excel and the summary read it and never name an analysis.

The story is what a reader sees first: an answer paragraph with the key numbers, the diagnosis
(``why``: groups, drivers, strength of evidence, what the data cannot say), what to do (prioritised
actions; the plan by milestone comes from the ``plan_summary`` table) and the trigger that raises
an alert.  Every line is a catalog key with computed parameters (:class:`Line`).  A chart is placed
after the ``why`` line its :class:`Caption` names, with a one-sentence takeaway computed from the
result.

Column formats: ``int`` ``num`` ``pct`` ``usd`` ``p`` (p-value) · ``t`` (a value translated through
``value.<x>``) · ``list`` (translated items) · ``codes`` (catalog keys joined by "; ") · ``unit``
(a column of figures in different units, e.g. one metric per row: each row's format comes from the
unit's ``row_formats``, so a share prints 84%, money $1,234 and a count 1,234 in the same column).
"""

from __future__ import annotations

from dataclasses import dataclass, field, fields
from typing import TYPE_CHECKING, Any, Callable

if TYPE_CHECKING:  # pragma: no cover
    import pandas as pd

    from crmlens.analyses.base import AnalysisResult
    from crmlens.report.charts import Chart

TRANSLATED_FORMATS = ("t", "list", "codes")
ROW_UNIT = "unit"  # a column whose rows are figures in different units (``row_formats``)
UNIT_SPEC = {  # a metric's unit → its format
    "count": "int",
    "ratio": "pct",
    "usd": "usd",
    "per_1000": "num",
    "score": "num",
    "days": "int",
    "text": "",
}


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
class Line:
    """One sentence of the story: a catalog key and its computed parameters.  ``id`` names a
    ``why`` line (charts whose caption ``supports`` it are placed after it); ``strength`` is
    ``weak`` for a line resting on weak evidence (the summary labels it, never leads with it)."""

    key: str
    params: dict[str, Any] = field(default_factory=dict)
    id: str = ""
    severity: str = "info"
    strength: str = "strong"


@dataclass(frozen=True)
class Story:
    """The answer-first narrative of one analysis (see the module docstring)."""

    answer: tuple[Line, ...] = ()
    overview: tuple[Line, ...] = ()  # one bullet per part of the answer (e.g. a dimension)
    why: tuple[Line, ...] = ()
    limits: tuple[Line, ...] = ()  # what the data cannot say
    actions: tuple[Line, ...] = ()  # prioritised: first is first
    trigger: Line | None = None
    summary: tuple[Line, ...] = ()  # executive-summary bullets, most important first


def told(parts: Any) -> Callable[["AnalysisResult"], Story]:
    """A unit's story from its story module: every :class:`Story` field the module defines as a
    function of the result (``answer``, ``overview``, ``why``, ``limits``, ``actions``,
    ``trigger``, ``summary``) is called with the result; the others stay empty."""
    names = [f.name for f in fields(Story) if callable(getattr(parts, f.name, None))]
    return lambda r: Story(**{name: getattr(parts, name)(r) for name in names})


@dataclass(frozen=True)
class Caption:
    """The takeaway of one chart: ``text(result)`` returns a :class:`Line` (None: the chart has
    nothing to say and is not shown); the chart is placed after the ``why`` line ``supports``
    (or in the evidence section when that line is absent)."""

    text: Callable[["AnalysisResult"], Line | None]
    supports: str = ""


@dataclass(frozen=True)
class AnalysisViews:
    headline: tuple[str, ...] = ()
    tables: tuple[TableView, ...] = ()
    column_formats: dict[str, str] = field(default_factory=dict)
    charts: Callable[["AnalysisResult", str], list["Chart"]] | None = None
    method_notes: Callable[["AnalysisResult", str], list[Any]] | None = None
    story: Callable[["AnalysisResult"], Story] | None = None
    captions: dict[str, Caption] = field(default_factory=dict)  # chart id → its caption
    id_columns: tuple[str, ...] = ()  # entity id/name columns the workbook puts first
    # the format of each row's figure in the ``unit`` columns of a table (its rows)
    row_formats: Callable[["AnalysisResult", "pd.DataFrame"], list[str]] | None = None

    def format_of(self, column: str) -> str:
        return self.column_formats.get(column, "")

    def cell_formats(self, r: "AnalysisResult", rows: "pd.DataFrame", column: str) -> list[str]:
        """The format of each row's cell in ``column``: the column's own, or for a ``unit``
        column each row's (``num`` when the unit declares no ``row_formats``)."""
        spec = self.format_of(column)
        if spec != ROW_UNIT:
            return [spec] * len(rows)
        return self.row_formats(r, rows) if self.row_formats else ["num"] * len(rows)


EMPTY = AnalysisViews()


def views_of(analysis: str) -> AnalysisViews:
    """The registered views of an analysis (empty views for an analysis no longer registered,
    e.g. results saved by another version: its tables still render with default formats)."""
    from crmlens.analyses import REGISTRY

    spec = REGISTRY.get(analysis)
    views = spec.load_views() if spec is not None else None
    return views if views is not None else EMPTY


def default_rules(analysis: str) -> dict[str, dict[str, Any]]:
    """The unit's default alert rules (``rules.yaml``) by id: a story quotes the trigger from
    them, so the report and the monitor name the same thresholds."""
    from crmlens.analyses import REGISTRY

    spec = REGISTRY.get(analysis)
    return spec.default_rules() if spec is not None else {}


def metric(r: "AnalysisResult", name: str) -> Any:
    """A metric's value, or None when the result does not have it (a story never guesses)."""
    return r.metric(name) if name in r.metrics else None


def finding_line(r: "AnalysisResult", code: str, **kw: Any) -> "Line | None":
    """The result's finding ``code`` as a story line (its own words and parameters), or None."""
    found = next((f for f in r.findings if f.code == code), None)
    return None if found is None else Line(found.code, found.params, **kw)


def metric_format(r: "AnalysisResult", name: Any) -> str:
    """The format of metric ``name``'s unit (``num`` when the result does not have it)."""
    found = r.metrics.get(name) if isinstance(name, str) else None
    return "num" if found is None else UNIT_SPEC.get(found.unit, "num")


def plan_row(r: "AnalysisResult", action: str) -> Any:
    """The plan-by-milestone row of ``action`` (a pandas row), or None."""
    plan = r.tables.get("plan_summary")
    if plan is None or "action" not in plan.columns:
        return None
    rows = plan[plan["action"] == action]
    return rows.iloc[0] if len(rows) else None
