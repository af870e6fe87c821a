"""Canonical table contracts and validation."""

from crmlens.schema.contracts import CONTRACTS, ColumnSpec, TableSpec, contract  # noqa: F401
