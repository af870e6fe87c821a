"""Any Ibis connection URL (postgres://, duckdb://, mysql://, …)."""

from __future__ import annotations

import ibis

from crmlens.config import SourceMapping
from crmlens.errors import SourceError
from crmlens.sources.base import Dataset, _first_line


def open_url(url: str, mapping: SourceMapping) -> Dataset:
    try:
        con = ibis.connect(url)
    except Exception as exc:
        raise SourceError("error.source_unreadable", source=url, reason=_first_line(exc)) from None
    return Dataset(con, "url", url, mapping)
