"""Segmentation result tables: customers, rules, cuts, guard, clusters, utilisation, people vs
model, the review table the workbook exports, and the entities the monitor records."""

from __future__ import annotations

import re

import numpy as np
import pandas as pd

from crmlens.analyses.segmentation.config import SegmentationConfig

CUSTOMER_COLUMNS = [
    "account_id",
    "account_name",
    "segment",
    "segment_model",
    "overridden",
    "r_score",
    "f_score",
    "m_score",
    "recency_days",
    "frequency",
    "monetary",
    "cluster",
    "override_by",
    "override_reason",
    "override_expires",
]


def slug(name: str) -> str:
    """A segment name as a metric-name part: ``Can't Lose`` → ``can_t_lose``."""
    return re.sub(r"[^a-z0-9]+", "_", name.lower()).strip("_") or "segment"


def ordered(applied: pd.DataFrame, cfg: SegmentationConfig) -> pd.DataFrame:
    """Customers by segment (rule order), then revenue (desc), then account id."""
    order = {s: i for i, s in enumerate(cfg.segment_names)}
    key = applied["segment"].map(order).fillna(len(order))
    return (
        applied.assign(_order=key)
        .sort_values(["_order", "monetary", "account_id"], ascending=[True, False, True])
        .drop(columns="_order")
        .reset_index(drop=True)
    )


def entities(customers: pd.DataFrame, cfg: SegmentationConfig) -> pd.DataFrame:
    watch = np.select(
        [customers["segment"] == cfg.watch_from, customers["segment"] == cfg.watch_to],
        [1.0, 0.0],
        np.nan,
    )
    return (
        pd.DataFrame(
            {
                "entity_id": customers["account_id"].astype(str),
                "entity_name": customers["account_name"],
                "tier": customers["segment"].astype(str),
                "segment_model": customers["segment_model"].astype(str),
                "overridden": customers["overridden"].astype(bool),
                "watch": watch,
                "override_ok": ~customers["override_expiring"].astype(bool),
                "monetary": customers["monetary"],
                "recent_revenue": customers["recent_revenue"],
            }
        )
        .sort_values("entity_id", kind="stable")
        .reset_index(drop=True)
    )


def customer_table(customers: pd.DataFrame) -> pd.DataFrame:
    present = [c for c in CUSTOMER_COLUMNS if c in customers.columns]
    return customers[present].reset_index(drop=True)
