"""The neutral blocks a report document is made of (laid out by the HTML and Markdown writers)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from crmlens.report.charts import Chart

BODY_ROWS = 20  # a table in the body shows at most this many rows; the rest go to the appendix


@dataclass
class Para:
    text: str
    severity: str = "info"


@dataclass
class MetricGrid:
    items: list[tuple[str, str]]


@dataclass
class Bullets:
    items: list[str]
    ordered: bool = False  # a numbered list: the order is the priority


@dataclass
class TableBlock:
    id: str
    title: str
    columns: list[str]
    rows: list[list[str]]
    sort_keys: list[list[Any]]
    total_rows: int
    link: str = ""  # the full table (a CSV in the report folder)
    note: str = ""  # where the rows not shown are


@dataclass
class ChartBlock:
    chart: Chart
    number: int = 0  # "Figure <number>"
    caption: str = ""  # the one-sentence takeaway, with its figure label


@dataclass
class Section:
    id: str
    title: str
    blocks: list[Any] = field(default_factory=list)
    level: int = 2


@dataclass
class Document:
    lang: str
    title: str
    subtitle: str
    sections: list[Section]

    def charts(self) -> list[ChartBlock]:
        return [b for s in self.sections for b in s.blocks if isinstance(b, ChartBlock)]
