"""Validation the investment-mismatch analysis adds (``AnalysisSpec.checks``): how many
value-analysis customers find a customer record by the configured identity path (e-mail or the
mapping table), with the other path's count as the suggested fix; nothing matching blocks the
analysis.  Semi-joins only: no key is fetched into Python."""

from __future__ import annotations

from typing import Callable

import ibis
import ibis.expr.types as ir

from crmlens.config import CrmlensConfig, default_config
from crmlens.errors import SourceError
from crmlens.schema.contracts import CUSTOMER_VALUE, CUSTOMERS, MAPPING
from crmlens.schema.typed import read_table
from crmlens.sources.base import Dataset

NAME = "investment_mismatch"


def identity_checks(data: Dataset, config: CrmlensConfig | None, add: Callable[..., None]) -> None:
    """How many value-analysis customers (distinct e-mails, case-insensitive) find a customer
    record by the configured identity path; the other path's count is given as the alternative.
    Without a config (identity unknown), nothing matching blocks only when neither path matches."""
    try:
        value = read_table(data, CUSTOMER_VALUE)
        customers = read_table(data, CUSTOMERS)
        mapping = read_table(data, MAPPING) if data.has_table(MAPPING.name) else None
    except SourceError:
        return
    cfg = (config or default_config()).section(NAME)
    value = value.filter(value.primary_email.notnull())
    value = value.mutate(_key=value.primary_email.lower().strip())
    keys = int(value._key.nunique().execute())
    if keys == 0:
        return
    by_email = _email_matches(value, customers)
    by_mapping = _mapping_matches(value, customers, mapping, list(cfg.mapping_priority))
    path = "mapping" if cfg.identity == "mapping" and mapping is not None else "email"
    matched, other = (by_mapping, by_email) if path == "mapping" else (by_email, by_mapping)
    blocking = (max(by_email[0], by_mapping[0]) if config is None else matched[0]) == 0
    n_customers = int(customers.count().execute())
    severity = "blocking" if blocking else "warning" if matched[0] < keys else "info"
    add(
        f"dq.identity_coverage_{path}",
        severity,
        CUSTOMER_VALUE.name,
        "primary_email",
        {
            "matched": matched[0],
            "keys": keys,
            "share": matched[0] / keys,
            "customers": n_customers,
            "without_value": n_customers - matched[1],
            "other": other[0],
            "ref_table": CUSTOMERS.name,
            "analyses": NAME,
        },
    )


def _email_matches(value: ir.Table, customers: ir.Table) -> tuple[int, int]:
    """(value e-mails with a customer record, customer records with a value e-mail)."""
    c = customers.mutate(_key=customers.email.lower().strip())
    matched = value.filter(value._key.isin(c._key))._key.nunique()
    reached = c.filter(c._key.isin(value._key)).customer360_id.nunique()
    return int(matched.execute()), int(reached.execute())


def _mapping_matches(
    value: ir.Table, customers: ir.Table, mapping: ir.Table | None, priority: list[str]
) -> tuple[int, int]:
    """The same through ``customer360__mapping``: any of the configured source ids known there."""
    if mapping is None or "customer360_id" not in mapping.columns:
        return 0, 0
    ids = [c for c in priority if c in value.columns and c in mapping.columns]
    if not ids:
        return 0, 0
    hit = [value[c].cast("string").isin(mapping[c].cast("string")) for c in ids]
    matched = value.filter(ibis.or_(*hit))._key.nunique()
    back = [mapping[c].cast("string").isin(value[c].cast("string")) for c in ids]
    reached_ids = mapping.filter(ibis.or_(*back)).customer360_id
    reached = customers.filter(customers.customer360_id.isin(reached_ids)).customer360_id.nunique()
    return int(matched.execute()), int(reached.execute())
