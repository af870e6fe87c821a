"""Step 1 of segmentation, on the engine: the per-account feature table (``expressions``).
Python receives one row per account (a dozen columns) in account-id order, and what was
available: the optional account columns present, whether cases and contacts exist.  The account
table is optional: without it the customers are the accounts of the won deals (named by id, no
prospects, no firmographics)."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import numpy as np
import pandas as pd

from crmlens.analyses.engine import to_frame
from crmlens.analyses.segmentation import expressions
from crmlens.analyses.segmentation.columns import (
    CHURN_RISK_LEVELS,
    OPTIONAL_ACCOUNT_COLUMNS,
)
from crmlens.analyses.spec import RunContext
from crmlens.schema.contracts import ACCOUNTS, CASES, CONTACTS, OPPORTUNITIES
from crmlens.schema.typed import read_table


@dataclass(frozen=True)
class Features:
    table: pd.DataFrame  # one row per account, account-id order
    account_columns: tuple[str, ...]  # optional account columns present in the source
    has_cases: bool
    has_contacts: bool
    orphan_won: int  # won deals of accounts the account table does not have
    undated_won: int  # won deals without a close date (cannot be placed in time: left out)
    window_start: dt.date


def read_features(ctx: RunContext) -> Features:
    cfg = ctx.section
    opps = read_table(ctx.data, OPPORTUNITIES)
    window_start = ctx.as_of - dt.timedelta(days=cfg.window_days)
    outcome_start = ctx.as_of - dt.timedelta(days=cfg.outcome_days)
    won = expressions.won_per_account(opps, ctx.as_of, window_start, outcome_start)
    extra = []
    has_cases = _has_columns(ctx, CASES.name, ("account_id", "created_date"))
    if has_cases:
        case_start = ctx.as_of - dt.timedelta(days=cfg.case_window_days)
        cases = read_table(ctx.data, CASES)
        extra.append(expressions.cases_per_account(cases, ctx.as_of, case_start))
    has_contacts = _has_columns(ctx, CONTACTS.name, ("account_id", "is_deleted"))
    if has_contacts:
        extra.append(expressions.contacts_per_account(read_table(ctx.data, CONTACTS)))
    if _has_columns(ctx, ACCOUNTS.name, ("account_id",)):
        accounts = read_table(ctx.data, ACCOUNTS)
        present = [c for c in ("account_name", *OPTIONAL_ACCOUNT_COLUMNS) if c in accounts.columns]
        orphan = expressions.orphan_won(won, accounts)
    else:  # no account table: the customers are the accounts of the won deals, named by id
        accounts, present, orphan = won.select("account_id"), [], 0
    expr = expressions.feature_table(accounts, won, extra, present)
    table = to_frame(expr.order_by("account_id"))
    if "account_name" not in table.columns:
        table["account_name"] = table["account_id"]
    present = [c for c in present if c != "account_name"]
    undated = expressions.undated_won(opps)
    ctx.laps("engine.features")
    return Features(
        _typed(table, ctx.as_of),
        tuple(present),
        has_cases,
        has_contacts,
        orphan,
        undated,
        window_start,
    )


def _has_columns(ctx: RunContext, table: str, columns: tuple[str, ...]) -> bool:
    return ctx.data.has_table(table) and all(c in ctx.data.table(table).columns for c in columns)


def _typed(table: pd.DataFrame, as_of: dt.date) -> pd.DataFrame:
    """Counts as numbers (0 where an account has none), the recency in days (NULL without a won
    deal), the churn level as a number."""
    out = table.copy()
    counts = ("won_ever", "frequency", "monetary", "amount_null", "cases", "contacts")
    for column in (*counts, "recent_won", "recent_revenue"):
        if column in out.columns:
            out[column] = pd.to_numeric(out[column]).fillna(0).astype("float64")
    last = pd.to_datetime(out["last_won"])
    out["recency_days"] = (pd.Timestamp(as_of) - last).dt.days.astype("float64")
    if "churn_risk_level" in out.columns:
        levels = out["churn_risk_level"].map(CHURN_RISK_LEVELS)
        out["churn_risk"] = pd.to_numeric(levels).astype("float64")
    out["customer"] = (out["won_ever"] > 0).to_numpy()
    if "owner_accounts" in out.columns:
        out["owner_accounts"] = pd.to_numeric(out["owner_accounts"]).astype("float64")
    out["monetary"] = np.round(out["monetary"], 2)
    return out
