"""Contact-coverage action plan: one row per (key account, action), in priority order.

Each action closes one gap by a milestone of ``milestones_days``.  Built from row indices and one
take per column (``toolkit.plan_rows``); repeated labels are categoricals (millions of rows at
10M accounts).
"""

from __future__ import annotations

import datetime as dt

import numpy as np
import pandas as pd

from crmlens.analyses.base import pattern_codes
from crmlens.analyses.contact_coverage.config import ContactCoverageConfig
from crmlens.analyses.contact_coverage.columns import OPTIONAL_ACCOUNT_COLUMNS
from crmlens.analyses.toolkit import OPEN, Action, due_dates, plan_rows

ACTIONS = (  # code, milestone index (cfg.milestones_days)
    ("action.fix_employee_count", 0),
    ("action.classify_contacts", 0),
    ("action.add_executives", 1),
    ("action.add_contacts", 2),
    ("action.add_departments", 2),
    ("action.review_targets", 3),
)
LABEL_COLUMNS = ("owner_role", "tier", "risk_class")
GAP_COLUMNS = ("density", "decision_ratio", "coverage", "missing_departments")  # actions close


def action_plan(
    df: pd.DataFrame,
    cfg: ContactCoverageConfig,
    as_of: dt.date,
    present: np.ndarray,
    dept_add: np.ndarray,
    key_depts: list[str],
) -> pd.DataFrame:
    """One row per (key account, action), ordered by priority rank, milestone, action code."""
    # detail labels: "" / the executive roles / one label per department set (at most 2^k)
    dep_sets = [
        [d for j, d in enumerate(key_depts) if code >> j & 1] for code in range(1 << len(key_depts))
    ]
    details = ["", " / ".join(cfg.executive_roles)] + [
        "; ".join(f"{d}: {' / '.join(cfg.department_roles.get(d, []))}" for d in deps)
        for deps in dep_sets
    ]
    rows = plan_rows(_actions(df, dept_add))

    idx = rows.entity
    extra = [c for c in OPTIONAL_ACCOUNT_COLUMNS if c in df.columns]
    out = {"priority_rank": df["priority_rank"].to_numpy()[idx]}
    for c in ("account_id", "account_name", *extra):  # ~4 rows per account: each string once
        out[c] = categorical_take(df[c], idx, sort=False)
    for c in LABEL_COLUMNS:
        out[c] = categorical_take(df[c], idx)
    for c in ("annual_revenue", "density", "decision_ratio", "coverage"):
        out[c] = df[c].to_numpy()[idx]
    out["missing_departments"] = categorical_codes(
        pattern_codes(~present)[idx], ["; ".join(deps) for deps in dep_sets]
    )
    out["action"] = categorical_codes(rows.action, rows.codes)
    no_qty = np.isnan(rows.quantity)  # review_targets has no quantity
    out["quantity"] = pd.arrays.IntegerArray(
        np.where(no_qty, 0, rows.quantity).astype("int64"), no_qty
    )
    out["detail"] = categorical_codes(rows.detail, details)
    days = np.asarray(cfg.milestones_days, dtype="int64")
    out["milestone_days"] = days[rows.milestone]
    out["due_date"] = categorical_codes(rows.milestone, due_dates(as_of, days))
    out["status"] = categorical_codes(np.zeros(len(idx), dtype="int64"), [OPEN])
    cols = [
        "priority_rank",
        "account_id",
        "account_name",
        "owner_role",
        *extra,
        "annual_revenue",
        "tier",
        "risk_class",
        *GAP_COLUMNS,
        "action",
        "quantity",
        "detail",
        "milestone_days",
        "due_date",
        "status",
    ]
    return pd.DataFrame({c: out[c] for c in cols})


def _actions(df: pd.DataFrame, dept_add: np.ndarray) -> list[Action]:
    """Who gets which action, how many and with which detail code (0 "", 1 the executive roles,
    2 + the departments-to-add pattern)."""
    qty_fixes = (df["n_title_unrecognised"] + df["n_dept_unknown"]).to_numpy()
    new_exec = df["executives_to_add"].to_numpy()
    other_new = df["other_contacts_to_add"].to_numpy()
    n_dep = df["n_departments_to_add"].to_numpy()
    rows = len(df)
    spec = {  # action → (mask, quantity, detail code)
        "action.fix_employee_count": (
            ~df["employees_known"].to_numpy(dtype=bool),
            np.ones(rows, dtype="int64"),
            0,
        ),
        "action.classify_contacts": (qty_fixes > 0, qty_fixes, 0),
        "action.add_executives": (new_exec > 0, new_exec, 1),
        "action.add_contacts": (other_new > 0, other_new, 0),
        "action.add_departments": (n_dep > 0, n_dep, 2 + pattern_codes(dept_add)),
        "action.review_targets": (df["risk_class"].to_numpy() != "none", None, 0),
    }
    return [
        Action(code, spec[code][0], milestone, spec[code][1], spec[code][2])
        for code, milestone in ACTIONS
    ]


def categorical_codes(codes: np.ndarray, labels: list[str]) -> pd.Categorical:
    """A categorical of ``labels[codes]`` (code -1 → missing) whose categories are the labels that
    occur, sorted — what ``astype('category')`` on the strings would give, without the strings."""
    codes = np.asarray(codes, dtype="int64")
    labels = np.asarray(labels, dtype=object)
    used = np.flatnonzero(np.bincount(codes[codes >= 0], minlength=len(labels)))
    cats, inverse = np.unique(labels[used], return_inverse=True)  # labels may repeat ("" twice)
    remap = np.full(len(labels) + 1, -1, dtype="int64")  # the extra slot maps code -1 to -1
    remap[used] = inverse
    return pd.Categorical.from_codes(remap[codes], categories=pd.Index(cats, dtype="str"))


def categorical_take(col: pd.Series, idx: np.ndarray, sort: bool = True) -> pd.Categorical:
    """``col[idx]`` as a categorical.  ``sort=False`` (ids, names: one category per account) keeps
    the categories in first-seen order and skips dropping unused ones."""
    codes, uniques = pd.factorize(col)
    if sort:
        return categorical_codes(codes[idx], list(uniques))
    return pd.Categorical.from_codes(codes[idx], categories=pd.Index(uniques, dtype="str"))
