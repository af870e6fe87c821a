"""Cross-table checks of canonical model v2 (opportunities, their histories, users, cases,
campaigns and their spend, leads, NPS answers).

They run on a table when an analysis asked for needs it, and in ``crmlens doctor`` (every
analysis) on every model v2 table the source holds, needed or not:

* orphans: rows whose foreign key finds no parent (opportunities, cases and NPS answers of
  unknown accounts, histories of unknown opportunities, spend of unknown campaigns, …);
* values: NPS scores outside 0–10, cases closed before they were opened, campaigns ending before
  they start.

Every finding is a warning (the analyses count such rows, they never crash on them); a check
whose columns are missing or of the wrong type is left to the column checks.  Semi-joins and one
aggregate per check: no key is fetched into Python.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Callable

import ibis.expr.types as ir

from crmlens.schema.checks import AddIssue, orphan_count
from crmlens.schema.contracts import CONTRACTS, ForeignKey, TableSpec
from crmlens.schema.typed import read_table
from crmlens.sources.base import Dataset, physical_family

MODEL_V2_TABLES = (
    "salesforce__opportunity_history",
    "salesforce__user",
    "salesforce__case",
    "salesforce__campaign",
    "marketing__campaign_spend",
    "salesforce__lead",
    "survey__nps_response",
)
CHECKED_TABLES = ("salesforce__opportunity_enhanced", *MODEL_V2_TABLES)
EXAMPLES = 5
NPS_RANGE = (0, 10)


@dataclass(frozen=True)
class ValueCheck:
    code: str
    table: str
    compared: tuple[str, ...]  # columns the rule compares
    families: frozenset[str]  # physical type families they must have (after date parsing)
    bad: Callable[[ir.Table], ir.BooleanValue]
    example: str  # the column whose values are shown as examples
    column: str  # the column the issue names


NUMBERS = frozenset({"integer", "floating", "decimal"})
TIMES = frozenset({"date", "timestamp"})
VALUE_CHECKS = (
    ValueCheck(
        "dq.nps_score_out_of_range",
        "survey__nps_response",
        ("score",),
        NUMBERS,
        lambda t: (t.score < NPS_RANGE[0]) | (t.score > NPS_RANGE[1]),
        "score",
        "score",
    ),
    ValueCheck(
        "dq.case_closed_before_created",
        "salesforce__case",
        ("created_date", "closed_date"),
        TIMES,
        lambda t: t.closed_date.cast("timestamp") < t.created_date.cast("timestamp"),
        "case_id",
        "closed_date",
    ),
    ValueCheck(
        "dq.campaign_end_before_start",
        "salesforce__campaign",
        ("start_date", "end_date"),
        TIMES,
        lambda t: t.end_date.cast("date") < t.start_date.cast("date"),
        "campaign_id",
        "end_date",
    ),
)


def model_checks(
    data: Dataset,
    analyses: set[str],
    every_table: bool,
    blocked: set[str],
    add: AddIssue,
) -> None:
    """The checks above on the model tables that ``analyses`` need (all present ones when
    ``every_table``), except tables with blocking problems and foreign keys validation already
    checked for ``analyses``."""
    for name in CHECKED_TABLES:
        spec = CONTRACTS[name]
        needed = bool(spec.required_by() & analyses)
        if name in blocked or not data.has_table(name) or not (needed or every_table):
            continue
        try:
            _table_checks(data, spec, needed, analyses, add)
        except Exception as exc:  # an unreadable table no analysis asked for: say so, go on
            reason = str(exc).splitlines()[0][:300] if str(exc) else type(exc).__name__
            add("dq.table_unreadable", "warning", name, None, {"reason": reason})


def _table_checks(
    data: Dataset, spec: TableSpec, needed: bool, analyses: set[str], add: AddIssue
) -> None:
    t = read_table(data, spec)
    for fk in spec.foreign_keys:
        if not (needed and fk.required_by & analyses):
            _orphans(data, spec, t, fk, analyses, add)
    for check in VALUE_CHECKS:
        if check.table == spec.name:
            _value_check(check, t, add)


def _orphans(
    data: Dataset, spec: TableSpec, t: ir.Table, fk: ForeignKey, analyses: set[str], add: AddIssue
) -> None:
    if fk.column not in t.columns or not data.has_table(fk.ref_table):
        return
    ref = data.table(fk.ref_table)
    if fk.ref_column not in ref.columns:
        return
    if physical_family(t[fk.column].type()) != physical_family(ref[fk.ref_column].type()):
        return  # a key of another type: the column checks report it
    orphans = orphan_count(t, ref, fk)
    if orphans:
        rows = int(t.count().execute())
        users = ", ".join(sorted(fk.required_by & analyses)) or "-"
        params = {"count": orphans, "ref_table": fk.ref_table, "share": orphans / rows}
        add("dq.orphan_rows", "warning", spec.name, fk.column, params | {"analyses": users})


def _value_check(check: ValueCheck, t: ir.Table, add: AddIssue) -> None:
    if check.example not in t.columns:
        return
    for column in check.compared:
        if column not in t.columns or physical_family(t[column].type()) not in check.families:
            return
    bad = t.filter(check.bad(t))
    count = int(bad.count().execute())
    if not count:
        return
    shown = bad.select(v=bad[check.example].cast("string")).distinct()
    values = shown.order_by("v").limit(EXAMPLES).execute()["v"]
    params = {"count": count, "examples": ", ".join(str(v) for v in values)}
    add(check.code, "warning", check.table, check.column, params)


def table_analyses(name: str) -> tuple[list[str], list[str]]:
    """(analyses that need the table, analyses that read it when present), installed ones."""
    spec = CONTRACTS[name]
    needed = sorted(spec.required_by())
    reads: set[str] = set()
    for column in spec.columns:
        reads |= column.used_by
    return needed, sorted(reads - set(needed))


def model_tables(data: Dataset) -> list[dict]:
    """Every model v2 table: found or not, its rows, and the analyses it enables."""
    out = []
    for name in MODEL_V2_TABLES:
        needed, reads = table_analyses(name)
        rows = int(data.table(name).count().execute()) if data.has_table(name) else None
        out.append({"table": name, "rows": rows, "needed_by": needed, "read_by": reads})
    return out
