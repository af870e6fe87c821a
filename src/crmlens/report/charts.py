"""Vega-Lite charts: the shared theme and helpers the analysis units' views build their chart
specs with (from result tables — aggregates and samples only), and PNG rendering.

One spec serves the interactive HTML (vega-embed) and the PNG (vl-convert).  Titles, axis labels
and category labels come from the catalogs; red lines come from the result's ``method``.

Helpers for charts people read correctly (reuse them in new analyses):

* :func:`base_config` — the one theme (fonts, axes, legend below the plot, palette) and a width
  that fits its container (``autosize: fit-x``; the HTML narrows it to the page, down to a
  phone's 390 px);
* :func:`category_order` / :func:`label_order` — ordered categories (lifecycle stage, company
  size, tiers) in their natural order in every language: the order of the codes
  (``CATEGORY_ORDER``, or ``method['category_order']`` of a result), never of the labels;
* :func:`rate_bars` — groups of different sizes compared by rate, each bar labelled
  "rate · count/total", groups below a minimum size greyed;
* :func:`ratio_heatmap` — ratios (relative risk) on a diverging scale centred at 1, each cell
  labelled, small groups grey with their n;
* :func:`readable_ticks` — tick values 0, 1, 2, 5, 10, 20, 50… for a log-like axis.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

import altair as alt
import numpy as np
import pandas as pd

from crmlens.analyses.base import AnalysisResult
from crmlens.report.fonts import CJK_FAMILY
from crmlens.report.i18n import fmt_value, tr_value
from crmlens.schema.contracts import MAX_TEXT_CHARS, cap_text

WIDTH = 520  # the whole chart (axes and legend included: autosize fit-x)
HEIGHT = 300
ROW_HEIGHT = 22  # per category of a bar chart or heatmap row: no blank areas, no overlaps
LABEL_ROOM = 1.45  # the rate axis runs this far past the longest bar: room for its label
GREY = "#bdbdbd"  # groups too small to read
RATE_COLOR = "#d62728"
THEME = {
    "font": CJK_FAMILY,
    "view": {"stroke": None},
    "title": {"anchor": "start", "fontSize": 14, "fontWeight": 600, "offset": 8},
    "axis": {
        "labelFontSize": 11,
        "titleFontSize": 12,
        "labelLimit": 180,
        "gridColor": "#e8e8e8",
        "domainColor": "#888",
        "tickColor": "#888",
        "labelOverlap": True,
    },
    "legend": {
        "orient": "bottom",
        "labelFontSize": 11,
        "titleFontSize": 12,
        "labelLimit": 200,
        "labelOverlap": True,
    },
    "range": {
        "category": [
            "#4c78a8", "#f58518", "#54a24b", "#e45756", "#72b7b2",
            "#b279a2", "#eeca3b", "#9d755d", "#bab0ac", "#ff9da6",
        ]
    },
    "text": {"fontSize": 11},
}  # fmt: skip
# natural order of ordered categories, by code (the data model's values); values not listed
# follow in the order of the table
CATEGORY_ORDER: dict[str, tuple[str, ...]] = {
    "lifecycle_stage": ("Activation", "Growth", "Maturity", "Retention", "Dormant"),
    "company_size_tier": ("Startup", "Small", "Medium", "Large", "Enterprise"),
    "company_size_category": ("Small Business", "Mid-Market", "Enterprise", "Unknown"),
    "decision_maker_level": ("Individual Contributor", "Manager", "Director", "VP", "C-Level"),
    "tier": ("high", "data_gap", "medium", "low"),
}


@dataclass(frozen=True)
class Chart:
    id: str
    title: str
    spec: dict[str, Any]


def base_config(chart: alt.TopLevelMixin, title: str) -> dict[str, Any]:
    """The spec with the shared theme; its width is the whole chart's (axes and legend
    included), so the HTML can fit it to any container."""
    # no JSON-schema validation at run time (half of building a chart); tests/test_charts.py
    # validates every chart's spec
    spec = chart.properties(title=title).to_dict(validate=False)
    spec.pop("$schema", None)  # no network lookups
    spec["config"] = {**THEME, **spec.get("config", {})}
    spec["autosize"] = {"type": "fit-x", "contains": "padding"}
    spec["width"] = spec.get("width", WIDTH)
    _clean_data(spec)
    return spec


def category_order(
    values: Iterable[Any], column: str, result: AnalysisResult | None = None
) -> list[str]:
    """The distinct ``values`` of an ordered column in their natural order (by code)."""
    custom = (result.method.get("category_order") or {}) if result is not None else {}
    known = [str(v) for v in custom.get(column, CATEGORY_ORDER.get(column, ()))]
    present = list(dict.fromkeys(str(v) for v in values))
    return [v for v in known if v in present] + [v for v in present if v not in known]


def label_order(
    df: pd.DataFrame, column: str, lang: str, result: AnalysisResult | None = None
) -> list[str]:
    """The translated labels of ``column`` in natural order (an Altair ``sort=`` list)."""
    return [tr_value(v, lang) for v in category_order(df[column], column, result)]


def readable_ticks(largest: float) -> list[float]:
    """0, 1, 2, 5, 10, 20, 50, … up to the first tick at or above ``largest``."""
    ticks, step = [0.0], 1.0
    while ticks[-1] < largest and step < 1e15:
        for factor in (1, 2, 5):
            ticks.append(step * factor)
            if ticks[-1] >= largest:
                break
        step *= 10
    return ticks


def log_like_axis(values: pd.Series, **kwargs: Any) -> alt.Axis:
    """The axis of a symmetric-log scale (``alt.Scale(type="symlog")``: spreads values near zero,
    keeps zero) with :func:`readable_ticks` up to the largest of ``values``."""
    top = float(values.max()) if len(values) and pd.notna(values.max()) else 1.0
    return alt.Axis(values=readable_ticks(max(top, 1.0)), format="~s", **kwargs)


def rate_bars(
    df: pd.DataFrame,
    *,
    category: str,
    count: str,
    total: str,
    lang: str,
    category_title: str,
    rate_title: str,
    sort: list[str] | str = "-x",
    min_total: int = 0,
) -> alt.LayerChart:
    """Horizontal bars of ``count / total`` per category (``category`` holds the labels), each
    labelled "rate · count/total"; categories whose ``total`` is below ``min_total`` are grey."""
    data = df.assign(
        _rate=df[count] / df[total].where(df[total] > 0),
        _small=df[total] < min_total,
    )
    data["_label"] = [
        f"{fmt_value(r, 'pct', lang)} · {fmt_value(c, 'int', lang)}/{fmt_value(n, 'int', lang)}"
        for r, c, n in zip(data["_rate"], data[count], data[total])
    ]
    y = alt.Y(f"{category}:N", title=category_title, sort=sort)
    top = float(data["_rate"].max()) if data["_rate"].notna().any() else 1.0
    room = alt.Scale(domain=[0, max(top, 0.01) * LABEL_ROOM], nice=False)  # labels stay inside
    x = alt.X("_rate:Q", title=rate_title, axis=alt.Axis(format=".0%"), scale=room)
    colour = alt.condition("datum._small", alt.value(GREY), alt.value(RATE_COLOR))
    tooltip = [
        alt.Tooltip(f"{category}:N", title=category_title),
        alt.Tooltip("_label:N", title=rate_title),
    ]
    bars = alt.Chart(data).mark_bar().encode(x=x, y=y, color=colour, tooltip=tooltip)
    text = (
        alt.Chart(data)
        .mark_text(align="left", dx=3, color="#333")
        .encode(x=x, y=y, text="_label:N")
    )
    return alt.layer(bars, text).properties(width=WIDTH, height=ROW_HEIGHT * max(len(data), 3))


def ratio_heatmap(
    df: pd.DataFrame,
    *,
    x: str,
    y: str,
    ratio: str,
    n: str,
    min_n: int,
    x_order: list[str] | None,
    y_order: list[str] | None,
    titles: dict[str, str],
) -> alt.LayerChart:
    """Cells coloured by ``ratio`` on a diverging log scale centred at 1 (red above, blue
    below), labelled with the ratio; cells of groups with fewer than ``min_n`` members are grey
    and labelled "n=…".  ``titles`` holds the x, y, ratio and n titles."""
    ok = (df[n] >= min_n) & df[ratio].notna() & (df[ratio] > 0)
    spread = max(2.0, float(np.exp(np.abs(np.log(df.loc[ok, ratio])).max())) if ok.any() else 2.0)
    data = df.assign(
        _ratio=df[ratio].where(ok).clip(1 / spread, spread),
        _label=[f"{v:.2f}" if good else f"n={int(k)}" for v, k, good in zip(df[ratio], df[n], ok)],
        _dark=ok & ((df[ratio] >= spread**0.6) | (df[ratio] <= spread**-0.6)),
    )
    ex = alt.X(f"{x}:N", title=titles["x"], sort=x_order, axis=alt.Axis(labelAngle=0))
    ey = alt.Y(f"{y}:N", title=titles["y"], sort=y_order)
    scale = alt.Scale(
        type="log", domain=[1 / spread, spread], domainMid=1, scheme="redblue", reverse=True
    )
    tooltip = [
        alt.Tooltip(f"{y}:N", title=titles["y"]),
        alt.Tooltip(f"{x}:N", title=titles["x"]),
        alt.Tooltip(f"{ratio}:Q", title=titles["ratio"], format=".2f"),
        alt.Tooltip(f"{n}:Q", title=titles["n"], format=","),
    ]
    cells = (
        alt.Chart(data)
        .mark_rect()
        .encode(
            x=ex,
            y=ey,
            color=alt.condition(
                "isValid(datum._ratio)",
                alt.Color("_ratio:Q", title=titles["ratio"], scale=scale),
                alt.value(GREY),
            ),
            tooltip=tooltip,
        )
    )
    text = (
        alt.Chart(data)
        .mark_text()
        .encode(
            x=ex,
            y=ey,
            text="_label:N",
            color=alt.condition("datum._dark", alt.value("white"), alt.value("#222")),
        )
    )
    rows = data[y].nunique()
    return alt.layer(cells, text).properties(width=WIDTH, height=ROW_HEIGHT * max(rows, 4))


def _clean_data(spec: dict[str, Any]) -> None:
    """The chart's embedded data never carries personal data (a chart does not need it, and the
    HTML report ships the data), and every text value is cut to ``MAX_TEXT_CHARS`` (with an
    ellipsis): a megabyte category name would otherwise take the PNG renderer minutes to lay out."""
    from crmlens.report.document import pii_columns

    pii = pii_columns()
    for rows in spec.get("datasets", {}).values():
        for row in rows:
            for key in [k for k in row if k in pii]:
                del row[key]
            for key, value in row.items():
                if isinstance(value, str) and len(value) > MAX_TEXT_CHARS:
                    row[key] = cap_text(value)


def with_labels(df: pd.DataFrame, col: str, lang: str) -> pd.DataFrame:
    out = df.copy()
    out[col + "_label"] = out[col].astype(str).map(lambda v: tr_value(v, lang))
    return out


def charts_for(r: AnalysisResult, lang: str) -> list[Chart]:
    """The charts an analysis' views build from its result (none when it declares none)."""
    from crmlens.report.views import views_of

    fn = views_of(r.analysis).charts
    return fn(r, lang) if fn else []
