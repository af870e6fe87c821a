"""Validation: check every table an analysis needs and collect *all* problems at once.

Each problem is an :class:`Issue` with a reason code (an i18n key under ``dq.``), a severity
(``blocking`` stops the analyses that need the table; ``warning`` is reported and reused by
analyses and reports), and parameters.  The returned :class:`DataQualityProfile` also carries
row counts and NULL rates per required column.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any


from crmlens.config import CrmlensConfig
from crmlens.errors import SourceError
from crmlens.schema.checks import foreign_key_checks, issue_adder, value_checks
from crmlens.schema.model_checks import model_checks, model_tables
from crmlens.schema.contracts import (
    CONTRACTS,
    LOGICAL_TYPES,
    TableSpec,
    analysis_checks,
    tables_for,
)
from crmlens.schema.typed import read_table
from crmlens.sources.base import Dataset, physical_family

BLOCKING = "blocking"
WARNING = "warning"
INFO = "info"
CSV_CODES = ("error.csv_not_utf8", "error.csv_ragged")  # source errors that name a file and a line
NULL_WARN_RATE = 0.5  # report required columns more than half NULL


@dataclass(frozen=True)
class Issue:
    code: str
    severity: str
    table: str
    column: str | None = None
    params: dict[str, Any] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


@dataclass
class DataQualityProfile:
    analyses: tuple[str, ...]
    issues: list[Issue] = field(default_factory=list)
    row_counts: dict[str, int] = field(default_factory=dict)
    null_rates: dict[str, dict[str, float]] = field(default_factory=dict)
    model_tables: list[dict[str, Any]] = field(default_factory=list)  # doctor: model v2 tables
    layout: str = "canonical"  # the source layout recognised (sources.base.Dataset.layout)

    @property
    def blocking(self) -> list[Issue]:
        return [i for i in self.issues if i.severity == BLOCKING]

    def blocked_analyses(self) -> set[str]:
        out: set[str] = set()
        for i in self.blocking:
            spec = CONTRACTS.get(i.table)
            if spec is None:
                continue
            if i.column and i.column in spec.column_names:
                out |= spec.column(i.column).analyses & set(self.analyses)
            else:
                out |= spec.required_by() & set(self.analyses)
        return out

    def to_dict(self) -> dict[str, Any]:
        out = {
            "analyses": list(self.analyses),
            "issues": [i.to_dict() for i in self.issues],
            "row_counts": self.row_counts,
            "null_rates": self.null_rates,
            "layout": self.layout,
        }
        if self.model_tables:
            out["model_tables"] = self.model_tables
        return out


def validate(
    data: Dataset,
    analyses: set[str] | frozenset[str],
    config: CrmlensConfig | None = None,
    every_table: bool = False,
) -> DataQualityProfile:
    """Every problem of the tables ``analyses`` need, the model v2 cross-table checks, then each
    analysis' own cross-table checks (which may read their configuration from ``config``).
    ``every_table`` (doctor) also checks the model v2 tables no analysis asked for needs, and
    lists which of them the source holds."""
    profile = DataQualityProfile(tuple(sorted(analyses)), layout=data.layout)
    for note in data.notes:  # what the reader of a raw layout reported (deleted rows, duplicates)
        profile.issues.append(
            Issue(note["code"], note["severity"], note["table"], None, note["params"])
        )
    for spec in tables_for(analyses):
        _check_table(data, spec, set(analyses), profile)
    blocked = {i.table for i in profile.blocking}
    add = issue_adder(profile.issues, Issue)
    model_checks(data, set(analyses), every_table, blocked, add)
    if every_table:
        profile.model_tables = model_tables(data)
    for analysis, check in analysis_checks(
        analyses
    ).items():  # each analysis' own cross-table checks
        if not blocked & {t.name for t in tables_for({analysis})}:
            check(data, config, issue_adder(profile.issues, Issue))
    return profile


def _check_table(
    data: Dataset, spec: TableSpec, analyses: set[str], profile: DataQualityProfile
) -> None:
    add = profile.issues.append
    needed_by = sorted(spec.required_by() & analyses)
    if not data.has_table(spec.name):
        add(
            Issue(
                "dq.table_missing",
                BLOCKING,
                spec.name,
                params={
                    "physical": data.physical_name(spec.name),
                    "analyses": ", ".join(needed_by),
                },
            )
        )
        return
    try:
        t = data.table(spec.name)
        n = int(t.count().execute())
    except SourceError as exc:
        if exc.code in CSV_CODES:  # the file and the line are known: say so
            code, params = "dq." + exc.code.removeprefix("error."), dict(exc.params)
        else:
            code, params = "dq.table_unreadable", {"reason": exc.params.get("reason", "")}
        add(Issue(code, BLOCKING, spec.name, params=params))
        return
    except Exception as exc:  # engine errors while scanning (encoding, corrupt pages)
        add(
            Issue(
                "dq.table_unreadable",
                BLOCKING,
                spec.name,
                params={"reason": str(exc).splitlines()[0][:300]},
            )
        )
        return
    profile.row_counts[spec.name] = n
    if n == 0:
        add(Issue("dq.table_empty", BLOCKING, spec.name, params={"analyses": ", ".join(needed_by)}))
        return

    schema = t.schema()
    present_ok: list[str] = []
    for col in spec.required_columns(analyses):
        if col.name not in schema:
            add(
                Issue(
                    "dq.column_missing",
                    BLOCKING,
                    spec.name,
                    col.name,
                    {
                        "expected": col.type,
                        "analyses": ", ".join(sorted(col.required_by & analyses)),
                    },
                )
            )
            continue
        fam = physical_family(schema[col.name])
        if fam not in LOGICAL_TYPES[col.type] and fam != "null":
            add(
                Issue(
                    "dq.column_type",
                    BLOCKING,
                    spec.name,
                    col.name,
                    {"expected": col.type, "found": str(schema[col.name])},
                )
            )
            continue
        present_ok.append(col.name)
    for col in spec.columns:  # optional columns of the wrong type: the parts using them are skipped
        if col.name in schema and col.name not in present_ok and not (col.required_by & analyses):
            fam = physical_family(schema[col.name])
            if fam not in LOGICAL_TYPES[col.type] and fam != "null":
                add(
                    Issue(
                        "dq.optional_column_type",
                        WARNING,
                        spec.name,
                        col.name,
                        {"expected": col.type, "found": str(schema[col.name])},
                    )
                )

    value_checks(data, spec, t, analyses, issue_adder(profile.issues, Issue))
    t = read_table(data, spec)  # NaN/±Inf and unparsable dates count as NULL below
    if present_ok:
        aggs = {c: t[c].isnull().sum() for c in present_ok}
        counts = t.aggregate(**{f"n_{i}": e for i, e in enumerate(aggs.values())}).execute().iloc[0]
        rates = {c: float(counts[f"n_{i}"]) / n for i, c in enumerate(aggs)}
        profile.null_rates[spec.name] = rates
        for c, r in rates.items():
            if r == 1.0:
                add(Issue("dq.column_all_null", BLOCKING, spec.name, c, {"rows": n}))
            elif r > NULL_WARN_RATE:
                add(Issue("dq.column_null_heavy", WARNING, spec.name, c, {"rate": r, "rows": n}))

    if spec.key and spec.key in present_ok:
        k = t[spec.key]
        stats = t.aggregate(distinct=k.nunique(), nulls=k.isnull().sum()).execute().iloc[0]
        dups = n - int(stats["nulls"]) - int(stats["distinct"])
        if dups > 0:
            add(Issue("dq.duplicate_keys", BLOCKING, spec.name, spec.key, {"count": dups}))
        if int(stats["nulls"]) > 0:
            add(
                Issue("dq.null_keys", BLOCKING, spec.name, spec.key, {"count": int(stats["nulls"])})
            )

    for fk in spec.foreign_keys:
        if (
            not (fk.required_by & analyses)
            or fk.column not in present_ok
            or not data.has_table(fk.ref_table)
        ):
            continue
        try:
            ref = data.table(fk.ref_table)
        except SourceError:
            continue
        if fk.ref_column in ref.columns:
            foreign_key_checks(t, ref, spec, fk, n, analyses, issue_adder(profile.issues, Issue))


__all__ = ["DataQualityProfile", "Issue", "validate", "BLOCKING", "WARNING", "INFO"]
