"""An independent pandas re-computation of the health-score preset ``activity_contact_value_scale``
straight from its published definition (issue #19), for the tests.  It shares no code with
``crmlens.analyses.health_score``."""

from __future__ import annotations

import numpy as np
import pandas as pd

SIZE_SCORES = {"Enterprise": 1.0, "Large": 0.8, "Mid-Market": 0.6, "Small Business": 0.4}


def _minmax(s: pd.Series) -> pd.Series:
    lo, hi = s.min(), s.max()
    if not hi > lo:
        return s * 0.0
    return (s - lo) / (hi - lo)


def _of_max(s: pd.Series) -> pd.Series:
    hi = s.max()
    return s / hi if hi > 0 else s * 0.0


def health(acc: pd.DataFrame, size_column: str = "account_size_segment") -> pd.DataFrame:
    a = acc.copy()
    days = a["days_since_last_activity"].astype(float)
    acts = a["total_activities_30d"].astype(float)
    activity = 0.5 * (1 - _minmax(days)).fillna(0) + 0.5 * _of_max(acts).fillna(0)
    contacts = a["total_contacts"].astype(float)
    emails = a["contacts_with_email"].astype(float)
    contact = (emails / contacts).where(contacts > 0, 0.0).fillna(0.0)
    revenue = a["annual_revenue"].astype(float)
    won = a["total_won_amount"].astype(float)
    value = 0.5 * _minmax(revenue).fillna(0) + 0.5 * _of_max(won).fillna(0)
    size = a[size_column].map(SIZE_SCORES).fillna(0.0)
    employees = a["number_of_employees"].astype(float)
    scale = 0.7 * size + 0.3 * np.sqrt(_minmax(employees)).fillna(0)
    parts = [s.clip(0, 1) for s in (activity, contact, value, scale)]
    score = (100 * (0.4 * parts[0] + 0.3 * parts[1] + 0.2 * parts[2] + 0.1 * parts[3])).clip(0, 100)
    a["score"] = score
    a["tier"] = np.select([score >= 80, score >= 50], ["high", "medium"], "low")
    pipe = a["current_pipeline_amount"].astype(float).fillna(0)
    a["outlook"] = (0.4 * won.fillna(0) + 0.6 * pipe) * score / 100
    return a


def risk_matrix(a: pd.DataFrame) -> pd.DataFrame:
    g = a.assign(low=a["tier"] == "low").groupby(["industry_normalized", "company_size_category"])
    m = g.agg(accounts=("low", "size"), low_health=("low", "sum")).reset_index()
    m["low_health_share"] = m["low_health"] / m["accounts"]
    m["level"] = np.select(
        [m["low_health_share"] >= 0.7, m["low_health_share"] >= 0.4, m["low_health_share"] >= 0.2],
        ["high", "elevated", "watch"],
        "stable",
    )
    return m
