"""The engine stage: opportunities created on or before the end date, their stage-history rows
dated on or before it (nothing later is ever read: no leakage from the future), and the account
and owner labels.  Every read is ordered on all the columns it keeps (NULLs placed explicitly), so
duplicates resolve the same way on DuckDB, Postgres and Spark.  History rows carry ``deal``, the
row of their opportunity in ``deals`` (the engine ranks the ids, so no text crosses per row): the
timelines are then built on integer codes (numpy)."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import ibis
import numpy as np
import pandas as pd

from crmlens.analyses.engine import as_bool, to_frame
from crmlens.analyses.funnel.columns import (
    ACCOUNT_COLUMNS,
    OPPORTUNITY_COLUMNS,
    OPTIONAL_OPPORTUNITY_COLUMNS,
    USER_COLUMNS,
)
from crmlens.analyses.funnel.config import FunnelConfig
from crmlens.analyses.spec import RunContext
from crmlens.errors import AnalysisError
from crmlens.schema.contracts import ACCOUNTS, OPPORTUNITIES, OPPORTUNITY_HISTORY, USERS
from crmlens.schema.typed import read_table

WON, LOST, UNMAPPED = 100, -1, -2  # stage orders of closing and unknown stages


@dataclass(frozen=True)
class Inputs:
    deals: pd.DataFrame  # one row per opportunity created by the end date
    history: pd.DataFrame  # deal, opportunity_id, ts, order, probability, amount — by deal, time
    amount_history: bool  # the history carries the amount at the time (a dated feature)
    rep_history: bool  # the history carries the rep's probability at the time (a dated feature)
    unmapped_stages: dict[str, int]  # stage names outside the stage map → rows
    orphan_history: int  # history rows of opportunities the table does not have
    after_close: int  # history rows dated after their deal's close date


def stage_order(cfg: FunnelConfig) -> dict[str, int]:
    order = {s: i for i, s in enumerate(cfg.open_stages)}
    order.update(dict.fromkeys(cfg.won_stages, WON))
    order.update(dict.fromkeys(cfg.lost_stages, LOST))
    return order


def _day(value: dt.date):
    return ibis.literal(value, type="date")


def read_inputs(ctx: RunContext, cfg: FunnelConfig, end: dt.date) -> Inputs:
    opp = read_table(ctx.data, OPPORTUNITIES)
    cols = [*OPPORTUNITY_COLUMNS, *(c for c in OPTIONAL_OPPORTUNITY_COLUMNS if c in opp.columns)]
    opp = _keyed(opp.filter(opp.created_date.cast("date") <= _day(end)))
    deals = to_frame(
        opp.select(*cols, KEY).mutate(is_won=as_bool(opp.is_won), is_closed=as_bool(opp.is_closed))
    )
    if not len(deals):
        raise AnalysisError("error.funnel_no_deals", table=OPPORTUNITIES.name, date=end)
    deals = _dates(_unique(deals, "opportunity_id"), ("created_date", "close_date"))
    # a deal closed after the end date was open then
    closed = deals["is_closed"] & (deals["close_date"] <= pd.Timestamp(end))
    deals["closed_by_end"] = closed.fillna(False).to_numpy(dtype=bool)
    deals["won_by_end"] = (deals["closed_by_end"] & deals["is_won"]).to_numpy(dtype=bool)
    deals = _labels(ctx, deals)
    hist, unmapped, orphans, after = _history(ctx, cfg, deals, opp, end)
    deals = deals.drop(columns=KEY)
    dated_amount, dated_rep = (bool(hist[c].notna().any()) for c in ("amount", "probability"))
    return Inputs(deals, hist, dated_amount, dated_rep, unmapped, orphans, after)


KEY = "deal_key"  # the engine's dense rank of the opportunity id: history rows carry it, not text


def _keyed(opp):
    return opp.mutate(**{KEY: ibis.dense_rank().over(order_by=opp.opportunity_id)})


def _unique(df: pd.DataFrame, key: str) -> pd.DataFrame:
    """One row per ``key``, sorted by it: of duplicate keys the row first in the text order of
    its columns is kept, whatever order the engine returned the rows in."""
    dup = df[key].duplicated(keep=False).to_numpy()
    if dup.any():
        cols = [key, *(c for c in df.columns if c != key)]
        first = df[dup].astype(str).sort_values(cols, kind="stable").index
        df = pd.concat([df[~dup], df.loc[first]]).drop_duplicates(key)
    return df.sort_values(key, kind="stable").reset_index(drop=True)


def _dates(df: pd.DataFrame, cols: tuple[str, ...]) -> pd.DataFrame:
    """Naive timestamps in microseconds whatever the source stored (a date column arrives in
    seconds, a timestamp in microseconds), so every source gives the same tables."""
    for c in cols:
        if c in df.columns:
            df[c] = pd.to_datetime(df[c]).dt.tz_localize(None).dt.as_unit("us")
        else:
            df[c] = pd.Series(pd.NaT, index=df.index, dtype="datetime64[us]")
    return df


def _labels(ctx: RunContext, deals: pd.DataFrame) -> pd.DataFrame:
    if ctx.data.has_table(ACCOUNTS.name):
        acc = read_table(ctx.data, ACCOUNTS)
        cols = [c for c in ACCOUNT_COLUMNS if c in acc.columns]
        labels = _unique(to_frame(acc.select(*cols)), "account_id")
        deals = deals.merge(labels, on="account_id", how="left")
    if ctx.data.has_table(USERS.name) and "owner_id" in deals.columns:
        users = read_table(ctx.data, USERS)
        if all(c in users.columns for c in USER_COLUMNS):
            names = _unique(to_frame(users.select(*USER_COLUMNS)), "owner_id")
            deals = deals.merge(
                names.rename(columns={"name": "owner_name"}), on="owner_id", how="left"
            )
    return deals


def _history(ctx: RunContext, cfg: FunnelConfig, deals: pd.DataFrame, opened, end: dt.date):
    """History rows of the deals (``opened``: the keyed opportunities created by the end date)
    as integer codes: ``deal`` is the row of the opportunity in ``deals``; sorted by deal, time,
    stage and the values."""
    keep = ["deal", "ts", "order", "probability", "amount"]
    if not ctx.data.has_table(OPPORTUNITY_HISTORY.name):
        empty = pd.DataFrame({c: pd.Series(dtype=_DTYPES[c]) for c in keep})
        return empty, {}, 0, 0
    h = read_table(ctx.data, OPPORTUNITY_HISTORY)
    end_ts = ibis.literal(pd.Timestamp(end) + pd.Timedelta(days=1), type="timestamp")
    ts = h.created_date.cast("timestamp")
    h = h.filter(h.opportunity_id.notnull() & (ts < end_ts))
    order = stage_order(cfg)
    h = h.mutate(
        ts=h.created_date.cast("timestamp"),
        order=h.stage_name.substitute(order, else_=UNMAPPED).cast("int64"),
        probability=_optional(h, "probability"),
        amount=_optional(h, "amount"),
    )
    opp = read_table(ctx.data, OPPORTUNITIES)
    orphans = int(h.anti_join(opp, "opportunity_id").count().execute())
    keys = opened.select("opportunity_id", KEY).distinct()
    mine = h.inner_join(keys, "opportunity_id")
    odd = mine.filter(mine.order == UNMAPPED)
    unmapped = to_frame(
        odd.group_by(stage=odd.stage_name.fill_null("")).aggregate(rows=odd.count())
    )
    rows = mine.filter(mine.order != UNMAPPED)
    # rows at the same time in the same stage are ordered by every value they carry, NULLs
    # first: the last row of a stay (its probability and amount) is the same on every engine
    ties = [c for name in ("probability", "amount") for c in _nulls_first(rows[name])]
    rows = to_frame(
        rows.select(KEY, "ts", "order", "probability", "amount").order_by(
            [KEY, "ts", "order", *ties]
        )
    )
    rows["ts"] = pd.to_datetime(rows["ts"]).dt.tz_localize(None)
    key = deals[KEY].to_numpy(dtype="int64")
    position = np.full(int(key.max()) + 1 if len(key) else 0, -1, dtype="int64")
    position[key] = np.arange(len(deals))
    rows["deal"] = position[rows.pop(KEY).to_numpy(dtype="int64")]
    if len(rows) and (np.diff(rows["deal"].to_numpy()) < 0).any():  # text orders differ
        rows = rows.iloc[np.argsort(rows["deal"].to_numpy(), kind="stable")]
    rows = rows.reset_index(drop=True)
    close = deals["close_date"].to_numpy()[rows["deal"].to_numpy()]
    closed = deals["closed_by_end"].to_numpy(dtype=bool)[rows["deal"].to_numpy()]
    after = int(((rows["ts"].dt.normalize().to_numpy() > close) & closed).sum())
    unmapped = dict(zip(unmapped["stage"].astype(str), unmapped["rows"].astype(int)))
    return rows[keep], unmapped, orphans, after


_DTYPES = {
    "deal": "int64",
    "ts": "datetime64[ns]",
    "order": "int64",
    "probability": "float64",
    "amount": "float64",
}


def _optional(h, column: str):
    return h[column].cast("float64") if column in h.columns else ibis.null("float64")


def _nulls_first(value) -> list:
    """Sort keys putting NULLs first on any engine (DuckDB and Postgres put them last)."""
    return [value.notnull(), value]
