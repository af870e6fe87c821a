"""Health playbooks as action rows: recover low-health accounts, retain the medium ones, expand
healthy accounts with the largest outlook — one row per (account, action), in priority order
(tier, worst first; then outlook, largest first; then account id)."""

from __future__ import annotations

import datetime as dt

import numpy as np
import pandas as pd

from crmlens.analyses.health_score.config import HealthScoreConfig
from crmlens.analyses.health_score.score import TIERS
from crmlens.analyses.toolkit import OPEN, Action, due_dates, plan_rows

ACTIONS = (  # code, tier it serves, milestone index (cfg.milestones_days)
    ("action.health_recovery_call", "low", 0),
    ("action.health_recovery_plan", "low", 1),
    ("action.health_retain_review", "medium", 1),
    ("action.health_expansion", "high", 2),
    ("action.health_recheck", "low", 3),
)
PLAYBOOKS = {"low": "recover", "medium": "retain", "high": "expand"}


def prioritise(df: pd.DataFrame, outlook: pd.DataFrame) -> pd.DataFrame:
    """Accounts in plan order with ``priority_rank``, ``playbook`` and ``owner_role`` columns."""
    assert (outlook["account_id"].to_numpy() == df["account_id"].to_numpy()).all()
    rank = {t: i for i, t in enumerate(TIERS)}
    tier = df["tier"].map(rank).to_numpy()
    ids = pd.factorize(df["account_id"].astype(str), sort=True)[0]  # integer ranks: fast sort
    order = np.lexsort((ids, -outlook["outlook"].to_numpy(), tier))  # one take of the wide frame
    out = df.assign(outlook=outlook["outlook"].to_numpy(), quartile=outlook["quartile"].to_numpy())
    out = out.take(order)
    out["priority_rank"] = np.arange(1, len(out) + 1)
    out["playbook"] = out["tier"].map(PLAYBOOKS)
    return out.reset_index(drop=True)


def owner_roles(df: pd.DataFrame, cfg: HealthScoreConfig) -> np.ndarray:
    size = df["company_size_category"].astype("string")
    return size.map(cfg.owner_roles).fillna(cfg.default_owner_role).to_numpy(dtype=object)


def action_plan(df: pd.DataFrame, cfg: HealthScoreConfig, as_of: dt.date) -> pd.DataFrame:
    """One row per (account, action) for the tiers in ``plan_tiers`` (and, when
    ``expand_top_quartile``, healthy accounts in the top outlook quartile)."""
    tier = df["tier"].to_numpy()
    expand = (tier == "high") & (df["quartile"].to_numpy() == 4) & cfg.expand_top_quartile
    actions = []
    for code, serves, milestone in ACTIONS:
        rows = (tier == serves) & (serves in cfg.plan_tiers) if serves != "high" else expand
        if milestone < len(cfg.milestones_days):
            actions.append(Action(code, rows, milestone))
    plan = plan_rows(actions)
    idx = plan.entity
    days = np.asarray(cfg.milestones_days, dtype="int64")
    out = {
        "priority_rank": df["priority_rank"].to_numpy()[idx],
        "account_id": df["account_id"].to_numpy()[idx],
        "account_name": df["account_name"].to_numpy()[idx],
    }
    for c in ("account_owner_name", "owner_id"):
        if c in df.columns:
            out[c] = df[c].to_numpy()[idx]
    out.update(
        {
            "owner_role": owner_roles(df, cfg)[idx],
            "tier": tier[idx],
            "playbook": df["playbook"].to_numpy()[idx],
            "health_score": df["health_score"].to_numpy()[idx],
            "outlook": df["outlook"].to_numpy()[idx],
            "reason_1": df["reason_1"].to_numpy()[idx],
            "action": np.asarray(plan.codes, dtype=object)[plan.action],
            "detail": np.full(len(idx), "", dtype=object),
            "milestone_days": days[plan.milestone],
            "due_date": np.asarray(due_dates(as_of, days), dtype=object)[plan.milestone],
            "status": np.full(len(idx), OPEN, dtype=object),
        }
    )
    return pd.DataFrame(out)
