"""Step 3: people's overrides after the model, and how they compare.

``apply`` puts the segment in force (``RunContext.overrides('segment')``) after the model's.
``disagreements`` cross-tabulates the model's segment against the people's.  ``outcomes`` judges
overrides recorded at least ``outcome_days`` before the as-of date: the won revenue and retention
(a won deal) of those customers in the last ``outcome_days``, against what the customers left as
the model placed them earned in the model's segment and in the people's segment.  Descriptive
evidence, weak while few overrides are old enough: the count is always shown.
"""

from __future__ import annotations

import datetime as dt

import numpy as np
import pandas as pd

from crmlens.analyses.segmentation.config import SegmentationConfig


def disagreements(applied: pd.DataFrame) -> pd.DataFrame:
    changed = applied[applied["overridden"]]
    if changed.empty:
        return pd.DataFrame(columns=["segment_model", "segment_human", "customers", "agrees"])
    out = (
        changed.groupby(["segment_model", "override_value"], sort=True)
        .size()
        .reset_index(name="customers")
        .rename(columns={"override_value": "segment_human"})
    )
    out["agrees"] = out["segment_model"] == out["segment_human"]
    return out.sort_values(["customers", "segment_model"], ascending=[False, True], kind="stable")


def overridden(applied: pd.DataFrame) -> pd.DataFrame:
    columns = [
        "account_id",
        "account_name",
        "segment_model",
        "segment",
        "override_by",
        "override_reason",
        "override_expires",
        "override_expiring",
    ]
    return applied.loc[applied["overridden"], columns].reset_index(drop=True)


def outcomes(applied: pd.DataFrame, cfg: SegmentationConfig, as_of: dt.date) -> pd.DataFrame:
    """Per (model segment → people's segment): judged customers, their realised revenue and
    retention, and the expectation of each segment (customers the model placed there and nobody
    overrode)."""
    columns = [
        "segment_model",
        "segment_human",
        "customers",
        "revenue",
        "retained",
        "model_expected_revenue",
        "model_expected_retained",
        "human_expected_revenue",
        "human_expected_retained",
        "human_closer",
    ]
    cutoff = pd.Timestamp(as_of - dt.timedelta(days=cfg.outcome_days))
    judged = applied[applied["overridden"] & (applied["override_set_at"] <= cutoff)]
    if judged.empty:
        return pd.DataFrame(columns=columns)
    plain = applied[~applied["overridden"]]
    expected = plain.groupby("segment_model").agg(
        revenue=("recent_revenue", "mean"), retained=("recent_won", lambda s: float((s > 0).mean()))
    )
    rows = []
    for (model, human), group in judged.groupby(["segment_model", "override_value"], sort=True):
        revenue, retained = (
            float(group["recent_revenue"].mean()),
            float((group["recent_won"] > 0).mean()),
        )
        m_rev, m_ret = _expected(expected, model)
        h_rev, h_ret = _expected(expected, human)
        closer = (
            None
            if np.isnan(m_rev) or np.isnan(h_rev)
            else abs(revenue - h_rev) < abs(revenue - m_rev)
        )
        rows.append(
            [model, human, len(group), revenue, retained, m_rev, m_ret, h_rev, h_ret, closer]
        )
    return pd.DataFrame(rows, columns=columns)


def _expected(expected: pd.DataFrame, segment: str) -> tuple[float, float]:
    if segment not in expected.index:
        return np.nan, np.nan
    row = expected.loc[segment]
    return float(row["revenue"]), float(row["retained"])
