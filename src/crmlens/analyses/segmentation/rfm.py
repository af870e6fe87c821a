"""Step 2: RFM scores and named segments (pure Python on the per-customer table).

Scores (1–5) by quintile of the rank, ties together: a customer's score is
``1 + ⌊5 × b / n⌋`` where ``b`` is the number of the ``n`` customers with a strictly worse value
(recency: more days since the last won deal; frequency and monetary: lower).  Equal values
always share a score, so a score can be empty when many customers tie (e.g. most customers
have one won deal).  The cut table gives, per score, the range of values it holds.

Segments: the configured rules are tried in order; the first whose score ranges all hold names
the customer; customers no rule matches fall in the "other" bucket (its size is reported).
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from crmlens.analyses.segmentation.config import SegmentationConfig

DIMENSIONS = {  # score column → (value column, higher value is better)
    "r_score": ("recency_days", False),
    "f_score": ("frequency", True),
    "m_score": ("monetary", True),
}


def quintile_scores(values: np.ndarray, higher_is_better: bool) -> np.ndarray:
    """1–5 per value: ``1 + ⌊5 × (values strictly worse) / n⌋``; ties share a score."""
    v = np.asarray(values, dtype="float64")
    key = v if higher_is_better else -v
    ordered = np.sort(key)
    worse = np.searchsorted(ordered, key, side="left")
    return (1 + (5 * worse) // max(len(v), 1)).astype("int64")


def score(customers: pd.DataFrame) -> pd.DataFrame:
    """``customers`` with ``r_score``, ``f_score``, ``m_score`` (no NULL values: every customer
    has a last won deal; frequency and monetary are 0 outside the window)."""
    out = customers.copy()
    for column, (value, higher) in DIMENSIONS.items():
        out[column] = quintile_scores(out[value].to_numpy(), higher)
    return out


def cuts(scored: pd.DataFrame) -> pd.DataFrame:
    """Per dimension and score: customers and the lowest and highest value holding the score."""
    rows = []
    for column, (value, _higher) in DIMENSIONS.items():
        for s in range(1, 6):
            held = scored.loc[scored[column] == s, value]
            rows.append(
                {
                    "dimension": value,
                    "rfm_score": s,
                    "customers": len(held),
                    "value_low": float(held.min()) if len(held) else np.nan,
                    "value_high": float(held.max()) if len(held) else np.nan,
                }
            )
    return pd.DataFrame(rows)


def segments(scored: pd.DataFrame, cfg: SegmentationConfig) -> np.ndarray:
    """The first matching rule's name per customer; ``cfg.other_segment`` when none matches."""
    out = np.full(len(scored), cfg.other_segment, dtype=object)
    open_rows = np.ones(len(scored), dtype=bool)
    r, f, m = (scored[c].to_numpy() for c in DIMENSIONS)
    for rule in cfg.segments:
        hit = open_rows & _within(r, rule.r) & _within(f, rule.f) & _within(m, rule.m)
        out[hit] = rule.name
        open_rows &= ~hit
    return out


def _within(values: np.ndarray, bounds: tuple[int, int]) -> np.ndarray:
    return (values >= bounds[0]) & (values <= bounds[1])


def rule_table(scored: pd.DataFrame, model_segment: np.ndarray, cfg: SegmentationConfig):
    """The rules as applied: their order, ranges and how many customers each took."""
    counts = pd.Series(model_segment).value_counts()
    rows = [
        {
            "order": i + 1,
            "segment": rule.name,
            "r_range": f"{rule.r[0]}–{rule.r[1]}",
            "f_range": f"{rule.f[0]}–{rule.f[1]}",
            "m_range": f"{rule.m[0]}–{rule.m[1]}",
            "customers": int(counts.get(rule.name, 0)),
        }
        for i, rule in enumerate(cfg.segments)
    ]
    other = int(counts.get(cfg.other_segment, 0))
    rows.append(
        {
            "order": len(rows) + 1,
            "segment": cfg.other_segment,
            "r_range": "",
            "f_range": "",
            "m_range": "",
            "customers": other,
        }
    )
    return pd.DataFrame(rows)
