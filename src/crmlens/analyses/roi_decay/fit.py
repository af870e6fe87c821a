"""Decay curve ROI(age) = floor + (start − floor)·exp(−λ·age), fitted per group by least
squares weighted by the month's spend (``scipy.optimize.curve_fit``); half-life = ln 2 / λ with a
percentile bootstrap interval over campaigns (resampled with replacement, fixed seed); the
break-even month is where the fitted curve first falls below ``break_even``."""

from __future__ import annotations

import math
import warnings
from dataclasses import dataclass

import numpy as np
import pandas as pd
from scipy.optimize import curve_fit

LN2 = math.log(2.0)


@dataclass(frozen=True)
class Fit:
    start: float
    floor: float
    rate: float  # λ per month
    campaigns: int

    @property
    def half_life(self) -> float:
        return LN2 / self.rate if self.rate > 0 else math.inf

    def roi(self, age: float) -> float:
        return self.floor + (self.start - self.floor) * math.exp(-self.rate * age)

    def break_even_month(self, level: float) -> float | None:
        """First age at which the curve is below ``level``: 0 when it starts there, None when it
        never gets there."""
        if self.start < level:
            return 0.0
        if self.floor >= level or self.rate <= 0:
            return None
        return math.log((self.start - self.floor) / (level - self.floor)) / self.rate


def _curve(age, start, floor, rate):
    return floor + (start - floor) * np.exp(-rate * age)


def fit_curve(age: np.ndarray, spend: np.ndarray, revenue: np.ndarray) -> tuple | None:
    """(start, floor, rate) from monthly totals; None when fewer than 3 months have spend."""
    ok = spend > 0
    if ok.sum() < 3:
        return None
    x, roi, w = age[ok].astype(float), revenue[ok] / spend[ok], spend[ok]
    sigma = 1.0 / np.sqrt(w / w.mean())
    guess = (max(roi[:2].mean(), 1e-6), max(roi[-3:].mean(), 0.0), 0.1)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        try:
            params, _ = curve_fit(
                _curve,
                x,
                roi,
                p0=guess,
                sigma=sigma,
                bounds=([0.0, 0.0, 1e-4], [np.inf, np.inf, 5.0]),
                maxfev=5000,
            )
        except (RuntimeError, ValueError):
            return None
    return tuple(float(p) for p in params)


def matrices(monthly: pd.DataFrame, ages: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Campaign × age matrices of spend and revenue (ids sorted)."""
    ids = np.sort(monthly["campaign_id"].unique())
    row = np.searchsorted(ids, monthly["campaign_id"].to_numpy())
    col = monthly["age"].to_numpy(dtype="int64")
    spend = np.zeros((len(ids), ages))
    revenue = np.zeros((len(ids), ages))
    np.add.at(spend, (row, col), monthly["spend"].to_numpy(dtype="float64"))
    np.add.at(revenue, (row, col), monthly["revenue"].to_numpy(dtype="float64"))
    return ids, spend, revenue


def fit_group(
    monthly: pd.DataFrame, ages: int, bootstrap: int, seed: int
) -> tuple[Fit | None, tuple[float, float] | None]:
    """The group's fit and the bootstrap 95% interval of its half-life (None when not fitted)."""
    ids, spend, revenue = matrices(monthly, ages)
    age = np.arange(ages)
    params = fit_curve(age, spend.sum(axis=0), revenue.sum(axis=0))
    if params is None:
        return None, None
    fit = Fit(*params, campaigns=len(ids))
    if bootstrap <= 0 or len(ids) < 2:
        return fit, None
    rng = np.random.default_rng(seed)
    lives = []
    for _ in range(bootstrap):
        counts = rng.multinomial(len(ids), np.full(len(ids), 1.0 / len(ids)))
        p = fit_curve(age, counts @ spend, counts @ revenue)
        if p is not None:
            lives.append(LN2 / p[2])
    if len(lives) < bootstrap // 2:
        return fit, None
    lo, hi = np.percentile(lives, [2.5, 97.5])
    return fit, (float(lo), float(hi))
