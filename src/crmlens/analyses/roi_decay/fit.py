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
    at_bound: bool  # λ on a bound: no decay measurable in the window (not used for advice)
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


MIN_MONTHS = 4  # months with spend a curve needs
MAX_RATE = 5.0  # a half-life shorter than ln 2 / 5 ≈ 0.14 months is not measurable monthly


def _curve(age, amplitude, floor, rate):
    return floor + amplitude * np.exp(-rate * age)


def rate_bounds(ages: int) -> tuple[float, float]:
    """λ between a half-life of four times the window and ~0.14 months."""
    return LN2 / (4.0 * ages), MAX_RATE


def fit_curve(age: np.ndarray, spend: np.ndarray, revenue: np.ndarray) -> tuple | None:
    """(start, floor, rate, at_bound) from monthly totals — a decaying curve (start ≥ floor ≥ 0);
    ``at_bound`` when λ ends on a bound (no decay measurable in the window); None when fewer than
    ``MIN_MONTHS`` months have spend or the fit fails."""
    ok = spend > 0
    if ok.sum() < MIN_MONTHS:
        return None
    x, roi, w = age[ok].astype(float), revenue[ok] / spend[ok], spend[ok]
    sigma = 1.0 / np.sqrt(w / w.mean())
    low, high = rate_bounds(len(age))
    floor0 = max(roi[-3:].mean(), 0.0)
    guess = (max(roi[:2].mean() - floor0, 1e-6), floor0, min(max(0.1, low), high))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        try:
            params, _ = curve_fit(
                _curve,
                x,
                roi,
                p0=guess,
                sigma=sigma,
                bounds=([0.0, 0.0, low], [np.inf, np.inf, high]),
                maxfev=5000,
            )
        except (RuntimeError, ValueError):
            return None
    amplitude, floor, rate = (float(p) for p in params)
    at_bound = not (low * 1.001 < rate < high * 0.999)
    return amplitude + floor, floor, rate, at_bound


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
            lives.append(LN2 / p[2])  # a resample on a bound counts at the bound
    if len(lives) < bootstrap // 2:
        return fit, None
    lo, hi = np.percentile(lives, [2.5, 97.5])
    return fit, (float(lo), float(hi))
