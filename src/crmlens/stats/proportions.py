"""Confidence intervals for proportions and their differences (closed form, no scipy).

* one proportion x/n: the Wilson score interval (what ``statsmodels``'
  ``proportion_confint(method="wilson")`` gives);
* a difference p₁ − p₂ of independent proportions: Newcombe's hybrid score interval (method 10),
  built from the two Wilson intervals (``confint_proportions_2indep(method="newcomb")``).

Both stay inside [0, 1] (resp. [−1, 1]) and behave at 0 and n successes, unlike the Wald interval.
"""

from __future__ import annotations

import math

Z95 = 1.959963984540054  # two-sided 95 %


def wilson(x: int, n: int, z: float = Z95) -> tuple[float, float]:
    """Wilson score interval of x successes in n trials; (NaN, NaN) when n = 0."""
    if n <= 0:
        return math.nan, math.nan
    p = x / n
    z2 = z * z
    centre = (p + z2 / (2 * n)) / (1 + z2 / n)
    half = z / (1 + z2 / n) * math.sqrt(p * (1 - p) / n + z2 / (4 * n * n))
    return max(0.0, centre - half), min(1.0, centre + half)


def newcombe_diff(x1: int, n1: int, x2: int, n2: int, z: float = Z95) -> tuple[float, float, float]:
    """p₁ − p₂ with Newcombe's hybrid score interval: (difference, low, high); NaN when a group
    is empty."""
    if n1 <= 0 or n2 <= 0:
        return math.nan, math.nan, math.nan
    p1, p2 = x1 / n1, x2 / n2
    l1, u1 = wilson(x1, n1, z)
    l2, u2 = wilson(x2, n2, z)
    d = p1 - p2
    low = d - math.sqrt((p1 - l1) ** 2 + (u2 - p2) ** 2)
    high = d + math.sqrt((u1 - p1) ** 2 + (p2 - l2) ** 2)
    return d, low, high
