"""What to do about the dimensions beyond their lines: one plan per dimension at alert or on
watch, as action rows (``toolkit.plan_rows``; the dimension is the entity) and one
recommendation each (owner role, quantified target, due dates, KPI, the alert rule).

The rule (``milestones_days`` = T+7/30/60/90 by default): a dimension at **alert** gets a first
step at the first milestone, its playbook at the second and a target check at the last, the
target being its figure back within the **red line**; one on **watch** gets its playbook at the
third milestone and the check at the last, the target being back within the **watch line**.
Dimensions that are ok or not measurable get nothing.  Alerts come first, then watches, each in
the cards' order.  Due dates count from the run's as-of (``toolkit.due_date``)."""

from __future__ import annotations

import datetime as dt

import numpy as np
import pandas as pd

from crmlens.analyses.base import Recommendation
from crmlens.analyses.portfolio_review.cards import Card, status
from crmlens.analyses.portfolio_review.config import PortfolioReviewConfig
from crmlens.analyses.toolkit import OPEN, Action, due_dates, plan_rows

LEVELS = ("alert", "watch")  # plan order: alerts first
STEPS = {  # level → (step, position in milestones_days)
    "alert": (("first_step", 0), ("playbook", 1), ("check", 3)),
    "watch": (("playbook", 2), ("check", 3)),
}
CHECK = "action.pr.target_check"  # one code for every dimension's check: its own row each
FORMAT = {"ratio": "pct"}  # the red-line figure's unit → how its sentence formats it


def action_code(dimension: str, step: str) -> str:
    return CHECK if step == "check" else f"action.pr.{dimension}_{step}"


def planned(cards: list[Card], cfg: PortfolioReviewConfig) -> list[tuple[Card, str]]:
    """The cards that get a plan with their level, alerts first (cards' order within)."""
    levels = [(card, status(card, cfg)) for card in cards]
    return [(card, level) for want in LEVELS for card, level in levels if level == want]


def action_plan(cards: list[Card], cfg: PortfolioReviewConfig, as_of: dt.date) -> pd.DataFrame:
    """One row per (dimension, step) in priority order: owner role, action, due date, the
    figure now and its target."""
    todo = planned(cards, cfg)
    actions = []
    for i, (card, level) in enumerate(todo):
        rows = np.arange(len(todo)) == i
        for step, milestone in STEPS[level]:
            actions.append(Action(action_code(card.dimension, step), rows, milestone))
    columns = ["priority_rank", "dimension", "owner_role", "action", "detail", "due_date"]
    columns += ["milestone_days", "status", "level", "value", "target_value"]
    if not actions:
        return pd.DataFrame({c: pd.Series(dtype="object") for c in columns})
    rows = plan_rows(actions)
    days = np.asarray(cfg.milestones_days, dtype="int64")
    lines = [cfg.red_line(card.dimension) for card, _ in todo]
    targets = [
        line.alert if level == "alert" else line.watch for line, (_, level) in zip(lines, todo)
    ]
    idx = rows.entity
    frame = {
        "priority_rank": idx + 1,
        "dimension": [todo[i][0].dimension for i in idx],
        "owner_role": [cfg.owner_role(todo[i][0].dimension) for i in idx],
        "action": np.asarray(rows.codes, dtype=object)[rows.action],
        "detail": np.full(len(idx), "", dtype=object),
        "due_date": np.asarray(due_dates(as_of, days), dtype=object)[rows.milestone],
        "milestone_days": days[rows.milestone],
        "status": np.full(len(idx), OPEN, dtype=object),
        "level": [todo[i][1] for i in idx],
        "value": [card_value(todo[i][0], cfg) for i in idx],
        "target_value": [targets[i] for i in idx],
    }
    return pd.DataFrame(frame)[columns]


def card_value(card: Card, cfg: PortfolioReviewConfig) -> float:
    return float(card.value(cfg.red_line(card.dimension).metric))


def recommendations(
    cards: list[Card], cfg: PortfolioReviewConfig, plan: pd.DataFrame, rules: dict[str, dict]
) -> tuple[Recommendation, ...]:
    """One recommendation per planned dimension; its dates and target are the plan rows' (one
    number, one place)."""
    out = []
    for card, level in planned(cards, cfg):
        line = cfg.red_line(card.dimension)
        mine = plan[plan["dimension"] == card.dimension]
        steps = {action_code(card.dimension, step): step for step, _ in STEPS[level]}
        rows = mine[["action", "due_date", "milestone_days"]].itertuples(index=False)
        due = {steps[a]: (str(d), int(n)) for a, d, n in rows}
        rule = rule_for(line.metric, rules)
        unit = card.metrics[line.metric].unit
        target = float(mine["target_value"].iloc[0])
        params = {
            "dimension": card.dimension,
            "owner": cfg.owner_role(card.dimension),
            "metric": line.metric,
            "value": card_value(card, cfg),
            "target": target,
            "direction": "to_below" if line.worse == "above" else "to_at_least",
            "playbook": action_code(card.dimension, "playbook"),
            "playbook_due": due["playbook"][0],
            "playbook_days": due["playbook"][1],
            "check_due": due["check"][0],
            "check_days": due["check"][1],
            "rule": rule,
        }
        if level == "alert":
            params |= {
                "first_step": action_code(card.dimension, "first_step"),
                "first_due": due["first_step"][0],
                "first_days": due["first_step"][1],
            }
        op = "<" if line.worse == "above" else ">="
        kpi = {
            "kpi": line.metric,
            "target": target,
            "op": op,
            "due": due["check"][0],
            "rule": rule,
            "trigger": {"metric": line.metric, "op": ">" if op == "<" else "<", "value": target},
        }
        code = f"rec.pr.{level}_{FORMAT.get(unit, 'num')}"
        out.append(Recommendation(code, params, kpi))
    return tuple(out)


def rule_for(metric: str, rules: dict[str, dict]) -> str | None:
    """The default alert rule (``rules.yaml``) watching the card's figure, if any."""
    return next((rid for rid, rule in rules.items() if rule.get("metric") == metric), None)
