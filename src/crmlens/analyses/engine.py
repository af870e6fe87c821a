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
    (a measured 0.2 s on a 140,000-row key-account table).  An engine whose numbers Arrow cannot
    take as the declared type (PostgreSQL's NUMERIC averages) goes through ``execute()``, its
    Decimal values as floats."""
    import decimal

    import pyarrow as pa

    try:
        return expr.to_pyarrow().to_pandas()
    except (pa.ArrowInvalid, pa.ArrowTypeError):
        df = expr.execute()
        for col in df.columns:
            if df[col].dtype == object and df[col].map(type).eq(decimal.Decimal).any():
                df[col] = pd.to_numeric(df[col].map(lambda v: None if v is None else float(v)))
        return df


def cents(frame: pd.DataFrame, *columns: str) -> pd.DataFrame:
    """Round money totals to the cent, in place.  Engines add floating-point amounts in different
    orders (DuckDB and Spark in parallel, PostgreSQL in its own), so a sum can differ in the
    ninth significant digit; the true total of cent amounts is a whole number of cents, so the
    rounded value is the same on every engine."""
    for column in columns:
        frame[column] = frame[column].round(2)
    return frame


def data_end(data, as_of):
    """The date windows end at: the latest close date of a closed opportunity on or before
    ``as_of`` (data exported months ago is analysed as of its own last day, not today's), or
    ``as_of`` when there is no such deal or no opportunity table."""
    import datetime as dt

    import ibis

    from crmlens.schema.contracts import OPPORTUNITIES
    from crmlens.schema.typed import read_table

    if not data.has_table(OPPORTUNITIES.name):
        return as_of
    o = read_table(data, OPPORTUNITIES)
    if not {"close_date", "is_closed"} <= set(o.columns):
        return as_of
    day = o.close_date.cast("date")
    latest = o.filter(as_bool(o.is_closed) & (day <= ibis.literal(as_of, type="date"))).aggregate(
        latest=day.max()
    )
    value = latest.execute()["latest"].iloc[0]
    if value is None or value != value:
        return as_of
    return (
        value
        if isinstance(value, dt.date) and not isinstance(value, dt.datetime)
        else (dt.date.fromisoformat(str(value)[:10]))
    )
