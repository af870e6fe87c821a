"""Dataset: canonical-named, read-only access to the tables of one source."""

from __future__ import annotations

import hashlib
import itertools
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable

import ibis.expr.types as ir

from crmlens.config import SourceMapping
from crmlens.errors import SourceError
from crmlens.sources.duckdb_connect import connect

SQLITE_MAGIC = b"SQLite format 3\x00"
_LOOKUP_IDS = itertools.count()
DUCKDB_MAGIC = b"DUCK"  # at byte offset 8 of a DuckDB database file
DUCKDB_HEADER_BYTES = 3 * 4096  # the main header and two database headers
DATABASE_SUFFIXES = (".duckdb", ".ddb", ".db", ".sqlite", ".sqlite3", ".db3")
# engine messages that mean the file itself is damaged (DuckDB and SQLite wording)
DAMAGE_MARKERS = (
    "corrupt",
    "could not read enough bytes",
    "malformed",
    "file is not a database",
    "not a valid duckdb database",
    "checksum",
)


def physical_family(dtype: Any) -> str:
    """The physical type family of an Ibis dtype, as used by the contracts."""
    if dtype.is_string():
        return "string"
    if dtype.is_boolean():
        return "boolean"
    if dtype.is_integer():
        return "integer"
    if dtype.is_floating():
        return "floating"
    if dtype.is_decimal():
        return "decimal"
    if dtype.is_timestamp():
        return "timestamp"
    if dtype.is_date():
        return "date"
    if dtype.is_null():
        return "null"
    return str(dtype)


@dataclass
class Dataset:
    """Tables of one source, addressed by canonical name (mapping applied)."""

    backend: Any
    kind: str
    location: str
    mapping: SourceMapping = field(default_factory=SourceMapping)
    loader: Callable[[str], ir.Table] | None = None  # for sources that load tables lazily (SQLite)
    register_frame: Callable[[str, Any], ir.Table] | None = (
        None  # engines without temp tables (Spark)
    )
    _cache: dict[str, ir.Table] = field(default_factory=dict, repr=False)
    layout: str = "canonical"  # canonical | sf_export | fivetran_raw (doctor says which)
    notes: list[dict] = field(default_factory=list)  # what the reader reported (doctor shows)

    def physical_name(self, canonical: str) -> str:
        return self.mapping.tables.get(canonical, canonical)

    def available(self) -> set[str]:
        if self.loader is not None:
            return set(self._loader_names())
        return set(self.backend.list_tables())

    def _loader_names(self) -> list[str]:
        return list(getattr(self.loader, "names", lambda: [])())

    def has_table(self, canonical: str) -> bool:
        return self.physical_name(canonical) in self.available()

    def table(self, canonical: str) -> ir.Table:
        """The table renamed to canonical column names.  Raises SourceError if absent/unreadable."""
        if canonical in self._cache:
            return self._cache[canonical]
        name = self.physical_name(canonical)
        if not self.has_table(canonical):
            raise SourceError(
                "error.table_missing", table=canonical, physical=name, source=self.location
            )
        try:
            raw = self.loader(name) if self.loader is not None else self.backend.table(name)
        except SourceError:
            raise
        except Exception as exc:  # engines raise many types; report the table and the reason
            raise SourceError(
                "error.table_unreadable", table=canonical, reason=_first_line(exc)
            ) from exc
        renames = {
            canon: actual
            for canon, actual in self.mapping.columns.get(canonical, {}).items()
            if actual in raw.columns and canon != actual
        }
        t = raw.rename(renames) if renames else raw
        self._cache[canonical] = t
        return t

    def lookup(self, df) -> ir.Table:
        """Register a small pandas frame (e.g. a title → level lookup) as a temporary table of this
        source's engine — never in the user's database — and return it."""
        name = f"crmlens_lookup_{next(_LOOKUP_IDS)}"
        if self.register_frame is not None:
            return self.register_frame(name, df)
        return self.backend.create_table(name, obj=df, temp=True, overwrite=True)

    def close(self) -> None:
        """Release the engine connection (temporary tables and cached results go with it)."""
        self._cache.clear()
        disconnect = getattr(self.backend, "disconnect", None)
        if disconnect is not None:
            disconnect()

    def fingerprint(self, tables: list[str]) -> str:
        """Cheap data fingerprint: table names, schemas and row counts."""
        h = hashlib.sha256()
        for name in sorted(tables):
            if not self.has_table(name):
                continue
            t = self.table(name)
            h.update(name.encode())
            h.update(str(t.schema()).encode())
            h.update(str(int(t.count().execute())).encode())
        return h.hexdigest()[:16]


def _first_line(exc: BaseException) -> str:
    text = str(exc).strip().splitlines()
    return text[0][:300] if text else type(exc).__name__


def open_source(
    location: str | Path, mapping: SourceMapping | None = None, memory_limit: str | None = None
) -> Dataset:
    mapping = mapping or SourceMapping()
    loc = str(location)
    if "://" in loc:
        from crmlens.sources.url import open_url

        return open_url(loc, mapping, memory_limit)
    p = Path(loc)
    if not p.exists():
        raise SourceError("error.source_missing", source=loc)
    if not p.is_dir() and not p.is_file():  # a pipe, socket or device: reading could block
        raise SourceError("error.source_not_file", source=loc)
    layout = mapping.layout
    if layout == "sf_export" or (layout == "auto" and _is_sf_export(p)):
        from crmlens.sources.sf_export import open_sf_export

        return open_sf_export(p, mapping)
    if p.is_dir():
        return _open_folder(p, mapping)
    head = _read_head(p)
    if not head:
        raise SourceError("error.source_empty", source=loc)
    if head.startswith(SQLITE_MAGIC):
        from crmlens.sources.sqlite import open_sqlite

        return open_sqlite(p, mapping)
    if head[8:12] == DUCKDB_MAGIC:
        return _duckdb_layout(open_duckdb(p, mapping, memory_limit), mapping)
    raise SourceError("error.source_format", source=loc)


def _duckdb_layout(data: Dataset, mapping: SourceMapping) -> Dataset:
    """Raw Fivetran Salesforce tables or dbt_salesforce models (``source.layout``, or
    recognised) become canonical views."""
    from crmlens.sources.layouts import detect, open_layout

    layout = detect(data.backend) if mapping.layout == "auto" else mapping.layout
    if layout in ("fivetran_raw", "dbt_salesforce"):
        return open_layout(data, mapping, layout)
    return data


def _is_sf_export(path: Path) -> bool:
    from crmlens.sources.sf_export import is_sf_export

    return is_sf_export(path)


def _read_head(path: Path) -> bytes:
    try:
        with path.open("rb") as fh:
            return fh.read(16)
    except OSError as exc:
        raise SourceError(
            "error.source_unreadable", source=str(path), reason=_first_line(exc)
        ) from None


def _open_folder(path: Path, mapping: SourceMapping) -> Dataset:
    from crmlens.sources.folder import open_folder

    try:
        return open_folder(path, mapping)
    except SourceError as exc:
        if exc.code == "error.folder_empty" and path.suffix.lower() in DATABASE_SUFFIXES:
            raise SourceError("error.folder_named_like_database", source=str(path)) from None
        raise


def opening_error(source: str, kind: str, exc: BaseException) -> SourceError:
    """The error for a database file that fails to open: damaged (truncated, garbage pages) or
    unreadable for another reason (locked, newer format)."""
    reason = _first_line(exc)
    if any(marker in reason.lower() for marker in DAMAGE_MARKERS):
        return SourceError("error.source_damaged", source=source, kind=kind, reason=reason)
    return SourceError("error.source_unreadable", source=source, reason=reason)


def open_duckdb(path: Path, mapping: SourceMapping, memory_limit: str | None = None) -> Dataset:
    try:
        con = connect(str(path), read_only=True)
        if memory_limit:
            con.raw_sql(f"SET memory_limit = '{memory_limit}'")  # validated by the config pattern
        expected = _duckdb_declared_size(con)
    except Exception as exc:
        from crmlens.sources.duckdb_compat import storage_version_error

        newer = storage_version_error(path, _first_line(exc))
        raise (newer or opening_error(str(path), "DuckDB", exc)) from None
    size = path.stat().st_size
    if size < expected:  # cut short (an interrupted copy): reading would fail halfway through
        con.disconnect()
        raise SourceError("error.source_truncated", source=str(path), size=size, expected=expected)
    return Dataset(con, "duckdb", str(path), mapping)


def _duckdb_declared_size(con) -> int:
    """Bytes a complete DuckDB file has at least: its three 4 KiB headers plus every block in use.
    (Not ``total_blocks``: free blocks at the end of a file are trimmed when a checkpoint
    shrinks it, e.g. after a DROP TABLE, so a valid file may be shorter than all its blocks.)"""
    row = con.raw_sql("PRAGMA database_size").fetchone()
    block_size, used_blocks = int(row[2]), int(row[4])
    return DUCKDB_HEADER_BYTES + block_size * used_blocks
