"""Value and cross-table checks for ``schema.validate``.

* values: NaN/±Inf in floating-point columns (read as NULL), text dates that do not parse
  (ISO 8601 only unless ``source.date_formats`` names the format; never guessed), text longer
  than ``MAX_TEXT_CHARS`` (cut for classification, labels and charts);
* cross-table: how many child keys find their parent (contacts → accounts) and how many
  value-analysis customers find a customer record (e-mail or mapping identity), each naming the
  analysis it affects; nothing matching at all blocks that analysis.

One aggregate per table for the value checks, a few counts per relationship (semi-joins only:
no key is fetched into Python).
"""

from __future__ import annotations

from typing import Any, Callable

import ibis
import ibis.expr.types as ir

from crmlens.config import CrmlensConfig
from crmlens.errors import SourceError
from crmlens.schema.contracts import (
    CUSTOMER_VALUE, CUSTOMERS, MAPPING, MAX_TEXT_CHARS, MISMATCH, ColumnSpec, ForeignKey, TableSpec,
    cap_text,
)
from crmlens.schema.typed import (
    AMBIGUOUS_DAY_MONTH, ISO, blank_to_null, is_float, is_text_date, non_finite, parse_dates,
    read_table,
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

def value_checks(data: Dataset, spec: TableSpec, t: ir.Table, analyses: set[str],
                 add: AddIssue) -> None:
    backend = getattr(data.backend, "name", "")
    floats = [c for c in spec.columns if c.name in t.columns and is_float(t[c.name])]
    dates = [c for c in spec.date_columns if is_text_date(spec, t, c.name)]
    texts = [c for c in spec.columns if c.analyses & analyses and c.name in t.columns
             and t[c.name].type().is_string() and c not in dates]
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
            add("dq.non_finite", "warning", spec.name, c.name,
                {"count": counts[f"f{i}"], "analyses": _names(c.analyses & analyses)})
    for i, c in enumerate(texts):
        if counts[f"t{i}"]:
            add("dq.text_capped", "warning", spec.name, c.name,
                {"count": counts[f"t{i}"], "limit": MAX_TEXT_CHARS})
    for i, c in enumerate(dates):
        if counts[f"d{i}"]:
            stats = {"count": counts[f"d{i}"], "ambiguous": counts[f"a{i}"],
                     "values": counts[f"n{i}"]}
            _date_issue(data, spec, t, c, bad[c.name], stats, analyses, add)


def _date_issue(data: Dataset, spec: TableSpec, t: ir.Table, col: ColumnSpec, bad: ir.BooleanValue,
                stats: dict[str, int], analyses: set[str], add: AddIssue) -> None:
    rows = t.filter(bad)
    text = blank_to_null(rows[col.name])
    ambiguous = text.re_search(AMBIGUOUS_DAY_MONTH).cast("int64")
    ex = rows.group_by(v=text).aggregate(n=rows.count(), amb=ambiguous.max())
    ex = ex.order_by([ibis.desc(ex.amb), ibis.desc(ex.n), ex.v]).limit(EXAMPLES).execute()
    examples = "; ".join(f'"{cap_text(str(v), EXAMPLE_CHARS)}"' for v in ex["v"])
    formats = data.mapping.formats_for(spec.name, col.name)
    users = col.analyses & analyses
    params = stats | {"examples": examples, "key": f"{spec.name}.{col.name}",
                      "analyses": _names(users), "formats": ", ".join(f'"{f}"' for f in formats) or ISO}
    if formats:  # the user named the formats: what matches none is an invalid value (NULL)
        add("dq.date_invalid", "warning", spec.name, col.name, params)
    else:
        add("dq.date_unparsable", "blocking" if users else "warning", spec.name, col.name, params)


# ---- cross-table ---------------------------------------------------------------------------------

def foreign_key_checks(t: ir.Table, ref: ir.Table, spec: TableSpec, fk: ForeignKey, n: int,
                       analyses: set[str], add: AddIssue) -> None:
    """Orphan rows (warning) and join coverage of ``fk`` (info; blocking when nothing matches)."""
    users = _names(fk.required_by & analyses)
    child = t.filter(t[fk.column].notnull())
    keys = int(child.count().execute())
    orphans = int(child.anti_join(ref, child[fk.column] == ref[fk.ref_column]).count().execute())
    if orphans > 0:
        add("dq.orphan_rows", "warning", spec.name, fk.column,
            {"count": orphans, "ref_table": fk.ref_table, "share": orphans / n, "analyses": users})
    if keys == 0:
        return
    ref_rows = int(ref.count().execute())
    covered = int(ref.semi_join(child, ref[fk.ref_column] == child[fk.column]).count().execute())
    matched = keys - orphans
    add("dq.join_coverage", "blocking" if matched == 0 else "info", spec.name, fk.column, {
        "matched": matched, "keys": keys, "share": matched / keys, "ref_table": fk.ref_table,
        "ref_column": fk.ref_column, "covered": covered, "ref_rows": ref_rows, "analyses": users})


def identity_checks(data: Dataset, config: CrmlensConfig | None, add: AddIssue) -> None:
    """How many value-analysis customers (distinct e-mails, case-insensitive) find a customer
    record by the configured identity path; the other path's count is given as the alternative.
    Without a config (identity unknown), nothing matching blocks only when neither path matches."""
    try:
        value = read_table(data, CUSTOMER_VALUE)
        customers = read_table(data, CUSTOMERS)
        mapping = read_table(data, MAPPING) if data.has_table(MAPPING.name) else None
    except SourceError:
        return
    cfg = (config or CrmlensConfig()).investment_mismatch
    value = value.filter(value.primary_email.notnull())
    value = value.mutate(_key=value.primary_email.lower().strip())
    keys = int(value._key.nunique().execute())
    if keys == 0:
        return
    by_email = _email_matches(value, customers)
    by_mapping = _mapping_matches(value, customers, mapping, list(cfg.mapping_priority))
    path = "mapping" if cfg.identity == "mapping" and mapping is not None else "email"
    matched, other = (by_mapping, by_email) if path == "mapping" else (by_email, by_mapping)
    blocking = (max(by_email[0], by_mapping[0]) if config is None else matched[0]) == 0
    n_customers = int(customers.count().execute())
    severity = "blocking" if blocking else "warning" if matched[0] < keys else "info"
    add(f"dq.identity_coverage_{path}", severity, CUSTOMER_VALUE.name, "primary_email", {
        "matched": matched[0], "keys": keys, "share": matched[0] / keys, "customers": n_customers,
        "without_value": n_customers - matched[1], "other": other[0], "ref_table": CUSTOMERS.name,
        "analyses": MISMATCH})


def _email_matches(value: ir.Table, customers: ir.Table) -> tuple[int, int]:
    """(value e-mails with a customer record, customer records with a value e-mail)."""
    c = customers.mutate(_key=customers.email.lower().strip())
    matched = value.filter(value._key.isin(c._key))._key.nunique()
    reached = c.filter(c._key.isin(value._key)).customer360_id.nunique()
    return int(matched.execute()), int(reached.execute())


def _mapping_matches(value: ir.Table, customers: ir.Table, mapping: ir.Table | None,
                     priority: list[str]) -> tuple[int, int]:
    """The same through ``customer360__mapping``: any of the configured source ids known there."""
    if mapping is None or "customer360_id" not in mapping.columns:
        return 0, 0
    ids = [c for c in priority if c in value.columns and c in mapping.columns]
    if not ids:
        return 0, 0
    hit = [value[c].cast("string").isin(mapping[c].cast("string")) for c in ids]
    matched = value.filter(ibis.or_(*hit))._key.nunique()
    back = [mapping[c].cast("string").isin(value[c].cast("string")) for c in ids]
    reached_ids = mapping.filter(ibis.or_(*back)).customer360_id
    reached = customers.filter(customers.customer360_id.isin(reached_ids)).customer360_id.nunique()
    return int(matched.execute()), int(reached.execute())


def issue_adder(issues: list[Any], issue_type: type) -> AddIssue:
    def add(code: str, severity: str, table: str, column: str | None,
            params: dict[str, Any]) -> None:
        issues.append(issue_type(code, severity, table, column, params))
    return add
