"""SQLite files, read with the standard library's ``sqlite3`` (read-only URI) into an in-memory
DuckDB owned by crmlens.  DuckDB's sqlite extension is not used: it needs a download.

Tables are loaded on first use, whole, through Arrow.  SQLite columns are dynamically typed:
a column holding both numbers and text is loaded as text, so validation reports it as a wrong type.
"""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pyarrow as pa

from crmlens.config import SourceMapping
from crmlens.errors import SourceError
from crmlens.sources.base import Dataset, opening_error
from crmlens.sources.duckdb_connect import connect

BATCH = 200_000


class SqliteLoader:
    def __init__(self, path: Path, con) -> None:
        self.path = path
        self.con = con
        try:
            self.db = sqlite3.connect(
                f"{path.resolve().as_uri()}?mode=ro", uri=True, check_same_thread=False
            )
            rows = self.db.execute(
                "SELECT name FROM sqlite_master WHERE type IN ('table','view')"
            ).fetchall()
        except sqlite3.Error as exc:
            raise opening_error(str(path), "SQLite", exc) from None
        self._names = [r[0] for r in rows]

    def names(self) -> list[str]:
        return list(self._names)

    def __call__(self, name: str):
        if name not in self._names:  # the identifier below is only ever a name sqlite itself listed
            raise SourceError(
                "error.table_missing", table=name, physical=name, source=str(self.path)
            )
        quoted = '"' + name.replace('"', '""') + '"'
        cur = self.db.execute(f"SELECT * FROM {quoted}")  # noqa: S608 - name validated above
        cols = [d[0] for d in cur.description]
        chunks: list[list[list]] = [[] for _ in cols]
        while True:
            rows = cur.fetchmany(BATCH)
            if not rows:
                break
            for i, col in enumerate(zip(*rows)):
                chunks[i].extend(col)
        arrays = [_to_arrow(values) for values in chunks]
        table = pa.table(dict(zip(cols, arrays))) if cols else pa.table({})
        return self.con.create_table(name, table, overwrite=True)


def _to_arrow(values: list) -> pa.Array:
    kinds = {type(v) for v in values if v is not None}
    if kinds <= {int}:
        return pa.array(values, type=pa.int64())
    if kinds <= {int, float}:
        return pa.array(values, type=pa.float64())
    if kinds <= {bytes}:
        return pa.array(values, type=pa.binary())
    return pa.array(
        [
            None
            if v is None
            else (v.decode("utf-8", "replace") if isinstance(v, bytes) else str(v))
            for v in values
        ],
        type=pa.string(),
    )


def open_sqlite(path: Path, mapping: SourceMapping) -> Dataset:
    con = connect()
    return Dataset(con, "sqlite", str(path), mapping, loader=SqliteLoader(path, con))
