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
    path = "mapping" if cfg.identity == "mapping" and mapping is not None else "email"
    counts = _counts(value, customers, mapping, list(cfg.mapping_priority), path)
    keys = counts["keys"]
    if keys == 0:
        return
    by_email = counts["by_email"], counts.get("reached_email", 0)
    by_mapping = counts.get("by_mapping", 0), counts.get("reached_mapping", 0)
    matched, other = (by_mapping, by_email) if path == "mapping" else (by_email, by_mapping)
    blocking = (max(by_email[0], by_mapping[0]) if config is None else matched[0]) == 0
    n_customers = counts["customers"]
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


def _counts(
    value: ir.Table,
    customers: ir.Table,
    mapping: ir.Table | None,
    priority: list[str],
    path: str = "email",
) -> dict[str, int]:
    """In one query (one-row aggregates side by side): distinct value e-mails (``keys``), those
    with a customer record by e-mail, the same through the mapping table's source ids when it
    has any of ``priority``, the customer count, and the customer records the configured
    ``path`` reaches (``reached_<path>``; the other path's is never reported: at 1M accounts
    it cost 0.25 s).  Semi-joins only: no key is fetched into Python."""
    c = customers.mutate(_key=customers.email.lower().strip())
    parts = [
        value.aggregate(keys=value._key.nunique()),
        value.filter(value._key.isin(c._key)).aggregate(by_email=value._key.nunique()),
        customers.aggregate(customers=customers.count()),
    ]
    if path == "email":
        reached = c.filter(c._key.isin(value._key))
        parts.append(reached.aggregate(reached_email=reached.customer360_id.nunique()))
    ids = _mapping_ids(value, mapping, priority)
    if ids:
        hit = ibis.or_(*[value[i].cast("string").isin(mapping[i].cast("string")) for i in ids])
        parts.append(value.filter(hit).aggregate(by_mapping=value._key.nunique()))
    if ids and path == "mapping":
        back = ibis.or_(*[mapping[i].cast("string").isin(value[i].cast("string")) for i in ids])
        reached = customers.filter(
            customers.customer360_id.isin(mapping.filter(back).customer360_id)
        )
        parts.append(reached.aggregate(reached_mapping=reached.customer360_id.nunique()))
    row = parts[0]
    for part in parts[1:]:
        row = row.cross_join(part)
    return {k: int(v or 0) for k, v in row.execute().iloc[0].items()}


def _mapping_ids(value: ir.Table, mapping: ir.Table | None, priority: list[str]) -> list[str]:
    """The configured source ids both the value table and the mapping table have."""
    if mapping is None or "customer360_id" not in mapping.columns:
        return []
    return [c for c in priority if c in value.columns and c in mapping.columns]
