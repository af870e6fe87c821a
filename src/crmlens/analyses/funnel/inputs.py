"""The engine stage: opportunities created on or before the end date, their stage-history rows
dated on or before it (nothing later is ever read: no leakage from the future), and the account
and owner labels.  The per-opportunity timelines are then processed in Python (numpy)."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import ibis
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
    history: pd.DataFrame  # opportunity_id, ts, order, probability — sorted by deal then time
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
    opp = opp.filter(opp.created_date.cast("date") <= _day(end))
    deals = to_frame(
        opp.select(*cols).mutate(is_won=as_bool(opp.is_won), is_closed=as_bool(opp.is_closed))
    )
    if not len(deals):
        raise AnalysisError("error.funnel_no_deals", table=OPPORTUNITIES.name, date=end)
    deals = deals.drop_duplicates("opportunity_id").sort_values("opportunity_id")
    deals = _dates(deals, ("created_date", "close_date")).reset_index(drop=True)
    # a deal closed after the end date was open then
    closed = deals["is_closed"] & (deals["close_date"] <= pd.Timestamp(end))
    deals["closed_by_end"] = closed.fillna(False).to_numpy(dtype=bool)
    deals["won_by_end"] = (deals["closed_by_end"] & deals["is_won"]).to_numpy(dtype=bool)
    deals = _labels(ctx, deals)
    hist, unmapped, orphans, after = _history(ctx, cfg, deals, end)
    return Inputs(deals, hist, unmapped, orphans, after)


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
        labels = to_frame(acc.select(*cols)).drop_duplicates("account_id")
        deals = deals.merge(labels, on="account_id", how="left")
    if ctx.data.has_table(USERS.name) and "owner_id" in deals.columns:
        users = read_table(ctx.data, USERS)
        if all(c in users.columns for c in USER_COLUMNS):
            names = to_frame(users.select(*USER_COLUMNS)).drop_duplicates("owner_id")
            deals = deals.merge(
                names.rename(columns={"name": "owner_name"}), on="owner_id", how="left"
            )
    return deals


def _history(ctx: RunContext, cfg: FunnelConfig, deals: pd.DataFrame, end: dt.date):
    if not ctx.data.has_table(OPPORTUNITY_HISTORY.name):
        empty = pd.DataFrame({"opportunity_id": [], "ts": [], "order": [], "probability": []})
        return empty, {}, 0, 0
    h = read_table(ctx.data, OPPORTUNITY_HISTORY)
    end_ts = ibis.literal(pd.Timestamp(end) + pd.Timedelta(days=1), type="timestamp")
    ts = h.created_date.cast("timestamp")
    h = h.filter(h.opportunity_id.notnull() & (ts < end_ts))
    order = stage_order(cfg)
    h = h.mutate(
        ts=h.created_date.cast("timestamp"),
        order=h.stage_name.substitute(order, else_=UNMAPPED).cast("int64"),
        probability=(
            h.probability.cast("float64") if "probability" in h.columns else ibis.null("float64")
        ),
    )
    opp = read_table(ctx.data, OPPORTUNITIES)
    orphans = int(h.anti_join(opp, "opportunity_id").count().execute())
    known = deals[["opportunity_id", "close_date", "closed_by_end"]]
    mine = h.semi_join(opp.filter(opp.created_date.cast("date") <= _day(end)), "opportunity_id")
    odd = mine.filter(mine.order == UNMAPPED)
    unmapped = to_frame(
        odd.group_by(stage=odd.stage_name.fill_null("")).aggregate(rows=odd.count())
    )
    rows = to_frame(
        mine.filter(mine.order != UNMAPPED)
        .select("opportunity_id", "ts", "order", "probability")
        .order_by(["opportunity_id", "ts", "order"])  # same-time rows: by stage, on any engine
    )
    rows["ts"] = pd.to_datetime(rows["ts"]).dt.tz_localize(None)
    at = pd.Index(known["opportunity_id"]).get_indexer(rows["opportunity_id"])
    close = known["close_date"].to_numpy()[at]
    closed = known["closed_by_end"].to_numpy(dtype=bool)[at]
    after = int(((rows["ts"].dt.normalize().to_numpy() > close) & closed).sum())
    keep = ["opportunity_id", "ts", "order", "probability"]
    unmapped = dict(zip(unmapped["stage"].astype(str), unmapped["rows"].astype(int)))
    return rows[keep], unmapped, orphans, after
