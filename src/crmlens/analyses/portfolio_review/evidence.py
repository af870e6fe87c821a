"""Tests and effect sizes computed from engine aggregates (counts, means, variances): the
chi-square test of independence with Cramér's V, Welch's t-test with Cohen's d, and Wilson
intervals for rates.  scipy is imported here only."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
from scipy import stats


def z_value(confidence: float) -> float:
    return float(stats.norm.ppf(0.5 + confidence / 2))


def wilson(successes: float, n: float, confidence: float) -> tuple[float, float, float]:
    """Rate with its Wilson score interval; NaNs when n is 0."""
    if not n:
        return math.nan, math.nan, math.nan
    z = z_value(confidence)
    p = successes / n
    centre = (p + z * z / (2 * n)) / (1 + z * z / n)
    half = z * math.sqrt(p * (1 - p) / n + z * z / (4 * n * n)) / (1 + z * z / n)
    return p, max(0.0, centre - half), min(1.0, centre + half)


def chi_square(table: pd.DataFrame) -> dict:
    """Independence of the rows and columns of a contingency table (counts): χ², p-value and
    Cramér's V; NaNs when a margin has fewer than two non-empty categories."""
    counts = table.to_numpy(dtype=float)
    counts = counts[counts.sum(axis=1) > 0][:, counts.sum(axis=0) > 0]
    if counts.ndim != 2 or min(counts.shape) < 2:
        return {"statistic": math.nan, "p_value": math.nan, "effect": math.nan}
    statistic, p_value, _, _ = stats.chi2_contingency(counts, correction=False)
    n = counts.sum()
    effect = math.sqrt(statistic / (n * (min(counts.shape) - 1)))
    return {"statistic": float(statistic), "p_value": float(p_value), "effect": effect}


def welch(a: tuple[float, float, float], b: tuple[float, float, float]) -> dict:
    """Welch's t-test from (n, mean, sample variance) of two groups, with Cohen's d (pooled SD,
    a − b); NaNs when a group has fewer than two values or both have no spread."""
    (n1, m1, v1), (n2, m2, v2) = a, b
    if n1 < 2 or n2 < 2 or np.isnan([v1, v2]).any() or v1 + v2 == 0:
        return {"statistic": math.nan, "p_value": math.nan, "effect": math.nan}
    se = math.sqrt(v1 / n1 + v2 / n2)
    t = (m1 - m2) / se
    df = (v1 / n1 + v2 / n2) ** 2 / ((v1 / n1) ** 2 / (n1 - 1) + (v2 / n2) ** 2 / (n2 - 1))
    pooled = math.sqrt(((n1 - 1) * v1 + (n2 - 1) * v2) / (n1 + n2 - 2))
    return {
        "statistic": t,
        "p_value": float(2 * stats.t.sf(abs(t), df)),
        "effect": (m1 - m2) / pooled if pooled else math.nan,
    }


def difference_ci(a: tuple[float, float], b: tuple[float, float], confidence: float):
    """Difference of two rates (successes, n) with a normal-approximation interval."""
    (s1, n1), (s2, n2) = a, b
    if not n1 or not n2:
        return math.nan, math.nan, math.nan
    p1, p2 = s1 / n1, s2 / n2
    se = math.sqrt(p1 * (1 - p1) / n1 + p2 * (1 - p2) / n2)
    z = z_value(confidence)
    return p1 - p2, p1 - p2 - z * se, p1 - p2 + z * se
