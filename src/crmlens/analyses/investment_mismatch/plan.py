"""Investment-mismatch action plan: every mismatched customer gets a success plan and a
re-prioritisation review, and an onboarding fix first when onboarding is weak; highest priority
first (``toolkit.plan_rows``: customer, then milestone)."""

from __future__ import annotations

import datetime as dt

import numpy as np
import pandas as pd

from crmlens.analyses.toolkit import OPEN, Action, due_date, plan_rows

OWNER_ROLE = "customer_success"
ACTIONS = (  # code, days after the as-of date (one milestone each)
    ("action.mm.onboarding", 14),
    ("action.mm.success_plan", 30),
    ("action.mm.reprioritise", 90),
)
BASE_COLUMNS = [
    "customer360_id",
    "industry_vertical",
    "company_size_tier",
    "investment_priority_score",
    "composite",
    "reasons",
]


def action_plan(mismatched: pd.DataFrame, as_of: dt.date) -> pd.DataFrame:
    """One row per action for every mismatched customer (``mismatched`` is in priority order)."""
    base = mismatched[BASE_COLUMNS].copy()
    base.insert(0, "priority_rank", np.arange(1, len(base) + 1))
    base["owner_role"] = OWNER_ROLE
    weak = base["reasons"].map(lambda r: "reason.weak_onboarding" in r).astype(bool).to_numpy()
    everyone = np.ones(len(base), dtype=bool)
    masks = {"action.mm.onboarding": weak}
    actions = [
        Action(code, masks.get(code, everyone), milestone)
        for milestone, (code, _) in enumerate(ACTIONS)
    ]
    rows = plan_rows(actions)
    out = base.iloc[rows.entity].reset_index(drop=True)
    out["action"] = pd.Series([rows.codes[i] for i in rows.action], dtype="str")
    out["detail"] = pd.Series(["; ".join(r) for r in out["reasons"]], dtype="str")
    days = np.array([d for _, d in ACTIONS], dtype="int64")[rows.milestone]
    out["due_date"] = pd.Series([due_date(as_of, d) for d in days], dtype="str")
    out["milestone_days"] = days
    out["status"] = OPEN
    return out.drop(columns="reasons")
