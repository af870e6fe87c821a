"""Small Ibis helpers shared by the analysis units' engine-side expressions."""

from __future__ import annotations

import ibis.expr.types as ir
import pandas as pd


def as_bool(col: ir.Value) -> ir.BooleanValue:
    """Boolean view of a flag column stored as boolean or 0/1 integer; NULL → False."""
    if col.type().is_boolean():
        return col.fill_null(False)
    return (col.cast("int64") != 0).fill_null(False)


def to_frame(expr: ir.Table) -> pd.DataFrame:
    """Execute and convert through Arrow (``pyarrow.Table.to_pandas``): same dtypes as
    ``execute()`` for the tables crmlens fetches, without Ibis's per-column pandas conversion pass
    (a measured 0.2 s on a 140,000-row key-account table)."""
    return expr.to_pyarrow().to_pandas()
