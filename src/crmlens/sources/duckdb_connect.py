"""Every DuckDB connection crmlens opens, with the same session settings.

* no progress bar (it would write to the user's terminal);
* the allocator's background threads on: DuckDB's allocator otherwise keeps the memory a large
  query freed until the next allocation asks for it.  At 1M accounts the investment-mismatch
  identity join left the process 0.5 GB larger than before it (DuckDB itself reported 30 MB in
  use); with the background threads that memory is returned within a second or two
  (docs/performance.md, "Fourth pass").  A DuckDB without the setting runs as before.
"""

from __future__ import annotations

import duckdb
import ibis


def connect(database: str = ":memory:", **kwargs):
    """An Ibis DuckDB connection to ``database`` (``:memory:`` by default)."""
    con = ibis.duckdb.connect(database, **kwargs)
    con.raw_sql("SET enable_progress_bar = false")  # session settings; nothing is written
    try:
        con.raw_sql("SET allocator_background_threads = true")
    except duckdb.Error:  # a DuckDB without the setting: memory is returned later, as before
        pass
    return con
