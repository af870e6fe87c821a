"""Every DuckDB connection crmlens opens, with the same session settings.

* no progress bar (it would write to the user's terminal);
* the allocator's background threads on: DuckDB's allocator otherwise keeps the memory a large
  query freed until the next allocation asks for it.  At 1M accounts the investment-mismatch
  identity join left the process 0.5 GB larger than before it (DuckDB itself reported 30 MB in
  use); with the background threads that memory is returned within a second or two
  (docs/performance.md, "Memory").
"""

from __future__ import annotations

import ibis


def connect(database: str = ":memory:", **kwargs):
    """An Ibis DuckDB connection to ``database`` (``:memory:`` by default)."""
    con = ibis.duckdb.connect(database, **kwargs)
    con.raw_sql("SET enable_progress_bar = false")  # session settings; nothing is written
    con.raw_sql("SET allocator_background_threads = true")
    return con
