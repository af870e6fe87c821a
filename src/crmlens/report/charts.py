"""Vega-Lite charts: the shared theme and helpers the analysis units' views build their chart
specs with (from result tables — aggregates and samples only), and PNG rendering.

One spec serves the interactive HTML (vega-embed) and the PNG (vl-convert).  Titles, axis labels
and category labels come from the catalogs; red lines come from the result's ``method``.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import altair as alt
import pandas as pd

from crmlens.analyses.base import AnalysisResult
from crmlens.report.fonts import CJK_FAMILY
from crmlens.report.i18n import tr_value
from crmlens.schema.contracts import MAX_TEXT_CHARS, cap_text

WIDTH = 520
HEIGHT = 300


@dataclass(frozen=True)
class Chart:
    id: str
    title: str
    spec: dict[str, Any]


def base_config(chart: alt.TopLevelMixin, title: str) -> dict[str, Any]:
    spec = (
        chart.properties(title=title)
        .configure(font=CJK_FAMILY)
        .configure_view(stroke=None)
        .to_dict()
    )
    spec.pop("$schema", None)  # no network lookups
    _clean_data(spec)
    return spec


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


PNG_CACHE_ENTRIES = 256  # about twenty reports of charts


def to_png(chart: Chart) -> bytes:
    """The chart as a PNG (vl-convert: a third of a second each), cached by its spec: a report
    rendered again draws only the charts that changed."""
    import json

    import vl_convert as vlc

    from crmlens.report.cache import cached_bytes, content_key
    from crmlens.report.fonts import cjk_font_path, register_cjk_font

    def draw() -> bytes:
        register_cjk_font()
        return vlc.vegalite_to_png(chart.spec, scale=2)

    key = content_key(
        vlc.__version__, str(cjk_font_path()), json.dumps(chart.spec, sort_keys=True, default=str)
    )
    return cached_bytes("chart-png", key, draw, keep=PNG_CACHE_ENTRIES)
