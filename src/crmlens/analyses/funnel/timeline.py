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
    """One row per run of rows in one stage: opportunity_id, start, order, probability (the
    rep's probability at the run's last row), position."""
    h = history
    new = (h["opportunity_id"] != h["opportunity_id"].shift()) | (h["order"] != h["order"].shift())
    run = new.cumsum()
    seg = h.groupby(run, sort=False).agg(
        opportunity_id=("opportunity_id", "first"),
        start=("ts", "first"),
        order=("order", "first"),
        probability=("probability", "last"),
    )
    seg["next_start"] = seg.groupby("opportunity_id")["start"].shift(-1)
    seg["previous_order"] = seg.groupby("opportunity_id")["order"].shift(1)
    return seg.reset_index(drop=True)


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
    open_seg = seg[(seg["order"] >= 0) & (seg["order"] < WON)]
    per = deals.set_index("opportunity_id")
    reach = open_seg.groupby("opportunity_id")["order"].max()
    last = seg.groupby("opportunity_id").tail(1).set_index("opportunity_id")
    with_history = per.index.isin(seg["opportunity_id"].unique())
    summary = pd.DataFrame(index=per.index)
    summary["has_history"] = with_history
    summary["max_order"] = reach.reindex(per.index).fillna(-1).astype("int64")
    summary["won"] = per["won_by_end"].to_numpy()
    summary["open_at_end"] = ~per["closed_by_end"].to_numpy()
    last_order = last["order"].reindex(per.index)
    is_open_last = (last_order >= 0) & (last_order < WON)
    summary["current_order"] = np.where(
        summary["open_at_end"] & is_open_last, last_order.fillna(-1), -1
    ).astype("int64")
    end_ts = pd.Timestamp(end) + pd.Timedelta(days=1)
    summary["current_since"] = last["start"].reindex(per.index)
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

    dur = open_seg.copy()
    stop = dur["next_start"]
    is_last_open = stop.isna() & dur["opportunity_id"].map(summary["open_at_end"]).astype(bool)
    stop = stop.where(~is_last_open, end_ts)
    dur["days"] = (stop - dur["start"]).dt.total_seconds() / 86400
    dur = dur[dur["days"].notna()]
    tis = []
    for k in range(n_stages):
        d = dur.loc[dur["order"] == k, "days"].to_numpy()
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

    lost = per["closed_by_end"].to_numpy() & ~per["won_by_end"].to_numpy()
    lost_ids = per.index[lost & with_history]
    last_open = open_seg.groupby("opportunity_id")["order"].last()
    dropped = last_open.reindex(lost_ids).dropna().astype("int64").value_counts()
    drops = pd.DataFrame(
        {
            "stage": stages,
            "order": range(n_stages),
            "lost": [int(dropped.get(k, 0)) for k in range(n_stages)],
        }
    )
    drops["lost_share"] = drops["lost"] / max(int(drops["lost"].sum()), 1)

    regress = (
        (open_seg["previous_order"] >= 0)
        & (open_seg["previous_order"] < WON)
        & (open_seg["order"] < open_seg["previous_order"])
    )
    reopen = seg["previous_order"].isin([WON, LOST]) & (seg["order"] >= 0) & (seg["order"] < WON)
    counts = {
        "regressions": int(regress.sum()),
        "deals_regressed": int(open_seg.loc[regress, "opportunity_id"].nunique()),
        "reopenings": int(reopen.sum()),
        "deals_without_history": int((~with_history).sum()),
    }
    return Funnel(conversion, time_in_stage, drops, counts), summary.reset_index()


def state_at(deals: pd.DataFrame, seg: pd.DataFrame, day: pd.Timestamp) -> pd.DataFrame:
    """Deals open on ``day`` (created by then, not closed by then, last segment an open stage)
    with their stage, days in it, age and the rep's probability then."""
    created = deals["created_date"] <= day
    not_closed = ~(deals["is_closed"] & (deals["close_date"] <= day))
    pool = deals.loc[created & not_closed, ["opportunity_id", "created_date"]]
    cut = day + pd.Timedelta(days=1)
    s = seg[seg["start"] < cut]
    last = s.groupby("opportunity_id", sort=False).tail(1).set_index("opportunity_id")
    state = pool.join(last[["start", "order", "probability"]], on="opportunity_id", how="inner")
    state = state[(state["order"] >= 0) & (state["order"] < WON)]
    state["days_in_stage"] = (cut - state["start"]).dt.total_seconds() / 86400
    state["age_days"] = (cut - state["created_date"]).dt.total_seconds() / 86400
    state["snapshot"] = day
    return state.drop(columns=["start", "created_date"]).reset_index(drop=True)
