"""Descriptive helpers with documented conventions."""

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


def execs_to_reach(n: np.ndarray, d: np.ndarray, r: float) -> np.ndarray:
    """Smallest x ≥ 0 with (d + x) / (n + x) ≥ r and n + x ≥ 1 (added contacts are executives)."""
    n = np.asarray(n, dtype="float64")
    d = np.asarray(d, dtype="float64")
    x = np.maximum(0.0, np.ceil((r * n - d) / (1.0 - r) - 1e-9))
    x = np.where(n + x == 0, 1.0, x)
    return x.astype("int64")


def execs_within(n: np.ndarray, d: np.ndarray, total_added: np.ndarray, r: float) -> np.ndarray:
    """Executives needed among ``total_added`` new contacts so that the ratio reaches r."""
    n = np.asarray(n, dtype="float64")
    need = np.ceil(r * (n + total_added) - np.asarray(d, dtype="float64") - 1e-9)
    return np.maximum(0.0, need).astype("int64")
