"""Value and cross-table checks for ``schema.validate``.

* values: NaN/±Inf in floating-point columns (read as NULL), text dates that do not parse
  (ISO 8601 only unless ``source.date_formats`` names the format; never guessed), text longer
  than ``MAX_TEXT_CHARS`` (cut for classification, labels and charts);
* cross-table: how many child keys find their parent (contacts → accounts), naming the analyses
  it affects; nothing matching at all blocks them.  Analyses add their own cross-table checks
  (``AnalysisSpec.checks``), run by ``validate`` after these.

One aggregate per table for the value checks, a few counts per relationship (semi-joins only:
no key is fetched into Python).
"""

from __future__ import annotations

from typing import Any, Callable

import ibis
import ibis.expr.types as ir

from crmlens.schema.contracts import MAX_TEXT_CHARS, ColumnSpec, ForeignKey, TableSpec, cap_text
from crmlens.schema.typed import (
    AMBIGUOUS_DAY_MONTH,
    ISO,
    blank_to_null,
    is_float,
    is_text_date,
    non_finite,
    parse_dates,
)
from crmlens.sources.base import Dataset

EXAMPLES = 5  # distinct unparsable dates shown per column
EXAMPLE_CHARS = 40

AddIssue = Callable[..., None]  # add(code, severity, table, column, params)


def _names(analyses: set[str] | frozenset[str]) -> str:
    return ", ".join(sorted(analyses)) or "-"


def _count(mask: ir.BooleanValue) -> ir.IntegerScalar:
    return mask.cast("int64").sum()


# ---- values --------------------------------------------------------------------------------------


def value_checks(
    data: Dataset, spec: TableSpec, t: ir.Table, analyses: set[str], add: AddIssue
) -> None:
    backend = getattr(data.backend, "name", "")
    floats = [c for c in spec.columns if c.name in t.columns and is_float(t[c.name])]
    dates = [c for c in spec.date_columns if is_text_date(spec, t, c.name)]
    texts = [
        c
        for c in spec.columns
        if c.analyses & analyses
        and c.name in t.columns
        and t[c.name].type().is_string()
        and c not in dates
    ]
    aggs: dict[str, ir.Scalar] = {}
    for i, c in enumerate(floats):
        aggs[f"f{i}"] = _count(non_finite(t[c.name]))
    for i, c in enumerate(texts):
        aggs[f"t{i}"] = _count(t[c.name].length() > MAX_TEXT_CHARS)
    bad: dict[str, ir.BooleanValue] = {}
    for i, c in enumerate(dates):
        text = blank_to_null(t[c.name])
        formats = data.mapping.formats_for(spec.name, c.name)
        bad[c.name] = text.notnull() & parse_dates(t[c.name], formats, backend).isnull()
        aggs[f"d{i}"] = _count(bad[c.name])
        aggs[f"a{i}"] = _count(bad[c.name] & text.re_search(AMBIGUOUS_DAY_MONTH))
        aggs[f"n{i}"] = _count(text.notnull())
    if not aggs:
        return
    row = t.aggregate(**aggs).execute().iloc[0]
    counts = {k: int(v or 0) for k, v in row.items()}
    for i, c in enumerate(floats):
        if counts[f"f{i}"]:
            add(
                "dq.non_finite",
                "warning",
                spec.name,
                c.name,
                {"count": counts[f"f{i}"], "analyses": _names(c.analyses & analyses)},
            )
    for i, c in enumerate(texts):
        if counts[f"t{i}"]:
            add(
                "dq.text_capped",
                "warning",
                spec.name,
                c.name,
                {"count": counts[f"t{i}"], "limit": MAX_TEXT_CHARS},
            )
    for i, c in enumerate(dates):
        if counts[f"d{i}"]:
            stats = {
                "count": counts[f"d{i}"],
                "ambiguous": counts[f"a{i}"],
                "values": counts[f"n{i}"],
            }
            _date_issue(data, spec, t, c, bad[c.name], stats, analyses, add)


def _date_issue(
    data: Dataset,
    spec: TableSpec,
    t: ir.Table,
    col: ColumnSpec,
    bad: ir.BooleanValue,
    stats: dict[str, int],
    analyses: set[str],
    add: AddIssue,
) -> None:
    rows = t.filter(bad)
    text = blank_to_null(rows[col.name])
    ambiguous = text.re_search(AMBIGUOUS_DAY_MONTH).cast("int64")
    ex = rows.group_by(v=text).aggregate(n=rows.count(), amb=ambiguous.max())
    ex = ex.order_by([ibis.desc(ex.amb), ibis.desc(ex.n), ex.v]).limit(EXAMPLES).execute()
    examples = "; ".join(f'"{cap_text(str(v), EXAMPLE_CHARS)}"' for v in ex["v"])
    formats = data.mapping.formats_for(spec.name, col.name)
    users = col.analyses & analyses
    params = stats | {
        "examples": examples,
        "key": f"{spec.name}.{col.name}",
        "analyses": _names(users),
        "formats": ", ".join(f'"{f}"' for f in formats) or ISO,
    }
    if formats:  # the user named the formats: what matches none is an invalid value (NULL)
        add("dq.date_invalid", "warning", spec.name, col.name, params)
    else:
        add("dq.date_unparsable", "blocking" if users else "warning", spec.name, col.name, params)


# ---- cross-table ---------------------------------------------------------------------------------


def orphan_count(t: ir.Table, ref: ir.Table, fk: ForeignKey) -> int:
    """Rows of ``t`` whose non-NULL ``fk.column`` finds no ``fk.ref_column`` in ``ref``."""
    child = t.filter(t[fk.column].notnull())
    return int(child.anti_join(ref, child[fk.column] == ref[fk.ref_column]).count().execute())


def foreign_key_checks(
    t: ir.Table,
    ref: ir.Table,
    spec: TableSpec,
    fk: ForeignKey,
    n: int,
    analyses: set[str],
    add: AddIssue,
) -> None:
    """Orphan rows (warning) and join coverage of ``fk`` (info; blocking when nothing matches)."""
    users = _names(fk.required_by & analyses)
    child = t.filter(t[fk.column].notnull())
    keys = int(child.count().execute())
    orphans = orphan_count(t, ref, fk)
    if orphans > 0:
        add(
            "dq.orphan_rows",
            "warning",
            spec.name,
            fk.column,
            {"count": orphans, "ref_table": fk.ref_table, "share": orphans / n, "analyses": users},
        )
    if keys == 0:
        return
    ref_rows = int(ref.count().execute())
    covered = int(ref.semi_join(child, ref[fk.ref_column] == child[fk.column]).count().execute())
    matched = keys - orphans
    add(
        "dq.join_coverage",
        "blocking" if matched == 0 else "info",
        spec.name,
        fk.column,
        {
            "matched": matched,
            "keys": keys,
            "share": matched / keys,
            "ref_table": fk.ref_table,
            "ref_column": fk.ref_column,
            "covered": covered,
            "ref_rows": ref_rows,
            "analyses": users,
        },
    )


def issue_adder(issues: list[Any], issue_type: type) -> AddIssue:
    def add(
        code: str, severity: str, table: str, column: str | None, params: dict[str, Any]
    ) -> None:
        issues.append(issue_type(code, severity, table, column, params))

    return add
