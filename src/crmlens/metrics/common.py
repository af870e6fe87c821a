"""Small Ibis helpers shared by metric modules."""

from __future__ import annotations

import ibis
import ibis.expr.types as ir
import pandas as pd


def as_bool(col: ir.Value) -> ir.BooleanValue:
    """Boolean view of a flag column stored as boolean or 0/1 integer; NULL → False."""
    if col.type().is_boolean():
        return col.fill_null(False)
    return (col.cast("int64") != 0).fill_null(False)


def lookup(values: ir.Column, mapping: dict, key: str, label: str) -> ir.Table:
    """A small in-memory lookup table (key → label) built from a Python dict of distinct values."""
    df = pd.DataFrame({key: list(mapping.keys()), label: list(mapping.values())})
    df = df[df[key].notna()]
    return ibis.memtable(df.astype({key: "string", label: "string"}))
