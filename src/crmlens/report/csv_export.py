"""``tables/<analysis>/<table>.csv`` written column by column from the Arrow table that is also
saved as Parquet (pandas ``to_csv`` formats every cell in Python: 10 s for the 1M-account run's
~1 million rows, holding the interpreter lock the document needs; Arrow's writer takes a fraction
of that and releases it).

The file reads like the pandas export it replaces: ``True``/``False`` for booleans, dates without
a midnight time, large amounts without an exponent, empty cells for missing values, quotes only
in a file that has a value needing them (a comma, quote or line break; then every text cell is
quoted, which any CSV reader reads the same).  Text cells that a spreadsheet would run as a
formula get a leading single quote (``escape.FORMULA_START``); numbers stay numbers.

How each column is written is decided once over the whole column; the rows are then converted
and written ``BATCH_ROWS`` at a time, and categorical columns stay dictionary-encoded (only their
distinct values are changed), so memory stays flat: the 1M run's 574,000-row action plan is
155 MB of CSV text.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pa_csv

from crmlens.report.escape import FORMULA_START

BATCH_ROWS = 100_000
NEEDS_QUOTES = '[,"\r\n]'
PLAIN_BELOW = 1e10  # Arrow writes 4.52e+10 from here on; Python's repr keeps 45245892195.89

Render = Callable[[pa.Array], pa.Array]


def write_csv(table: pa.Table, path: Path) -> None:
    """Write ``table`` (as converted from the result frame) to ``path`` as CSV."""
    table = table.unify_dictionaries().combine_chunks()
    renders = [_render(col) for col in table.columns]
    quote = any(_special(n) for n in table.column_names) or any(
        _needs_quotes(col) for col in table.columns
    )
    options = pa_csv.WriteOptions(include_header=False, quoting_style="needed" if quote else "none")
    names = [str(n) for n in table.column_names]
    with pa.OSFile(str(path), "wb") as sink:
        sink.write(_header(names, quote).encode("utf-8"))
        writer = None
        for offset in range(0, table.num_rows, BATCH_ROWS):
            part = table.slice(offset, BATCH_ROWS)
            arrays = [render(col.chunk(0)) for render, col in zip(renders, part.columns)]
            batch = pa.Table.from_arrays(arrays, names=names)
            if writer is None:
                writer = pa_csv.CSVWriter(sink, batch.schema, write_options=options)
            writer.write_table(batch)
        if writer is not None:
            writer.close()


def _render(col: pa.ChunkedArray) -> Render:
    """How the column's cells are written (decided over the whole column)."""
    t = col.type
    if pa.types.is_dictionary(t) and _is_text(t.value_type):
        return _dictionary_text(col)
    if _is_text(t):
        return _text
    if pa.types.is_boolean(t):
        return lambda a: pc.if_else(a, "True", "False")
    if pa.types.is_timestamp(t):
        return _timestamps(col)
    if pa.types.is_floating(t):
        return _floats(col)
    if pa.types.is_duration(t):
        return _durations
    if _is_nested(t):
        return _as_text
    return lambda a: a


def _is_nested(t: pa.DataType) -> bool:
    """Types Arrow's CSV writer has no text for (lists, structs, maps, binary)."""
    return (
        pa.types.is_list(t)
        or pa.types.is_large_list(t)
        or pa.types.is_fixed_size_list(t)
        or pa.types.is_struct(t)
        or pa.types.is_map(t)
        or pa.types.is_binary(t)
        or pa.types.is_large_binary(t)
    )


def _as_text(a: pa.Array) -> pa.Array:
    """Each value's Python text (rare in results: flat_frame already joins lists of text)."""
    return pa.array([None if v is None else str(v) for v in a.to_pylist()], pa.string())


def _is_text(t: pa.DataType) -> bool:
    return pa.types.is_string(t) or pa.types.is_large_string(t)


def _text(a: pa.Array) -> pa.Array:
    """Text with formula-like cells neutralised."""
    risky = None
    for prefix in FORMULA_START:
        hit = pc.starts_with(a, prefix)
        risky = hit if risky is None else pc.or_(risky, hit)
    if risky is None or not pc.any(risky).as_py():
        return a
    quote, nothing = pa.scalar("'", a.type), pa.scalar("", a.type)
    return pc.if_else(risky, pc.binary_join_element_wise(quote, a, nothing), a)


def _dictionary_text(col: pa.ChunkedArray) -> Render:
    """A categorical text column: its distinct values neutralised once, codes kept."""
    values = col.chunk(0).dictionary if col.num_chunks else pa.array([], col.type.value_type)
    safe = _text(values)
    return lambda a: pa.DictionaryArray.from_arrays(a.indices, safe)


def _timestamps(col: pa.ChunkedArray) -> Render:
    """Dates stay dates (``2026-01-05``) when every value is at midnight, as pandas writes them;
    otherwise ``YYYY-MM-DD HH:MM:SS`` (with the fraction only when a time has one)."""
    local = (lambda a: pc.local_timestamp(a)) if col.type.tz is not None else (lambda a: a)
    whole = local(col)
    day = pc.cast(whole, pa.date32())
    back = pc.cast(pc.cast(day, pa.timestamp(whole.type.unit)), whole.type)
    if pc.all(pc.or_kleene(pc.equal(back, whole), pc.is_null(whole))).as_py() in (True, None):
        return lambda a: pc.cast(local(a), pa.date32())
    try:
        pc.cast(whole, pa.timestamp("s"))  # raises when a time has a fraction of a second
    except pa.ArrowInvalid:
        return lambda a: pc.strftime(local(a), format="%Y-%m-%d %H:%M:%S")
    return lambda a: pc.strftime(pc.cast(local(a), pa.timestamp("s")), format="%Y-%m-%d %H:%M:%S")


def _floats(col: pa.ChunkedArray) -> Render:
    """Large numbers (revenue) without an exponent, as pandas writes them: Arrow's text for
    values under 1e10, Python's ``repr`` for the others (up to 1e16, where pandas too uses one)."""
    if not pc.any(pc.fill_null(pc.greater_equal(pc.abs(col), PLAIN_BELOW), False)).as_py():
        return lambda a: a

    def plain(a: pa.Array) -> pa.Array:
        big = pc.fill_null(pc.greater_equal(pc.abs(a), PLAIN_BELOW), False)
        text = pc.cast(a, pa.string())
        if not pc.any(big).as_py():
            return text
        reprs = pa.array([repr(v) for v in pc.filter(a, big).to_pylist()], pa.string())
        return pc.replace_with_mask(text, big, reprs)

    return plain


def _durations(a: pa.Array) -> pa.Array:
    """Durations as pandas prints them (``3 days 04:00:00``); rare in results."""
    text = a.to_pandas().astype(object)
    return pa.array([None if v is None or v != v else str(v) for v in text], pa.string())


def _needs_quotes(col: pa.ChunkedArray) -> bool:
    t = col.type
    if pa.types.is_dictionary(t) and _is_text(t.value_type):
        col = col.chunk(0).dictionary if col.num_chunks else pa.array([], t.value_type)
    elif _is_nested(t):
        return True  # "[1, 2]", "{'a': 1}": quoted
    elif not _is_text(t):
        return False  # numbers, dates, booleans, durations: never a comma or a quote
    return bool(pc.any(pc.match_substring_regex(col, NEEDS_QUOTES)).as_py())


def _header(names: list[str], quote: bool) -> str:
    """The header line (Arrow quotes every name; pandas only those that need it)."""
    cells = ['"' + n.replace('"', '""') + '"' if quote and _special(n) else n for n in names]
    return ",".join(cells) + "\n"


def _special(name: str) -> bool:
    return any(ch in name for ch in ',"\r\n')
