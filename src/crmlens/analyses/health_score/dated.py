"""Per-account inputs from the dated tables of model v2, as of any date (the score's as-of date,
or a past date for the back-test), on the engine: cases and complaints over the support window,
the mean NPS answer over the NPS window, and won revenue in the trailing and previous windows.
A table the data does not have, or one with no row dated on or before that date (it was not kept
yet: a past score cannot read it), yields no column — its component is unmeasurable; an account
with no row in a present table gets 0 cases / 0 revenue (known zeros) and no NPS (missing)."""

from __future__ import annotations

import datetime as dt

import ibis
import pandas as pd

from crmlens.analyses.engine import as_bool, to_frame
from crmlens.analyses.health_score.config import HealthScoreConfig
from crmlens.analyses.spec import RunContext
from crmlens.schema.contracts import CASES, NPS_RESPONSES, OPPORTUNITIES
from crmlens.schema.typed import read_table

SUPPORT_INPUTS = ("cases_window", "complaints_window")
NPS_INPUTS = ("nps_mean",)
TREND_INPUTS = ("revenue_t12", "revenue_p12")


def _has(ctx: RunContext, table, columns: tuple[str, ...]) -> bool:
    if not ctx.data.has_table(table.name):
        return False
    return all(c in ctx.data.table(table.name).columns for c in columns)


def _day(d: dt.date):
    return ibis.literal(d, type="date")


def _read_kept(ctx: RunContext, table, columns: tuple[str, ...], date_column: str, as_of: dt.date):
    """The table and its date column as a date; None when the data lacks the table or one of
    ``columns``, or when no row is dated on or before ``as_of``."""
    if not _has(ctx, table, columns):
        return None
    t = read_table(ctx.data, table)
    day = t[date_column].cast("date")
    if not int(t.filter(day <= _day(as_of)).count().execute()):
        return None
    return t, day


def _support(ctx: RunContext, cfg: HealthScoreConfig, as_of: dt.date) -> pd.DataFrame | None:
    read = _read_kept(ctx, CASES, ("account_id", "created_date", "type"), "created_date", as_of)
    if read is None:
        return None
    c, day = read
    start = _day(as_of - dt.timedelta(days=cfg.support_window_days))
    c = c.filter(c.account_id.notnull() & (day > start) & (day <= _day(as_of)))
    kind = c.type.lower()
    complaint = ibis.literal(False)
    for needle in cfg.complaint_types:
        complaint = complaint | kind.contains(needle.lower()).fill_null(False)
    agg = c.group_by("account_id").aggregate(
        cases_window=c.count(), complaints_window=complaint.cast("int64").sum()
    )
    return to_frame(agg).assign(_support=True)


def _nps(ctx: RunContext, cfg: HealthScoreConfig, as_of: dt.date) -> pd.DataFrame | None:
    columns = ("account_id", "response_date", "score")
    read = _read_kept(ctx, NPS_RESPONSES, columns, "response_date", as_of)
    if read is None:
        return None
    n, day = read
    start = _day(as_of - dt.timedelta(days=cfg.nps_window_days))
    valid = n.score.between(0, 10)
    n = n.filter(n.account_id.notnull() & (day > start) & (day <= _day(as_of)) & valid)
    agg = n.group_by("account_id").aggregate(nps_mean=n.score.cast("float64").mean())
    return to_frame(agg)


def _trend(ctx: RunContext, cfg: HealthScoreConfig, as_of: dt.date) -> pd.DataFrame | None:
    columns = ("account_id", "amount", "is_won", "close_date")
    read = _read_kept(ctx, OPPORTUNITIES, columns, "close_date", as_of)
    if read is None:
        return None
    o, day = read
    window = dt.timedelta(days=cfg.trend_window_days)
    t12 = (day > _day(as_of - window)) & (day <= _day(as_of))
    p12 = (day > _day(as_of - 2 * window)) & (day <= _day(as_of - window))
    o = o.filter(as_bool(o.is_won) & o.account_id.notnull())
    amount = o.amount.fill_null(0.0)
    agg = o.group_by("account_id").aggregate(
        revenue_t12=ibis.ifelse(t12, amount, 0.0).sum(),
        revenue_p12=ibis.ifelse(p12, amount, 0.0).sum(),
    )
    return to_frame(agg).assign(_trend=True)


READERS = {"support_load": _support, "nps": _nps, "revenue_trend": _trend}


def dated_inputs(ctx: RunContext, cfg: HealthScoreConfig, as_of: dt.date) -> pd.DataFrame | None:
    """One row per account id seen in the dated tables; None when no dated table is present."""
    parts = [
        part
        for component, reader in READERS.items()
        if cfg.uses(component) and (part := reader(ctx, cfg, as_of)) is not None
    ]
    if not parts:
        return None
    out = parts[0]
    for p in parts[1:]:
        out = out.merge(p, on="account_id", how="outer")
    return out


def attach(accounts: pd.DataFrame, dated: pd.DataFrame | None) -> pd.DataFrame:
    """The accounts with the dated inputs joined; known zeros filled for present tables."""
    if dated is None:
        return accounts
    out = accounts.merge(dated, on="account_id", how="left")
    if "_support" in out.columns:
        out[list(SUPPORT_INPUTS)] = out[list(SUPPORT_INPUTS)].fillna(0)
        out = out.drop(columns="_support")
    if "_trend" in out.columns:
        out[list(TREND_INPUTS)] = out[list(TREND_INPUTS)].fillna(0.0)
        out = out.drop(columns="_trend")
    return out
