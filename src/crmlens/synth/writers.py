"""Chunk writers for the generator: DuckDB (default), SQLite, Parquet folder, CSV folder.

Every writer writes into a temporary sibling and renames it into place on success, so an
interrupted run never leaves a half-written dataset under the requested name; a generated
database carries the table ``_crmlens_generated`` (a folder: ``.crmlens-output``), so a later
``generate`` may replace it and nothing else.
"""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pyarrow as pa
import pyarrow.csv as pacsv
import pyarrow.parquet as pq

from crmlens.errors import OutputError
from crmlens.outputs import GENERATED_TABLE, AtomicFile, AtomicFolder, marker

FORMATS = ("duckdb", "sqlite", "parquet", "csv", "sf-export")


class _Atomic:
    """The output rules and the temporary location come from :mod:`crmlens.outputs`: a file
    replaces only a dataset crmlens generated, a folder only a crmlens dataset folder."""

    def __init__(self, out: Path, is_dir: bool) -> None:
        self.target = AtomicFolder(out, "dataset") if is_dir else AtomicFile(out)
        self.tmp = self.target.path


def _marker_row() -> tuple[str, str, str]:
    info = marker("dataset")
    return info["tool"], info["version"], info["kind"]


class DuckDBWriter(_Atomic):
    def __init__(self, out: Path) -> None:
        super().__init__(out, is_dir=False)
        import duckdb

        # a bounded buffer pool keeps generation memory flat however many chunks are appended
        self.con = duckdb.connect(str(self.tmp), config={"memory_limit": "1GB", "threads": 2})
        self.created: set[str] = set()

    def write(self, name: str, table: pa.Table) -> None:
        self.con.register("_chunk", table)
        if name in self.created:
            self.con.execute(
                f'INSERT INTO "{name}" SELECT * FROM _chunk'
            )  # name: canonical table constant
        else:
            self.con.execute(f'CREATE TABLE "{name}" AS SELECT * FROM _chunk')
            self.created.add(name)
        self.con.unregister("_chunk")

    def close(self) -> None:
        columns = "tool VARCHAR, version VARCHAR, kind VARCHAR"
        self.con.execute(f"CREATE TABLE {GENERATED_TABLE} ({columns})")
        self.con.execute(f"INSERT INTO {GENERATED_TABLE} VALUES (?, ?, ?)", list(_marker_row()))
        self.con.execute("CHECKPOINT")
        self.con.close()


class SqliteWriter(_Atomic):
    def __init__(self, out: Path) -> None:
        super().__init__(out, is_dir=False)
        self.db = sqlite3.connect(str(self.tmp))
        self.created: set[str] = set()

    def write(self, name: str, table: pa.Table) -> None:
        if name not in self.created:
            cols = ", ".join(f'"{f.name}" {_sqlite_type(f.type)}' for f in table.schema)
            self.db.execute(f'CREATE TABLE "{name}" ({cols})')
            self.created.add(name)
        marks = ", ".join("?" * table.num_columns)
        for batch in table.to_batches(100_000):
            cols = [_sqlite_values(c) for c in batch.columns]
            self.db.executemany(f'INSERT INTO "{name}" VALUES ({marks})', zip(*cols))
        self.db.commit()

    def close(self) -> None:
        self.db.execute(f"CREATE TABLE {GENERATED_TABLE} (tool TEXT, version TEXT, kind TEXT)")
        self.db.execute(f"INSERT INTO {GENERATED_TABLE} VALUES (?, ?, ?)", _marker_row())
        self.db.commit()
        self.db.close()


def _sqlite_type(t: pa.DataType) -> str:
    if pa.types.is_integer(t) or pa.types.is_boolean(t):
        return "INTEGER"
    if pa.types.is_floating(t):
        return "REAL"
    return "TEXT"


def _sqlite_values(col: pa.Array) -> list:
    if pa.types.is_boolean(col.type):
        return [None if v is None else int(v) for v in col.to_pylist()]
    if pa.types.is_date(col.type) or pa.types.is_timestamp(col.type):
        return [
            None if v is None else v.isoformat(sep=" ") if hasattr(v, "hour") else v.isoformat()
            for v in col.to_pylist()
        ]
    return col.to_pylist()


class FolderWriter(_Atomic):
    def __init__(self, out: Path, fmt: str) -> None:
        super().__init__(out, is_dir=True)
        self.fmt = fmt
        self.writers: dict[str, object] = {}

    def write(self, name: str, table: pa.Table) -> None:
        w = self.writers.get(name)
        if w is None:
            path = self.tmp / f"{name}.{self.fmt}"
            w = (
                pq.ParquetWriter(path, table.schema)
                if self.fmt == "parquet"
                else pacsv.CSVWriter(path, table.schema)
            )
            self.writers[name] = w
        w.write_table(table)

    def close(self) -> None:
        for w in self.writers.values():
            w.close()


def make_writer(out: Path, fmt: str):
    if fmt == "duckdb":
        return DuckDBWriter(out)
    if fmt == "sqlite":
        return SqliteWriter(out)
    if fmt in ("parquet", "csv"):
        return FolderWriter(out, fmt)
    if fmt == "sf-export":
        from crmlens.synth.sf_export import SfExportWriter

        return SfExportWriter(out)
    raise OutputError("error.format_unknown", format=fmt, allowed=", ".join(FORMATS))
