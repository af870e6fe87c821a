"""The card of one dimension (its figures, red line, status and the sentence answering the boss's
question) and the shared context every dimension stage reads."""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any

import pandas as pd

from crmlens.analyses.base import Finding, Metric
from crmlens.analyses.portfolio_review.config import PortfolioReviewConfig
from crmlens.analyses.portfolio_review.expressions import Inputs, Windows

SIGNIFICANT = 12  # significant digits kept in a figure (DuckDB, Postgres and Spark agree)
SEVERITY = {"ok": "info", "watch": "warning", "alert": "critical", "not_measurable": "warning"}


@dataclass
class Context:
    """What every dimension stage reads: the inputs, the windows, the account facts (an engine
    table with segment labels) and the figures several dimensions share."""

    cfg: PortfolioReviewConfig
    inputs: Inputs
    windows: Windows | None
    facts: Any = None  # ibis table, one row per account with deals
    shared: dict[str, Any] = field(default_factory=dict)


@dataclass
class Card:
    dimension: str
    metrics: dict[str, Metric] = field(default_factory=dict)
    tables: dict[str, pd.DataFrame] = field(default_factory=dict)
    answer: Finding | None = None  # the one sentence answering the boss's question
    notes: list[Finding] = field(default_factory=list)  # further findings, bad-input sentences
    needs: list[str] = field(default_factory=list)  # "table.column" a missing part would need

    def put(self, name: str, value: Any, unit: str = "count") -> None:
        value = clean(value)
        if unit == "count" and value is not None:
            value = int(value)
        elif isinstance(value, float):  # engines sum in different orders: same 12 digits
            value = float(f"{value:.{SIGNIFICANT}g}")
        self.metrics[name] = Metric(value, unit)

    def value(self, name: str) -> Any:
        metric = self.metrics.get(name)
        return None if metric is None else metric.value

    def missing(self, *needs: str) -> None:
        self.needs += [n for n in needs if n not in self.needs]


def clean(value: Any) -> Any:
    """Python scalars; NaN and ±Inf as None (an undefined figure is never a number)."""
    if value is None:
        return None
    if hasattr(value, "item") and not isinstance(value, (str, bytes)):
        value = value.item()
    if isinstance(value, float) and (math.isnan(value) or math.isinf(value)):
        return None
    return value


def ratio(numerator: Any, denominator: Any) -> float | None:
    numerator, denominator = clean(numerator), clean(denominator)
    if numerator is None or not denominator:
        return None
    return float(numerator) / float(denominator)


def shares(counts: pd.Series) -> pd.Series:
    """Each count's share of the total (all 0 when the total is 0)."""
    total = counts.sum()
    return counts / total if total else counts * 0.0


def status(card: Card, cfg: PortfolioReviewConfig) -> str:
    line = cfg.red_line(card.dimension)
    value = card.value(line.metric)
    if value is None:
        return "not_measurable"
    above = line.worse == "above"
    for level, bound in (("alert", line.alert), ("watch", line.watch)):
        if (value > bound) if above else (value < bound):
            return level
    return "ok"


def card_row(card: Card, cfg: PortfolioReviewConfig) -> dict[str, Any]:
    line = cfg.red_line(card.dimension)
    return {
        "dimension": card.dimension,
        "status": status(card, cfg),
        "metric": line.metric,
        "value": card.value(line.metric),
        "red_line": line.alert,
        "watch_line": line.watch,
        "worse": line.worse,
        "change_since_last_run": math.nan,  # filled by the monitor (fill_card_changes)
        "needs": "; ".join(card.needs),
    }


def not_measurable(card: Card) -> Finding:
    return Finding(
        "pr.not_measurable",
        {"dimension": card.dimension, "needs": "; ".join(card.needs)},
        "warning",
    )
