"""Any Ibis connection URL (postgres://, duckdb://, mysql://, …).

``duckdb://`` and ``sqlite://`` URLs that name a file are opened like the plain path (read-only,
checked first): Ibis would otherwise create a missing file and open an existing one for writing.
"""

from __future__ import annotations

from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

import ibis

from crmlens.config import SourceMapping
from crmlens.errors import SourceError
from crmlens.sources import postgres
from crmlens.sources.base import Dataset, _first_line

FILE_SCHEMES = ("duckdb", "sqlite")


def open_url(url: str, mapping: SourceMapping, memory_limit: str | None = None) -> Dataset:
    path, options = file_path(url)
    if path and not options:
        from crmlens.sources.base import open_source

        return open_source(path, mapping, memory_limit)
    shown = display_url(url)
    if path and not Path(path).exists():  # with engine options Ibis opens it, but never creates it
        raise SourceError("error.source_missing", source=shown)
    scheme = urlsplit(url).scheme.lower()
    try:
        con = postgres.connect(url) if scheme in postgres.SCHEMES else ibis.connect(url)
    except SourceError:
        raise
    except Exception as exc:
        reason = _first_line(exc).replace(url, shown)
        secret = urlsplit(url).password
        if secret:
            reason = reason.replace(secret, "***")
        raise SourceError("error.source_unreadable", source=shown, reason=reason) from None
    if scheme in postgres.SCHEMES:  # the location lands in results and history
        return Dataset(con, "postgres", shown, mapping, register_frame=_inliner(con))
    return Dataset(con, "url", shown, mapping)


def _inliner(con):
    return lambda name, frame: postgres.inline_table(con, frame)


def display_url(url: str) -> str:
    """What may be shown or stored of a connection URL: the password and query values (tokens,
    keys) replaced by ``***``; paths and other text unchanged."""
    if "://" not in url:
        return url
    parts = urlsplit(url)
    netloc = parts.netloc
    if parts.password:
        netloc = netloc.replace(":" + parts.password + "@", ":***@", 1)
    query = (
        "&".join(f"{kv.split('=', 1)[0]}=***" if "=" in kv else kv for kv in parts.query.split("&"))
        if parts.query
        else ""
    )
    return urlunsplit((parts.scheme, netloc, parts.path, query, parts.fragment))


def file_path(url: str) -> tuple[str, str]:
    """The database file a ``duckdb://`` / ``sqlite://`` URL names ("" for other URLs and for
    in-memory databases) and the URL's options (its query string)."""
    parts = urlsplit(url)
    path = parts.netloc + parts.path
    if parts.scheme.lower() not in FILE_SCHEMES or path in ("", ":memory:"):
        return "", ""
    return path, parts.query
