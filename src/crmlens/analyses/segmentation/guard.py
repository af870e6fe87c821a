"""Step 4: the over-segmentation guard and the action plan.

Per segment in force (after overrides): customers, share, revenue (won in the window), value per
customer, the service-cost proxy (cases per customer in the case window, accounts per owner) and
its playbook's treatment.  A segment is flagged when it is below the minimum size (customers or
share) — merge into standard service — or has no distinct treatment: the standard one (merge into
standard service) or the same treatment as a larger segment (merge into that one).  Each kept
segment's customers get their playbook's action (``toolkit.plan_rows``); the plan is ordered by
segment (rule order), then revenue (desc), then account id.
"""

from __future__ import annotations

import datetime as dt

import numpy as np
import pandas as pd

from crmlens.analyses.segmentation.config import Playbook, SegmentationConfig
from crmlens.analyses.toolkit import OPEN, Action, due_date, plan_rows

KEEP, MERGE_STANDARD, MERGE_INTO = "keep", "merge_standard", "merge_into"


def playbook(cfg: SegmentationConfig, segment: str) -> Playbook:
    return cfg.playbooks.get(segment, Playbook())


def profile(applied: pd.DataFrame, cfg: SegmentationConfig) -> pd.DataFrame:
    total = len(applied)
    revenue_total = float(applied["monetary"].sum())
    rows = []
    for segment in cfg.segment_names:
        group = applied[applied["segment"] == segment]
        n = len(group)
        revenue = float(group["monetary"].sum())
        rows.append(
            {
                "segment": segment,
                "customers": n,
                "share": n / total if total else np.nan,
                "revenue": revenue,
                "revenue_share": revenue / revenue_total if revenue_total else np.nan,
                "value_per_customer": revenue / n if n else np.nan,
                "cases_per_customer": _mean(group, "cases"),
                "owner_load": _mean(group, "owner_accounts"),
                "treatment": playbook(cfg, segment).treatment,
            }
        )
    out = pd.DataFrame(rows)
    return _flags(out, cfg)


def _mean(group: pd.DataFrame, column: str) -> float:
    if column not in group.columns or group[column].notna().sum() == 0:
        return np.nan
    return float(group[column].mean())


def _flags(prof: pd.DataFrame, cfg: SegmentationConfig) -> pd.DataFrame:
    present = prof["customers"] > 0
    small = present & (
        (prof["customers"] < cfg.min_segment_customers) | (prof["share"] < cfg.min_segment_share)
    )
    standard = present & (prof["treatment"] == "standard")
    merge_into = pd.Series("", index=prof.index, dtype=object)
    candidates = prof[present & ~small & ~standard].sort_values(
        ["customers", "segment"], ascending=[False, True], kind="stable"
    )
    first_with: dict[str, str] = {}
    for i, row in candidates.iterrows():
        owner = first_with.setdefault(row["treatment"], row["segment"])
        if owner != row["segment"]:
            merge_into[i] = owner
    prof["below_minimum"] = small.to_numpy()
    prof["no_distinct_treatment"] = (standard | (merge_into != "")).to_numpy()
    prof["merge_into"] = merge_into
    prof["recommendation"] = np.select(
        [~present, small | standard, merge_into != ""], ["", MERGE_STANDARD, MERGE_INTO], KEEP
    )
    return prof


def plan(applied: pd.DataFrame, prof: pd.DataFrame, cfg: SegmentationConfig, as_of: dt.date):
    """One action per customer of a kept segment, in priority order."""
    kept = prof.loc[prof["recommendation"] == KEEP, "segment"].tolist()
    order = {s: i for i, s in enumerate(cfg.segment_names)}
    base = applied[applied["segment"].isin(kept)].copy()
    base["_order"] = base["segment"].map(order)
    base = base.sort_values(
        ["_order", "monetary", "account_id"], ascending=[True, False, True], kind="stable"
    ).reset_index(drop=True)
    base.insert(0, "priority_rank", np.arange(1, len(base) + 1))
    books = {s: playbook(cfg, s) for s in kept}  # one look-up per segment, not per customer
    treatments = base["segment"].map({s: b.treatment for s, b in books.items()}).to_numpy()
    days = base["segment"].map({s: b.milestone_days for s, b in books.items()}).to_numpy()
    milestones = sorted(set(days.tolist()))
    actions = [
        Action(f"action.seg.{t}", (treatments == t) & (days == d), milestones.index(d))
        for t in sorted(set(treatments.tolist()))
        for d in milestones
        if ((treatments == t) & (days == d)).any()
    ]
    columns = ["priority_rank", "account_id", "account_name", "segment", "segment_model"]
    columns += ["overridden", "monetary", "frequency", "recency_days"]
    if not actions:
        return pd.DataFrame(
            columns=[
                *columns,
                "owner_role",
                "action",
                "detail",
                "due_date",
                "milestone_days",
                "status",
            ]
        )
    rows = plan_rows(actions)
    out = base.iloc[rows.entity][columns].reset_index(drop=True)
    out["owner_role"] = out["segment"].map({s: b.owner_role for s, b in books.items()})
    out["action"] = pd.Series([rows.codes[i] for i in rows.action], dtype="str")
    out["detail"] = out["segment"].astype(str)
    out["milestone_days"] = np.array(milestones, dtype="int64")[rows.milestone]
    out["due_date"] = [due_date(as_of, d) for d in out["milestone_days"]]
    out["status"] = OPEN
    return out
