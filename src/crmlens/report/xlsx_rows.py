"""The rows of a long workbook sheet written as sheet XML column by column, instead of
xlsxwriter's cell-by-cell ``write_row`` (about 15 µs a cell: ~7 s for the 1.2 million cells of a
100,000-account action plan on an idle core).  The whole 100k workbook took 5.6 s instead of
24.4 s at load 8 on the shared machine, 1.4–1.8 s at load 4 (docs/performance.md).

xlsxwriter still writes the workbook — header row, column widths and formats, filters, frozen
panes, validation, styles, every small sheet — with each long sheet's body left empty; the body
is then put into the sheet's XML when the file is packed.  The cells are the very XML xlsxwriter
writes in constant-memory mode for the same values (inline strings with its escapes and
whitespace rule, numbers as ``%.16G``, dates as serial numbers in the default date format, the
column's format as the cell's style; empty values no cell), so the workbook reads the same;
``tests/test_report.py`` compares both ways cell by cell and style by style.  A sheet with a value
of another kind (a boolean, NaN, a text over Excel's limit) is written by xlsxwriter as before.
"""

from __future__ import annotations

import datetime as dt
import io
import math
import queue
import re
import threading
import zipfile
from collections.abc import Iterator
from dataclasses import dataclass
from numbers import Real
from pathlib import Path

import pandas as pd
from xlsxwriter.utility import _datetime_to_excel_datetime, xl_col_to_name

BLOCK_ROWS = 5_000  # rows turned into XML and compressed at a time (memory stays flat)
ZIP_LEVEL = 4  # the long sheets' XML (1M-account workbook: level 6, zlib's default, 3.7 s and
# 16.3 MB; level 4 2.9 s and 18.7 MB; level 1 2.8 s and 21.4 MB)
LONGEST_TEXT = 16_383  # longer text may pass Excel's 32,767 UTF-16 units: xlsxwriter cuts it
ESCAPED_ALREADY = re.compile("(_x[0-9a-fA-F]{4}_)")
CONTROL = re.compile(r"([\x00-\x08\x0b-\x1f])")
EDGE_SPACE = re.compile(r"^\s|\s$")


@dataclass
class Column:
    """A column's values and its cells' XML: ``head + row number + middle + tails[value]``
    (no cell for a value without a tail: None, empty text)."""

    values: list
    head: str
    middle: str
    tails: dict

    def cells(self, start: int, rows: list[str]) -> list[str]:
        tails, head, middle = self.tails, self.head, self.middle
        values = self.values[start : start + len(rows)]
        return [head + r + middle + tails[v] if v in tails else "" for v, r in zip(values, rows)]


@dataclass
class SheetBody:
    """Rows 2… of one sheet, column by column."""

    columns: list[Column]
    rows: int
    last_column: int


def sheet_body(
    frame: pd.DataFrame, styles: list[int | None], date_style: int | None
) -> SheetBody | None:
    """The sheet body of ``frame`` below its header row (``styles``: each column's format index;
    ``date_style``: the default date format's), or None when a value is of a kind xlsxwriter
    writes otherwise."""
    columns = []
    for j in range(frame.shape[1]):
        values = frame.iloc[:, j].tolist()
        column = _column(values, xl_col_to_name(j), styles[j], date_style)
        if column is None:
            return None
        columns.append(column)
    return SheetBody(columns, len(frame), len(frame.columns) - 1)


def _column(values: list, letter: str, style: int | None, date_style: int | None) -> Column | None:
    kinds = set(map(type, values)) - {type(None)}
    if not all(issubclass(k, (str, Real, dt.datetime)) and k is not bool for k in kinds):
        return None  # booleans, lists, …: xlsxwriter's way
    distinct = set(values) - {None, ""}
    attr = "" if style is None else f' s="{style}"'
    if all(issubclass(k, str) for k in kinds):
        if max(map(len, distinct), default=0) > LONGEST_TEXT:
            return None
        tails = {v: _inline_text(v) for v in distinct}
        return Column(values, f'<c r="{letter}', f'"{attr} t="inlineStr"><is><t', tails)
    if all(issubclass(k, Real) and not issubclass(k, bool) for k in kinds):
        if not all(math.isfinite(v) for v in distinct):
            return None  # NaN and infinity are error cells
        tails = {v: f"{v:.16G}</v></c>" for v in distinct}
        return Column(values, f'<c r="{letter}', f'"{attr}><v>', tails)
    if all(issubclass(k, dt.datetime) for k in kinds):
        tails = {
            v: f"{_datetime_to_excel_datetime(v, False, False):.16G}</v></c>" for v in distinct
        }
        attr = "" if date_style is None else f' s="{date_style}"'
        return Column(values, f'<c r="{letter}', f'"{attr}><v>', tails)
    return None


def _inline_text(text: str) -> str:
    """What follows ``<t`` in xlsxwriter's inline string cell for ``text``."""
    text = ESCAPED_ALREADY.sub(r"_x005F\1", text)
    text = CONTROL.sub(lambda m: f"_x{ord(m.group(1)):04X}_", text)
    text = text.replace("\ufffe", "_xFFFE_").replace("\uffff", "_xFFFF_")
    preserve = ' xml:space="preserve"' if EDGE_SPACE.search(text) else ""
    text = text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
    return f"{preserve}>{text}</t></is></c>"


def _row_blocks(body: SheetBody) -> Iterator[bytes]:
    for start in range(0, body.rows, BLOCK_ROWS):
        numbers = [str(r) for r in range(start + 2, min(start + BLOCK_ROWS, body.rows) + 2)]
        parts = []
        for r, cells in zip(numbers, zip(*(c.cells(start, numbers) for c in body.columns))):
            row = "".join(cells)
            if row:  # xlsxwriter writes no row without a cell
                parts.append(f'<row r="{r}">{row}</row>')
        yield "".join(parts).encode("utf-8")


def pack(workbook: io.BytesIO, path: Path, bodies: dict[int, SheetBody]) -> None:
    """The workbook xlsxwriter wrote in memory, saved as ``path`` with each sheet's body
    (``bodies``: sheet number → body) put after the sheet's header row."""
    if not bodies:
        path.write_bytes(workbook.getbuffer())
        return
    with (
        zipfile.ZipFile(workbook) as source,
        zipfile.ZipFile(
            path, "w", zipfile.ZIP_DEFLATED, allowZip64=True, compresslevel=ZIP_LEVEL
        ) as target,
    ):
        for info in source.infolist():
            data = source.read(info)
            number = _sheet_number(info.filename)
            if number not in bodies:
                target.writestr(info, data)
                continue
            head, tail = _split_after_header(data.decode("utf-8"), bodies[number])
            with target.open(info.filename, "w", force_zip64=True) as out:
                out.write(head.encode("utf-8"))
                for block in _ahead(_row_blocks(bodies[number])):
                    out.write(block)
                out.write(tail.encode("utf-8"))


def _ahead(blocks: Iterator[bytes], depth: int = 4) -> Iterator[bytes]:
    """``blocks`` made by a second thread up to ``depth`` blocks ahead: the next rows' XML is
    built while the previous rows are compressed (zlib and the CRC run without the interpreter
    lock; the 1M-account workbook spent ~1.1 s on each, one after the other).  Leaving the loop
    early stops the thread."""
    ready: queue.Queue = queue.Queue(maxsize=depth)
    stop = threading.Event()

    def put(item) -> bool:  # False once the writer stopped reading
        while not stop.is_set():
            try:
                ready.put(item, timeout=0.1)
                return True
            except queue.Full:
                continue
        return False

    def make() -> None:
        try:
            for block in blocks:
                if not put(block):
                    return
            put(None)
        except BaseException as exc:  # handed to the writer, raised there
            put(exc)

    thread = threading.Thread(target=make, name="crmlens-xlsx-rows", daemon=True)
    thread.start()
    try:
        while (item := ready.get()) is not None:
            if isinstance(item, BaseException):
                raise item
            yield item
    finally:
        stop.set()
        thread.join()


def _sheet_number(name: str) -> int | None:
    match = re.fullmatch(r"xl/worksheets/sheet(\d+)\.xml", name)
    return int(match.group(1)) if match else None


def _split_after_header(xml: str, body: SheetBody) -> tuple[str, str]:
    """The sheet XML before and after the place of the body (right after row 1), with the
    sheet's dimension grown to the body's last cell."""
    cut = xml.index("</row>") + len("</row>")
    head, tail = xml[:cut], xml[cut:]

    def grow(match: re.Match) -> str:
        last = re.search(r"([A-Z]+)(\d+)$", match.group(1))
        column = max(body.last_column, _column_number(last.group(1)))
        row = max(body.rows + 1, int(last.group(2)))
        return f'<dimension ref="A1:{xl_col_to_name(column)}{row}"/>'

    head = re.sub(r'<dimension ref="([^"]*)"/>', grow, head, count=1)
    return head, tail


def _column_number(letters: str) -> int:
    number = 0
    for ch in letters:
        number = number * 26 + ord(ch) - 64
    return number - 1
