"""Sources: the only layer that knows connections.  Everything returned is an Ibis table.

``open_source(location, mapping)`` accepts a DuckDB file (default), an SQLite file (read with the
standard library, never DuckDB's downloadable extension), a folder of ``<table>.csv|.parquet``
files, or any Ibis connection URL (``postgres://…``, ``duckdb://…``).  Every source is opened
read-only; crmlens never writes into the data it analyses.
"""

from crmlens.sources import duckdb_compat
from crmlens.sources.base import Dataset, open_source  # noqa: F401

duckdb_compat.install()  # Ibis 12 on DuckDB 2.x: see duckdb_compat
