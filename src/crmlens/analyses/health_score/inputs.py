"""The engine stage: one row per account with the score's inputs (NaN/±Inf read as NULL).

Python receives the per-account table it scores (every account gets a score, a tier and actions)
and nothing else; an input column absent from the data is listed, never invented."""

from __future__ import annotations

from dataclasses import dataclass

import ibis
import pandas as pd

from crmlens.analyses.engine import to_frame
from crmlens.analyses.health_score.columns import ACCOUNT_COLUMNS, INPUT_COLUMNS, OWNER_COLUMNS
from crmlens.analyses.spec import RunContext
from crmlens.errors import AnalysisError
from crmlens.schema.contracts import ACCOUNTS
from crmlens.schema.typed import read_table


@dataclass(frozen=True)
class Inputs:
    table: pd.DataFrame  # one row per account, sorted by account_id
    absent: tuple[str, ...]  # input columns the data does not have
    size_column: str  # the size label actually scored


def read_inputs(ctx: RunContext) -> Inputs:
    cfg = ctx.section
    acc = read_table(ctx.data, ACCOUNTS)
    wanted = [*ACCOUNT_COLUMNS, *INPUT_COLUMNS, *OWNER_COLUMNS]
    if cfg.profiles.column:
        wanted.append(cfg.profiles.column)
    present = [c for c in dict.fromkeys(wanted) if c in acc.columns]
    absent = tuple(c for c in INPUT_COLUMNS if c not in acc.columns)
    if cfg.profiles.column and cfg.profiles.column not in acc.columns:
        raise AnalysisError(
            "error.health_profile_column", column=cfg.profiles.column, table=ACCOUNTS.name
        )
    expr = acc.select(*present).order_by(ibis.asc("account_id"))
    table = to_frame(expr)
    if not len(table):
        raise AnalysisError("error.health_no_accounts", table=ACCOUNTS.name)
    size_column = cfg.size_column if cfg.size_column in table.columns else "company_size_category"
    return Inputs(table, absent, size_column)
