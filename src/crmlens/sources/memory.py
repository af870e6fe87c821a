"""Sources already in the caller's hands (the Python API): an Ibis connection, or pandas / Arrow
frames by canonical table name.  Frames are registered as temporary tables of an in-memory DuckDB
connection owned by crmlens; nothing is written anywhere."""

from __future__ import annotations

from typing import Any, Mapping


from crmlens.config import SourceMapping
from crmlens.errors import SourceError
from crmlens.sources.base import Dataset
from crmlens.sources.duckdb_connect import connect


def open_frames(frames: Mapping[str, Any], mapping: SourceMapping | None = None) -> Dataset:
    if not frames:
        raise SourceError("error.folder_empty", source="(frames)")
    con = connect()
    for name, frame in frames.items():
        con.create_table(str(name), obj=frame, temp=True)
    return Dataset(
        con, "frames", "(frames: " + ", ".join(map(str, frames)) + ")", mapping or SourceMapping()
    )


def open_backend(backend: Any, mapping: SourceMapping | None = None) -> Dataset:
    """An Ibis backend the caller already connected (read-only use; crmlens never closes it)."""
    name = getattr(backend, "name", type(backend).__name__)
    data = Dataset(backend, "ibis", f"ibis:{name}", mapping or SourceMapping())
    data.close = lambda: data._cache.clear()  # type: ignore[method-assign]  # the caller owns it
    return data
