"""Expected bookings = Σ amount × p(win) of the open deals expected to close in a quarter, with
an interval from simulated outcomes (each deal won independently with its probability; a fixed
seed), by quarter, owner and stage; realised bookings of the last four quarters for the trend."""

from __future__ import annotations

import datetime as dt

import numpy as np
import pandas as pd


def quarter_of(day: pd.Timestamp) -> pd.Period:
    return pd.Period(day, freq="Q")


def simulate(amount: np.ndarray, p: np.ndarray, runs: int, seed: int, level: float):
    """(expected, low, high): Σ amount·p and the central ``level`` interval of simulated sums."""
    expected = float((amount * p).sum())
    if not len(amount):
        return expected, 0.0, 0.0
    rng = np.random.default_rng(seed)
    totals = np.empty(runs)
    chunk = max(1, 2_000_000 // max(len(amount), 1))
    for start in range(0, runs, chunk):
        n = min(chunk, runs - start)
        wins = rng.random((n, len(amount))) < p
        totals[start : start + n] = wins @ amount
    tail = (1 - level) / 2
    low, high = np.quantile(totals, [tail, 1 - tail])
    return expected, float(low), float(high)


UNDATED = "undated"


def bookings(open_deals: pd.DataFrame, end: dt.date, runs: int, seed: int, level: float):
    """This quarter (from the end date) and next: expected bookings with their interval; deals
    without an expected close date in a row of their own (``undated``, in no quarter)."""
    this = quarter_of(pd.Timestamp(end))
    close = pd.to_datetime(open_deals["expected_close"])
    quarter = close.dt.to_period("Q")
    undated = close.isna().to_numpy()
    # a deal whose expected close has passed is counted in the current quarter; an undated
    # deal keeps no quarter (NaT)
    quarter = quarter.where((close >= pd.Timestamp(end)).to_numpy() | undated, this)
    amount = pd.to_numeric(open_deals["amount"], errors="coerce").fillna(0.0).to_numpy()
    p = open_deals["p_win"].to_numpy(dtype="float64")
    buckets = [(str(q), (quarter == q).to_numpy()) for q in (this, this + 1)]
    if undated.any():
        buckets.append((UNDATED, undated))
    rows = []
    for i, (name, mask) in enumerate(buckets):
        expected, low, high = simulate(amount[mask], p[mask], runs, seed + i, level)
        rows.append(
            {
                "quarter": name,
                "open_deals": int(mask.sum()),
                "pipeline": float(amount[mask].sum()),
                "expected": expected,
                "interval_low": low,
                "interval_high": high,
            }
        )
    return pd.DataFrame(rows), quarter


def by_group(open_deals: pd.DataFrame, quarter: pd.Series, end: dt.date, col: str):
    this = quarter_of(pd.Timestamp(end))
    x = open_deals.assign(
        weighted=pd.to_numeric(open_deals["amount"], errors="coerce").fillna(0.0)
        * open_deals["p_win"],
        this_quarter=(quarter == this).to_numpy(),
    )
    x = x[x["this_quarter"]]
    g = x.groupby(col, dropna=False).agg(
        open_deals=("opportunity_id", "size"),
        pipeline=("amount", "sum"),
        expected=("weighted", "sum"),
    )
    return g.sort_values("expected", ascending=False).reset_index()


def realised(deals: pd.DataFrame, end: dt.date, quarters: int = 4) -> pd.DataFrame:
    this = quarter_of(pd.Timestamp(end))
    won = deals[deals["won_by_end"]]
    q = won["close_date"].dt.to_period("Q")
    amount = pd.to_numeric(won["amount"], errors="coerce").fillna(0.0)
    sums = amount.groupby(q).sum()
    wanted = [this - k for k in range(quarters, 0, -1)]
    return pd.DataFrame(
        {
            "quarter": [str(x) for x in wanted],
            "won_amount": [float(sums.get(x, 0.0)) for x in wanted],
        }
    )
