"""Descriptive helpers with documented conventions (numpy/pandas only; no engine, no rendering).

* percentiles: linear interpolation between closest ranks (numpy's default, "type 7");
* winsorising clips to [P_lo, P_hi] of the non-missing values;
* cumulative distribution ``cume_dist(x) = #(values ≤ x) / n`` (ties share the same value, as
  SQL's CUME_DIST), so a cut "cume_dist ≥ 0.70" keeps ties together.
"""

from __future__ import annotations

import math

import numpy as np
import pandas as pd


def percentile(values: pd.Series | np.ndarray, q: float) -> float:
    """Percentile with linear interpolation between closest ranks (numpy's default, 'type 7');
    NaN values are ignored; NaN when nothing is left."""
    if isinstance(values, np.ndarray) and values.dtype.kind == "f":
        arr = values[~np.isnan(values)]  # fast path for the per-group arrays of the peer track
    else:
        arr = np.asarray(pd.Series(values, dtype="float64").dropna())
    return float(np.percentile(arr, q * 100)) if arr.size else math.nan


def rate(numerator: int | float, denominator: int | float) -> float | None:
    return None if not denominator else float(numerator) / float(denominator)


def winsor_bounds(x: pd.Series, lo: float, hi: float) -> tuple[float, float]:
    v = x.dropna().to_numpy(dtype=float)
    if not v.size:
        return math.nan, math.nan
    return float(np.percentile(v, lo * 100)), float(np.percentile(v, hi * 100))


def winsorise(x: pd.Series, lo: float, hi: float) -> tuple[pd.Series, tuple[float, float]]:
    b = winsor_bounds(x, lo, hi)
    return x.clip(lower=b[0], upper=b[1]), b


def min_max(x: pd.Series) -> pd.Series:
    lo, hi = x.min(), x.max()
    if not np.isfinite(lo) or hi == lo:  # constant column: neutral 0.5
        return pd.Series(np.where(x.notna(), 0.5, np.nan), index=x.index)
    return (x - lo) / (hi - lo)


def pct_rank(x: pd.Series) -> pd.Series:
    """Percentile rank in (0, 1] (average rank / n)."""
    return x.rank(method="average", pct=True)


def cume_dist(x: pd.Series) -> pd.Series:
    return x.rank(method="max", pct=True)
