"""Tables as the analyses read them: invalid values become NULL, text dates become timestamps.

* A floating-point column's NaN, +Inf and -Inf are invalid values: they read as NULL (so NaN
  never sorts above every revenue and Inf never becomes an employee count).
* A date/timestamp column stored as text is parsed: with the formats configured for it in
  ``source.date_formats`` (tried in order), otherwise as ISO 8601 only.  Day/month order is
  never guessed; what does not parse reads as NULL and ``schema.validate`` reports it.

Validation counts what these rules turn into NULL (``dq.non_finite``, ``dq.date_unparsable``),
so nothing is dropped silently.
"""

from __future__ import annotations

import datetime as dt

import ibis
import ibis.expr.types as ir

from crmlens.schema.contracts import TableSpec
from crmlens.sources.base import Dataset, physical_family

ISO = "ISO 8601"
# dd/mm/yyyy or mm/dd/yyyy (any of / . - between) where both first numbers could be a month
AMBIGUOUS_DAY_MONTH = r"^(0?[1-9]|1[0-2])[/.\-](0?[1-9]|1[0-2])[/.\-][0-9]{2,4}\b"


@ibis.udf.scalar.builtin(name="try_strptime")
def _try_strptime(value: str, fmt: str) -> dt.datetime:  # DuckDB: NULL when the text does not match
    ...


def is_float(column: ir.Value) -> bool:
    return physical_family(column.type()) == "floating"


def finite_or_null(column: ir.NumericValue) -> ir.NumericValue:
    """NaN and ±Inf as NULL."""
    return ibis.ifelse(column.isnan() | column.isinf(), ibis.null(column.type()), column)


def non_finite(column: ir.NumericValue) -> ir.BooleanValue:
    return column.notnull() & (column.isnan() | column.isinf())


def is_text_date(spec: TableSpec, t: ir.Table, column: str) -> bool:
    return (
        column in t.columns
        and column in {c.name for c in spec.date_columns}
        and t[column].type().is_string()
    )


def blank_to_null(column: ir.StringValue) -> ir.StringValue:
    text = column.strip()
    return ibis.ifelse(text == "", ibis.null("string"), text)


def parse_dates(text: ir.StringValue, formats: list[str], backend: str) -> ir.TimestampValue:
    """Text → timestamp: the first configured format that matches, or ISO 8601 without formats;
    NULL for blank text and for text that matches none."""
    text = blank_to_null(text)
    if not formats:
        return text.try_cast("timestamp")
    if backend == "duckdb":
        parsed = [_try_strptime(text, f) for f in formats]
    else:  # engines whose strptime already answers NULL for text that does not match (Spark)
        parsed = [text.as_timestamp(f) for f in formats]
    return ibis.coalesce(*parsed) if len(parsed) > 1 else parsed[0]


def read_table(data: Dataset, spec: TableSpec) -> ir.Table:
    """``data.table(spec.name)`` with the rules above applied to the contract's columns."""
    t = data.table(spec.name)
    backend = getattr(data.backend, "name", "")
    fixes: dict[str, ir.Value] = {}
    for col in spec.columns:
        if col.name not in t.columns:
            continue
        if is_float(t[col.name]):
            fixes[col.name] = finite_or_null(t[col.name])
        elif is_text_date(spec, t, col.name):
            formats = data.mapping.formats_for(spec.name, col.name)
            fixes[col.name] = parse_dates(t[col.name], formats, backend)
    return t.mutate(**fixes) if fixes else t
