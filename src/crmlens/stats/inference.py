"""Correlation, ANOVA and relative risk (scipy; import only where used: it is heavy).

Conventions (documented in the report's method notes): the relative risk of a group compares the
group with the rest of the cohort (2×2 table); the 95% CI uses the log method,
SE = sqrt(1/a − 1/n₁ + 1/c − 1/n₂).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import pandas as pd
from scipy import stats


def rr_ci(
    a: int, n1: int, c: int, n2: int, z: float = 1.959963984540054
) -> tuple[float, float, float]:
    """Relative risk (a/n1)/(c/n2) with a log-method 95% CI; NaN when undefined."""
    if n1 == 0 or n2 == 0 or c == 0:
        return math.nan, math.nan, math.nan
    if a == 0:
        return 0.0, math.nan, math.nan
    rr = (a / n1) / (c / n2)
    se = math.sqrt(1 / a - 1 / n1 + 1 / c - 1 / n2)
    return rr, rr * math.exp(-z * se), rr * math.exp(z * se)


@dataclass(frozen=True)
class Corr:
    r: float
    t: float
    p: float
    n: int


def pearson(x: pd.Series, y: pd.Series) -> Corr:
    m = x.notna() & y.notna()
    n = int(m.sum())
    if n < 3:
        return Corr(math.nan, math.nan, math.nan, n)
    xa, ya = x[m].to_numpy(float), y[m].to_numpy(float)
    if xa.min() == xa.max() or ya.min() == ya.max():  # a constant has no correlation
        return Corr(math.nan, math.nan, math.nan, n)
    res = stats.pearsonr(xa, ya)
    r = float(res.statistic)
    t = r * math.sqrt((n - 2) / max(1e-300, 1 - r * r)) if abs(r) < 1 else math.inf
    return Corr(r, t, float(res.pvalue), n)


def anova(groups: list[np.ndarray]) -> tuple[float, float]:
    groups = [g for g in groups if len(g) >= 2]
    if len(groups) < 2:
        return math.nan, math.nan
    res = stats.f_oneway(*groups)
    return float(res.statistic), float(res.pvalue)


@dataclass(frozen=True)
class OneWay:
    """One-way ANOVA: F, p, effect size η² = SS_between / SS_total, degrees of freedom, rows."""

    f: float
    p: float
    eta2: float
    df_between: int
    df_within: int
    n: int


def one_way(groups: list[np.ndarray]) -> OneWay:
    """One-way ANOVA of the groups with two or more values (scipy's F and p) and its η²."""
    groups = [np.asarray(g, dtype=float) for g in groups if len(g) >= 2]
    n = sum(len(g) for g in groups)
    if len(groups) < 2:
        return OneWay(math.nan, math.nan, math.nan, 0, 0, n)
    f, p = anova(groups)
    grand = np.concatenate(groups).mean()
    between = sum(len(g) * (g.mean() - grand) ** 2 for g in groups)
    total = sum(float(((g - grand) ** 2).sum()) for g in groups)
    eta2 = float(between / total) if total > 0 else math.nan
    return OneWay(f, p, eta2, len(groups) - 1, n - len(groups), n)
