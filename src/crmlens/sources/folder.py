"""A folder of ``<table>.parquet`` / ``<table>.csv`` (optionally ``.csv.gz``) files.

Files are read by an in-memory DuckDB connection owned by crmlens (the folder is never written).
"""

from __future__ import annotations

import csv
import gzip
from pathlib import Path

from crmlens.config import SourceMapping
from crmlens.errors import SourceError
from crmlens.sources.base import Dataset, _first_line
from crmlens.sources.duckdb_connect import connect

SUFFIXES = (".parquet", ".csv", ".csv.gz")
DELIMITERS = (",", ";", "\t", "|")


class FolderLoader:
    def __init__(self, folder: Path, con) -> None:
        self.folder = folder
        self.con = con
        self.files: dict[str, Path] = {}
        for f in sorted(folder.iterdir()):
            for suf in SUFFIXES:
                if f.is_file() and f.name.endswith(suf):
                    self.files.setdefault(f.name[: -len(suf)], f)

    def names(self) -> list[str]:
        return list(self.files)

    def __call__(self, name: str):
        f = self.files[name]
        csv_file = not f.name.endswith(".parquet")
        try:
            if not csv_file:
                t = self.con.read_parquet(f, table_name=name)
            else:
                # sample the whole file for types so a text value late in a numeric column shows
                # up as a type problem instead of a failure halfway through an analysis
                t = self.con.read_csv(f, table_name=name, sample_size=-1)
            t.count().execute()  # force a full read now: unreadable files fail here, by name
        except Exception as exc:
            if csv_file:
                diagnose_csv(f, name)
            raise SourceError(
                "error.table_unreadable", table=name, reason=f"{f.name}: {_first_line(exc)}"
            ) from None
        if csv_file and len(t.columns) == 1:  # DuckDB reads a file with a ragged row as one column
            diagnose_csv(f, name)
        return t


def _open(path: Path, text: bool):
    opener = gzip.open if path.name.endswith(".gz") else open
    return opener(path, "rt", encoding="utf-8", newline="") if text else opener(path, "rb")


def diagnose_csv(path: Path, table: str) -> None:
    """Raise a SourceError naming the file and the first line that is not UTF-8 or whose number
    of fields differs from the header's; return when neither is found.  One streaming pass each;
    the encoding is never guessed (CSV files are read as UTF-8)."""
    with _open(path, text=False) as fh:
        for number, raw in enumerate(fh, start=1):
            try:
                raw.decode("utf-8")
            except UnicodeDecodeError as exc:
                raise SourceError(
                    "error.csv_not_utf8",
                    table=table,
                    file=path.name,
                    line=number,
                    byte=f"0x{raw[exc.start]:02x}",
                ) from None
    csv.field_size_limit(2**31 - 1)  # one field may legitimately hold megabytes of text
    with _open(path, text=True) as fh:
        header_line = fh.readline()
        delimiter = max(DELIMITERS, key=header_line.count)
        fh.seek(0)
        reader = csv.reader(fh, delimiter=delimiter)
        expected = len(next(reader, []))
        for record in reader:
            if record and len(record) != expected:
                raise SourceError(
                    "error.csv_ragged",
                    table=table,
                    file=path.name,
                    line=reader.line_num,
                    found=len(record),
                    expected=expected,
                )


def open_folder(folder: Path, mapping: SourceMapping) -> Dataset:
    con = connect()
    loader = FolderLoader(folder, con)
    if not loader.files:
        raise SourceError("error.folder_empty", source=str(folder))
    return Dataset(con, "folder", str(folder), mapping, loader=loader)
