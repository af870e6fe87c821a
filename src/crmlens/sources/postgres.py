"""PostgreSQL through Ibis (extra ``postgres``): ``--source postgresql://user@host:5432/db``.

The session is made read-only before anything runs (``SET SESSION CHARACTERISTICS AS TRANSACTION
READ ONLY``), so crmlens cannot write into the warehouse even with a role that could.  Small
lookup frames (title and department rules) are inlined into the queries as ``VALUES`` lists:
no temporary table or view is created, and a role with nothing but SELECT is enough.
"""

from __future__ import annotations

import math
from functools import lru_cache
from typing import Any
from urllib.parse import urlparse

import ibis
import ibis.expr.datatypes as dt
import ibis.expr.types as ir
import pandas as pd
import sqlglot as sg
import sqlglot.expressions as sge

SCHEMES = ("postgres", "postgresql")
READ_ONLY = "SET SESSION CHARACTERISTICS AS TRANSACTION READ ONLY"


def connect(url: str):
    """An Ibis Postgres backend on ``url`` whose session cannot write."""
    try:
        import psycopg  # noqa: F401
    except ImportError:
        from crmlens.errors import SourceError

        raise SourceError("error.postgres_missing") from None
    con = _backend_class()()._from_url(urlparse(url))
    con.raw_sql(READ_ONLY).close()
    return con


def inline_table(backend, frame) -> ir.Table:
    """A pandas frame as a query of literal rows on ``backend`` (no object is created)."""
    schema = ibis.memtable(frame).schema()
    columns = [f"c{i}" for i in range(len(schema))]
    rows = [
        sge.Tuple(expressions=[_literal(value) for value in row])
        for row in frame.itertuples(index=False, name=None)
    ] or [sge.Tuple(expressions=[sge.Null() for _ in columns])]  # VALUES needs a row
    values = sge.Values(
        expressions=rows,
        alias=sge.TableAlias(
            this=sg.to_identifier("lookup"), columns=[sg.to_identifier(c) for c in columns]
        ),
    )
    mapper = backend.compiler.type_mapper
    select = sg.select(
        *[
            sge.Cast(this=sg.column(c), to=mapper.from_ibis(dtype)).as_(name, quoted=True)
            for c, (name, dtype) in zip(columns, schema.items())
        ]
    ).from_(values)
    if frame.empty:
        select = select.where(sge.false())
    return backend.sql(select.sql(backend.dialect), schema=schema)


def _literal(value: Any) -> sge.Expression:
    if value is None or value is pd.NA or value is pd.NaT:
        return sge.Null()
    if isinstance(value, float) and math.isnan(value):
        return sge.Null()
    if hasattr(value, "item"):  # numpy scalars
        value = value.item()
    return sge.convert(value)


@lru_cache(maxsize=1)
def _backend_class():
    """Ibis 12's Postgres backend with three changes, for crmlens's own connections only:

    * PostgreSQL casts a boolean only to ``integer``, so a boolean cast to another number type
      (``mask.cast("int64").sum()`` counts rows) goes through ``integer`` first;
    * the SUM of integers is ``numeric`` in PostgreSQL but an integer for Ibis (and DuckDB): it is
      cast back, so integer operators (``>>``, ``&``) apply to it;
    * ``Table.cache()`` returns the expression itself instead of creating a temporary table
      (impossible in a read-only session): PostgreSQL plans the subquery where it is used.
    """
    from ibis.backends.postgres import Backend
    from ibis.backends.sql.compilers.postgres import PostgresCompiler

    class Compiler(PostgresCompiler):
        def visit_Cast(self, op, *, arg, to):
            if op.arg.dtype.is_boolean() and to.is_numeric() and not to.is_int32():
                arg = self.cast(arg, dt.int32)
            return super().visit_Cast(op, arg=arg, to=to)

        visit_TryCast = visit_Cast

        def visit_Sum(self, op, *, arg, where):
            total = super().visit_Sum(op, arg=arg, where=where)
            return self.cast(total, op.dtype) if op.dtype.is_integer() else total

    class ReadOnlyPostgres(Backend):
        compiler = Compiler()

        def _cached_table(self, table):
            return table

    return ReadOnlyPostgres
