"""Analyses, registered by name.  ``REGISTRY`` is the one place the CLI and reports look them up."""

from __future__ import annotations

from crmlens.analyses.base import Analysis, AnalysisResult, Finding, Metric, Recommendation  # noqa: F401

REGISTRY: dict[str, Analysis] = {}


def register(analysis: Analysis) -> Analysis:
    REGISTRY[analysis.name] = analysis
    return analysis


def _load_builtin() -> None:
    from crmlens.analyses import contact_coverage, investment_mismatch  # noqa: F401


_load_builtin()
