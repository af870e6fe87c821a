"""The Python API for notebooks and scripts.

>>> import crmlens
>>> # every analysis the data allows
>>> res = crmlens.run("crmlens-demo/demo.duckdb", as_of="2026-06-30")
>>> res.metrics().head()                        # one row per headline number
>>> res[name].tables                            # pandas DataFrames of one analysis
>>> print("\\n".join(res.findings(lang="zh")))    # findings as sentences, in a language
>>> res.write_report("out/", lang="en")          # the same report folder `crmlens run` writes

The README's "Python API" section has a runnable example.

``source`` is whatever ``crmlens run --source`` takes (a DuckDB/SQLite file, a CSV/Parquet folder,
an Ibis URL), an Ibis connection, or a dict of pandas/Arrow frames by canonical table name.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Iterable

import pandas as pd

from crmlens.analyses.base import AnalysisResult
from crmlens.config import CrmlensConfig, default_config, load_config
from crmlens.runner import RunOutcome
from crmlens.runner import run as _run


@dataclass
class Results:
    """Results of one run: ``results[name]`` is an :class:`AnalysisResult` (metrics, pandas tables,
    findings and recommendations as codes); the methods render them in a language."""

    outcome: RunOutcome
    config: CrmlensConfig

    @property
    def results(self) -> dict[str, AnalysisResult]:
        return self.outcome.results

    @property
    def skipped(self) -> dict[str, str]:
        return self.outcome.skipped

    def __getitem__(self, name: str) -> AnalysisResult:
        return self.results[name]

    def __iter__(self):
        return iter(self.results)

    def metrics(self) -> pd.DataFrame:
        rows = [
            {"analysis": a, "metric": k, "value": m.value, "unit": m.unit}
            for a, r in self.results.items()
            for k, m in r.metrics.items()
        ]
        return pd.DataFrame(rows, columns=["analysis", "metric", "value", "unit"])

    def findings(self, lang: str = "en") -> list[str]:
        from crmlens.report.i18n import t

        return [t(f.code, lang, **f.params) for r in self.results.values() for f in r.findings]

    def recommendations(self, lang: str = "en") -> list[str]:
        from crmlens.report.i18n import t

        return [
            t(x.code, lang, **x.params) for r in self.results.values() for x in r.recommendations
        ]

    def write_report(
        self, out: str | Path, *, lang: str = "en", png: bool = False, include_pii: bool = False
    ) -> Path:
        from crmlens.report.writer import write_report

        cfg = self.config.report
        return write_report(
            self.results,
            Path(out),
            lang=lang,
            include_pii=include_pii,
            top_n=cfg.top_n,
            profile=self.outcome.profile.to_dict(),
            png=png,
            excel_max_rows=cfg.excel_max_rows,
        )


def run(
    source: Any,
    analyses: Iterable[str] | None = None,
    *,
    config: CrmlensConfig | str | Path | None = None,
    as_of: dt.date | str | None = None,
) -> Results:
    """Validate ``source`` and run ``analyses`` (default: every registered one whose data is
    there).  Raises :class:`crmlens.errors.ValidationFailed` when none can run."""
    if config is None:
        config = default_config()
    elif not isinstance(config, CrmlensConfig):
        config = load_config(config)
    if isinstance(as_of, str):
        as_of = dt.date.fromisoformat(as_of)
    return Results(_run(source, list(analyses or []), config, as_of), config)
