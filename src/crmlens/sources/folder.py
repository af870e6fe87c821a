"""A folder of ``<table>.parquet`` / ``<table>.csv`` (optionally ``.csv.gz``) files.

Files are read by an in-memory DuckDB connection owned by crmlens (the folder is never written).
"""

from __future__ import annotations

from pathlib import Path

import ibis

from crmlens.config import SourceMapping
from crmlens.errors import SourceError
from crmlens.sources.base import Dataset, _first_line

SUFFIXES = (".parquet", ".csv", ".csv.gz")


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
        try:
            if f.name.endswith(".parquet"):
                t = self.con.read_parquet(f, table_name=name)
            else:
                # sample the whole file for types so a text value late in a numeric column shows
                # up as a type problem instead of a failure halfway through an analysis
                t = self.con.read_csv(f, table_name=name, sample_size=-1)
            t.count().execute()  # force a full read now: unreadable files fail here, by name
            return t
        except Exception as exc:
            raise SourceError("error.table_unreadable", table=name, reason=f"{f.name}: {_first_line(exc)}") from None


def open_folder(folder: Path, mapping: SourceMapping) -> Dataset:
    con = ibis.duckdb.connect()
    loader = FolderLoader(folder, con)
    if not loader.files:
        raise SourceError("error.folder_empty", source=str(folder))
    return Dataset(con, "folder", str(folder), mapping, loader=loader)
