"""Personal data in saved results.  Columns marked ``pii`` in the table contracts
(``document.pii_columns()``: e-mails, phones, people's names) are dropped from every table before
a result is written, unless ``--include-pii`` was given at run time.  The saved result records
which of the two happened (``provenance['personal_data']``), so ``report --from … --include-pii``
can say that a folder written without personal data cannot show it."""

from __future__ import annotations

import dataclasses

from crmlens.analyses.base import AnalysisResult
from crmlens.report.document import pii_columns

PERSONAL_DATA = "personal_data"  # provenance key: "removed" | "included"


def without_pii(result: AnalysisResult) -> AnalysisResult:
    pii = pii_columns()
    tables = {
        name: df.drop(columns=[c for c in df.columns if c in pii])
        for name, df in result.tables.items()
    }
    return dataclasses.replace(
        result, tables=tables, provenance=result.provenance | {PERSONAL_DATA: "removed"}
    )


def with_pii(result: AnalysisResult) -> AnalysisResult:
    return dataclasses.replace(result, provenance=result.provenance | {PERSONAL_DATA: "included"})


def for_saving(result: AnalysisResult, include_pii: bool) -> AnalysisResult:
    return with_pii(result) if include_pii else without_pii(result)


def pii_available(results: dict[str, AnalysisResult]) -> bool:
    """False when any saved result was written without its personal data."""
    return all(r.provenance.get(PERSONAL_DATA) != "removed" for r in results.values())
