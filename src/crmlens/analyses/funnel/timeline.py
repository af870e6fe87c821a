"""Stage timelines from the history rows: segments (a run of rows in one stage), where each deal
stood on any date, and the funnel as it is.

Rules (documented in the method notes): consecutive rows in the same stage are one segment; a
deal *reached* an open stage when it was ever in that stage or a later one, or won (a skipped
stage counts as passed); time in a stage runs from its segment's first row to the next segment
(an open deal's last segment runs to the end date); a segment below the previous open one is a
regression; an open segment after a closing one is a reopening.  Deals without a history row
are left out of conversion and time in stage (counted)."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import numpy as np
import pandas as pd

from crmlens.analyses.funnel.inputs import LOST, WON


def segments(history: pd.DataFrame) -> pd.DataFrame:
    """One row per run of rows in one stage: deal, start, order, probability (the
    rep's probability at the run's last row), next_start, previous_order.  Also sets
    ``history["since"]``, the start of the run each row belongs to.  Arrays only: the rows come
    sorted by deal and time."""
    deal = history["deal"].to_numpy()
    order = history["order"].to_numpy()
    ts = history["ts"].to_numpy()
    new = np.ones(len(history), dtype=bool)
    new[1:] = (deal[1:] != deal[:-1]) | (order[1:] != order[:-1])
    first = np.flatnonzero(new)
    last = np.r_[first[1:] - 1, len(history) - 1] if len(first) else first
    history["since"] = ts[first][np.cumsum(new) - 1] if len(first) else ts
    seg_deal = deal[first]
    start = ts[first]
    same_next = np.r_[seg_deal[1:] == seg_deal[:-1], False]
    same_prev = np.r_[False, seg_deal[1:] == seg_deal[:-1]]
    next_start = np.where(same_next, np.r_[start[1:], start[-1:]], np.datetime64("NaT"))
    seg_order = order[first]
    previous = np.r_[np.nan, seg_order[:-1]] if len(first) else np.zeros(0)
    return pd.DataFrame(
        {
            "deal": seg_deal,
            "start": start,
            "order": seg_order,
            "probability": history["probability"].to_numpy()[last],
            "next_start": pd.to_datetime(next_start),
            "previous_order": np.where(same_prev, previous, np.nan),
        }
    )


@dataclass(frozen=True)
class Funnel:
    conversion: pd.DataFrame  # per open stage: reached, still there, converted, rate
    time_in_stage: pd.DataFrame  # per open stage: segments, median, P75, P90 days
    drops: pd.DataFrame  # per open stage: lost deals whose last open stage it was
    counts: dict  # regressions, reopenings, deals without history


def funnel(
    deals: pd.DataFrame, seg: pd.DataFrame, stages: list[str], end: dt.date
) -> tuple[Funnel, pd.DataFrame]:
    """The funnel as it is at ``end`` and the per-deal summary (current stage, time in it)."""
    n_stages = len(stages)
    n = len(deals)
    seg_deal = seg["deal"].to_numpy()
    seg_order = seg["order"].to_numpy()
    is_open = (seg_order >= 0) & (seg_order < WON)
    reach = np.full(n, -1, dtype="int64")
    np.maximum.at(reach, seg_deal[is_open], seg_order[is_open])
    is_last = np.r_[seg_deal[1:] != seg_deal[:-1], True] if len(seg) else np.zeros(0, bool)
    last_order = np.full(n, np.nan)
    last_order[seg_deal[is_last]] = seg_order[is_last]
    last_start = np.full(n, np.datetime64("NaT"), dtype="datetime64[ns]")
    last_start[seg_deal[is_last]] = seg["start"].to_numpy()[is_last]
    with_history = np.zeros(n, dtype=bool)
    with_history[seg_deal] = True
    summary = pd.DataFrame(
        index=pd.Index(deals["opportunity_id"].to_numpy(), name="opportunity_id")
    )
    summary["has_history"] = with_history
    summary["max_order"] = reach
    summary["won"] = deals["won_by_end"].to_numpy()
    summary["open_at_end"] = ~deals["closed_by_end"].to_numpy()
    is_open_last = (last_order >= 0) & (last_order < WON)
    summary["current_order"] = np.where(
        summary["open_at_end"] & is_open_last, np.nan_to_num(last_order, nan=-1), -1
    ).astype("int64")
    end_ts = pd.Timestamp(end) + pd.Timedelta(days=1)
    summary["current_since"] = last_start
    summary["days_in_stage"] = (end_ts - summary["current_since"]).dt.total_seconds() / 86400

    rows = []
    h = summary[summary["has_history"]]
    reached_by = [((h["max_order"] >= k) | h["won"]).to_numpy() for k in range(n_stages)]
    for k in range(n_stages):
        reached = reached_by[k]
        still = (h["open_at_end"] & (h["current_order"] == k)).to_numpy()
        nxt = reached_by[k + 1] if k + 1 < n_stages else h["won"].to_numpy()
        resolved = int(reached.sum() - (reached & still).sum())
        converted = int((nxt & reached & ~still).sum())
        rows.append(
            {
                "stage": stages[k],
                "order": k,
                "reached": int(reached.sum()),
                "still_open": int((reached & still).sum()),
                "converted": converted,
                "conversion": converted / resolved if resolved else np.nan,
            }
        )
    conversion = pd.DataFrame(rows)

    open_deal = seg_deal[is_open]
    start = seg["start"].to_numpy()[is_open]
    stop = pd.Series(seg["next_start"].to_numpy()[is_open])
    is_last_open = stop.isna().to_numpy() & summary["open_at_end"].to_numpy()[open_deal]
    stop = stop.where(~is_last_open, end_ts)
    days = ((stop.to_numpy() - start) / np.timedelta64(1, "s")) / 86400
    known = ~np.isnan(days)
    days, open_order = days[known], seg_order[is_open][known]
    tis = []
    for k in range(n_stages):
        d = days[open_order == k]
        q = np.percentile(d, [50, 75, 90]) if len(d) else [np.nan] * 3
        tis.append(
            {
                "stage": stages[k],
                "order": k,
                "segments": len(d),
                "median_days": q[0],
                "p75_days": q[1],
                "p90_days": q[2],
            }
        )
    time_in_stage = pd.DataFrame(tis)

    lost = deals["closed_by_end"].to_numpy() & ~deals["won_by_end"].to_numpy()
    last_open = np.r_[open_deal[1:] != open_deal[:-1], True] if len(open_deal) else is_open[:0]
    drop_deal, drop_order = open_deal[last_open], seg_order[is_open][last_open]
    dropped = pd.Series(drop_order[lost[drop_deal]]).value_counts()
    drops = pd.DataFrame(
        {
            "stage": stages,
            "order": range(n_stages),
            "lost": [int(dropped.get(k, 0)) for k in range(n_stages)],
        }
    )
    drops["lost_share"] = drops["lost"] / max(int(drops["lost"].sum()), 1)

    previous = seg["previous_order"].to_numpy()[is_open]
    regress = (previous >= 0) & (previous < WON) & (seg_order[is_open] < previous)
    reopen = seg["previous_order"].isin([WON, LOST]) & (seg["order"] >= 0) & (seg["order"] < WON)
    counts = {
        "regressions": int(regress.sum()),
        "deals_regressed": len(np.unique(open_deal[regress])),
        "reopenings": int(reopen.sum()),
        "deals_without_history": int((~with_history).sum()),
    }
    return Funnel(conversion, time_in_stage, drops, counts), summary.reset_index()


def state_at(deals: pd.DataFrame, rows: pd.DataFrame, day: pd.Timestamp) -> pd.DataFrame:
    """Deals open on ``day`` (created by then, not closed by then, last history row by then in an
    open stage) with what was known that day: stage, days in it, age, and the rep's probability
    and the amount on that row.  ``rows`` are history rows of ``deals`` (``segments`` set their
    ``since``), sorted by deal and time; a subset of the deals' rows limits the result to them."""
    open_then = (deals["created_date"] <= day) & ~(
        deals["is_closed"] & (deals["close_date"] <= day)
    )
    cut = day + pd.Timedelta(days=1)
    deal = rows["deal"].to_numpy()
    before = rows["ts"].to_numpy() < cut.to_datetime64()
    later_same = np.r_[(deal[1:] == deal[:-1]) & before[1:], False]
    last = before & ~later_same  # the deal's last row before the cut
    order = rows["order"].to_numpy()
    pick = np.flatnonzero(
        last & open_then.to_numpy(dtype=bool)[deal] & (order >= 0) & (order < WON)
    )
    picked = deal[pick]
    since = pd.to_datetime(rows["since"].to_numpy()[pick])
    created = pd.to_datetime(deals["created_date"].to_numpy()[picked])
    return pd.DataFrame(
        {
            "deal": picked,
            "opportunity_id": deals["opportunity_id"].to_numpy()[picked],
            "order": order[pick],
            "probability": rows["probability"].to_numpy()[pick],
            "amount_then": rows["amount"].to_numpy()[pick],
            "days_in_stage": (cut - since).total_seconds().to_numpy() / 86400,
            "age_days": (cut - created).total_seconds().to_numpy() / 86400,
            "snapshot": day,
        }
    )
