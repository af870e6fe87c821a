"""``tables/<analysis>/<table>.csv`` written column by column from the Arrow table that is also
saved as Parquet (pandas ``to_csv`` formats every cell in Python: 10 s for the 1M-account run's
~1 million rows, holding the interpreter lock the document needs; Arrow's writer takes a fraction
of that and releases it).

The file reads like the pandas export it replaces: ``True``/``False`` for booleans, dates without
a midnight time, empty cells for missing values, quotes only in a file that has a value needing
them (a comma, quote or line break; then every text cell is quoted, which any CSV reader reads the
same).  Text cells that a spreadsheet would run as a formula get a leading single quote
(``escape.FORMULA_START``, the same rule as ``escape.csv_safe``); numbers stay numbers.
"""

from __future__ import annotations

from pathlib import Path

import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pa_csv

from crmlens.report.escape import FORMULA_START

_NEEDS_QUOTES = '[,"\r\n]'


def _text(col: pa.ChunkedArray) -> pa.ChunkedArray:
    """A text column with formula-like cells neutralised."""
    risky = None
    for prefix in FORMULA_START:
        hit = pc.starts_with(col, prefix)
        risky = hit if risky is None else pc.or_(risky, hit)
    if not pc.any(risky).as_py():
        return col
    quote, nothing = pa.scalar("'", col.type), pa.scalar("", col.type)
    quoted = pc.binary_join_element_wise(quote, col, nothing)
    return pc.if_else(risky, quoted, col)


def _timestamps(col: pa.ChunkedArray) -> pa.ChunkedArray:
    """Dates stay dates (``2026-01-05``) when every value is at midnight, as pandas writes them;
    otherwise ``YYYY-MM-DD HH:MM:SS``."""
    if col.type.tz is not None:
        col = pc.local_timestamp(col)
    day = pc.cast(col, pa.date32())
    back = pc.cast(pc.cast(day, pa.timestamp(col.type.unit)), col.type)
    if pc.all(pc.or_kleene(pc.equal(back, col), pc.is_null(col))).as_py() in (True, None):
        return day
    try:  # whole seconds: no fraction printed
        return pc.strftime(pc.cast(col, pa.timestamp("s")), format="%Y-%m-%d %H:%M:%S")
    except pa.ArrowInvalid:  # sub-second times keep their fraction
        return pc.strftime(col, format="%Y-%m-%d %H:%M:%S")


def _durations(col: pa.ChunkedArray) -> pa.Array:
    """Durations as pandas prints them (``3 days 04:00:00``); rare in results."""
    text = col.to_pandas().astype(object)
    return pa.array([None if v is None or v != v else str(v) for v in text], pa.string())


PLAIN_BELOW = 1e10  # Arrow writes 4.52e+10 from here on; Python's repr keeps 45245892195.89


def _floats(col: pa.ChunkedArray) -> pa.ChunkedArray:
    """Large numbers (revenue) without an exponent, as pandas writes them: Arrow's text for
    values under 1e10, Python's ``repr`` for the others (up to 1e16, where pandas too uses one)."""
    big = pc.fill_null(pc.greater_equal(pc.abs(col), PLAIN_BELOW), False)
    if not pc.any(big).as_py():
        return col
    text = pc.cast(col, pa.string())
    plain = pa.array([repr(v) for v in pc.filter(col, big).to_pylist()], pa.string())
    return pc.replace_with_mask(text.combine_chunks(), big.combine_chunks(), plain)


def _boolean(col: pa.ChunkedArray) -> pa.ChunkedArray:
    return pc.if_else(col, "True", "False")


def csv_ready(table: pa.Table) -> pa.Table:
    """``table`` with every column in the form the CSV file shows."""
    columns = []
    for col in table.columns:
        t = col.type
        if pa.types.is_dictionary(t):
            col = pc.cast(col, t.value_type)
            t = col.type
        if pa.types.is_string(t) or pa.types.is_large_string(t):
            col = _text(col)
        elif pa.types.is_floating(t):
            col = _floats(col)
        elif pa.types.is_boolean(t):
            col = _boolean(col)
        elif pa.types.is_timestamp(t):
            col = _timestamps(col)
        elif pa.types.is_duration(t):
            col = _durations(col)
        columns.append(col)
    return pa.Table.from_arrays(columns, names=[str(n) for n in table.column_names])


def _needs_quotes(table: pa.Table) -> bool:
    if any(_special(name) for name in table.column_names):
        return True
    for col in table.columns:
        if pa.types.is_string(col.type) or pa.types.is_large_string(col.type):
            if pc.any(pc.match_substring_regex(col, _NEEDS_QUOTES)).as_py():
                return True
    return False


def write_csv(table: pa.Table, path: Path) -> None:
    """Write ``table`` (as converted from the result frame) to ``path`` as CSV."""
    ready = csv_ready(table)
    quote = _needs_quotes(ready)
    options = pa_csv.WriteOptions(include_header=False, quoting_style="needed" if quote else "none")
    with pa.OSFile(str(path), "wb") as sink:
        sink.write(_header(ready.column_names, quote).encode("utf-8"))
        pa_csv.write_csv(ready, sink, options)


def _header(names: list[str], quote: bool) -> str:
    """The header line (Arrow quotes every name; pandas only those that need it)."""
    cells = ['"' + n.replace('"', '""') + '"' if quote and _special(n) else n for n in names]
    return ",".join(cells) + "\n"


def _special(name: str) -> bool:
    return any(ch in name for ch in ',"\r\n')
