"""DuckDB 1.x and 2.x behind Ibis 12, and what a DuckDB file's header says about its writer.

Ibis 12's DuckDB backend fetches query results with the connection methods
``fetch_arrow_table()`` and ``fetch_record_batch(rows_per_batch)``; DuckDB 1.5 deprecated them
and DuckDB 2.0 removed them in favour of ``to_arrow_table()`` and ``to_arrow_reader(batch_size)``
(Ibis main already calls the new names; no release has it yet).  :func:`install` puts exactly
those two names back, as aliases of their successors, and only when the installed DuckDB lacks
them: on DuckDB 1.x it does nothing.  Drop this module once Ibis ≥ 13 is required.
"""

from __future__ import annotations

import re
import struct
import warnings
from dataclasses import dataclass
from pathlib import Path

# DuckDB 2.0 warns that Arrow output from a connection copies the rows once more than from a
# relation; the copy is what Ibis 12 asks for, the warning tells the user nothing they can change.
_COPY_WARNING = "Arrow output on a DB-API result"
REMOVED_METHODS = ("fetch_arrow_table", "fetch_record_batch")


def _fetch_arrow_table(connection):
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", message=_COPY_WARNING, category=UserWarning)
        return connection.to_arrow_table()


def _fetch_record_batch(connection, rows_per_batch: int = 1_000_000):
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", message=_COPY_WARNING, category=UserWarning)
        return connection.to_arrow_reader(rows_per_batch)


def install(connection_type=None) -> list[str]:
    """Give DuckDB's connection type the result methods Ibis 12 calls where they are missing.
    Returns the names it added (none on DuckDB 1.x)."""
    if connection_type is None:
        import duckdb

        connection_type = duckdb.DuckDBPyConnection
    aliases = {"fetch_arrow_table": _fetch_arrow_table, "fetch_record_batch": _fetch_record_batch}
    added = []
    for name in REMOVED_METHODS:
        if not hasattr(connection_type, name):
            setattr(connection_type, name, aliases[name])
            added.append(name)
    return added


# --- the file header -------------------------------------------------------------------------
# A DuckDB file starts with a checksum (8 bytes), the magic "DUCK", the storage version (u64),
# four flag words and the writer's version text (32 bytes at offset 52).  DuckDB 2.x writes 999
# there and keeps the real storage version in the last field of each 4 KiB database header.
MAIN_HEADER = struct.Struct("<8x4sQ")
WRITER_OFFSET, WRITER_BYTES = 52, 32
DATABASE_HEADERS = (4096, 8192)
DATABASE_HEADER = struct.Struct("<8xQqqQQQQ")  # checksum, iteration, …, storage version last
SEE_DATABASE_HEADER = 999
ENGINE_VERSION_PATTERN = re.compile(r"version number (\d+)")


@dataclass(frozen=True)
class FileHeader:
    storage_version: int | None
    writer: str  # e.g. "v2.0.0"; "" when the header does not say


def read_header(path: Path) -> FileHeader:
    """The storage version and writer recorded in a DuckDB file (None/"" where unreadable)."""
    try:
        with Path(path).open("rb") as fh:
            head = fh.read(3 * 4096)
    except OSError:
        return FileHeader(None, "")
    if len(head) < MAIN_HEADER.size or head[8:12] != b"DUCK":
        return FileHeader(None, "")
    version = MAIN_HEADER.unpack_from(head)[1]
    writer = head[WRITER_OFFSET : WRITER_OFFSET + WRITER_BYTES].split(b"\x00")[0]
    if version == SEE_DATABASE_HEADER:
        version = _database_header_version(head)
    return FileHeader(version, writer.decode("ascii", "replace"))


def _database_header_version(head: bytes) -> int | None:
    """The storage version of the newer of the two database headers (higher iteration)."""
    best = None
    for offset in DATABASE_HEADERS:
        if len(head) < offset + DATABASE_HEADER.size:
            continue
        fields = DATABASE_HEADER.unpack_from(head, offset)
        if best is None or fields[0] > best[0]:
            best = fields
    return None if best is None else int(best[-1])


def storage_version_error(path: Path, reason: str):
    """The specific error for a DuckDB file the installed DuckDB cannot read because of its
    storage version (None when ``reason`` is about something else)."""
    if "version" not in reason.lower() or "database file" not in reason.lower():
        return None
    import duckdb

    from crmlens.errors import SourceError

    header = read_header(path)
    match = ENGINE_VERSION_PATTERN.search(reason)
    storage = header.storage_version or (int(match.group(1)) if match else "?")
    return SourceError(
        "error.duckdb_storage_version",
        source=str(path),
        storage=str(storage),
        writer=header.writer or "?",
        installed=duckdb.__version__,
    )
