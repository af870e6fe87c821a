"""The health score: documented sub-scores in [0, 1], weights, tiers and the reasons.

Preset ``activity_contact_value_scale`` (min–max over all accounts with a known value):

- activity = 0.5·(max − days_since_last_activity)/(max − min) + 0.5·total_activities_30d / max
- contact_quality = contacts_with_email / total_contacts (0 when there are no contacts)
- value = 0.5·min–max(annual_revenue) + 0.5·total_won_amount / max
- scale = 0.7·size score (Enterprise 1.0, Large 0.8, Mid-Market 0.6, Small Business 0.4, else 0)
  + 0.3·√min–max(number_of_employees)

Preset ``engagement_v2`` (model v2 tables) keeps activity and contact quality and adds:

- support = 1 − min(1, (cases + (complaint weight − 1)·complaints) over the support window ÷ cap)
  (no case → 1: a known zero)
- nps = mean NPS answer over the NPS window ÷ 10 (no answer → missing)
- revenue_trend = min(1, 0.5·T12 ÷ P12) of won revenue; 1 when only T12 has revenue; 0 when
  neither window has any

Each sub-score is clipped to [0, 1]; health = 100·Σ weight·sub-score, clipped to [0, 100].
Edge rules: min–max of a column whose known values are all equal is 0 (nothing distinguishes the
accounts); ``x / max`` with max ≤ 0 is 0.  Missing data never makes an account look better: with
``missing_inputs: zero`` (the default) a NULL input's term is 0 and the account is flagged; with
``redistribute`` the weight of a component with a NULL input is spread over the account's other
components (flagged too; the report says this can overstate).  An input column the data does not
have at all makes its component unmeasurable for everyone: its weight is redistributed and the
report says so.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from crmlens.analyses.health_score.config import COMPONENTS, HealthScoreConfig
from crmlens.analyses.toolkit import labels, tier_levels

TIERS = ("low", "medium", "high")  # worst → best
TOLERANCE = 1e-9  # a score of exactly 50 or 80 is never split by float noise

# component → its input columns (a NULL in any of them flags the account)
COMPONENT_INPUTS: dict[str, tuple[str, ...]] = {
    "activity": ("days_since_last_activity", "total_activities_30d"),
    "contact_quality": ("total_contacts", "contacts_with_email"),
    "value": ("annual_revenue", "total_won_amount"),
    "scale": ("size_label", "number_of_employees"),
    "support_load": ("cases_window", "complaints_window"),
    "nps": ("nps_mean",),
    "revenue_trend": ("revenue_t12", "revenue_p12"),
}


@dataclass(frozen=True)
class Scored:
    table: pd.DataFrame  # the input table with sub-scores, contributions, score, tier, reasons
    unmeasurable: tuple[str, ...]  # weighted components with an input absent from the data
    components: tuple[str, ...]  # the components some weight set uses


def _num(df: pd.DataFrame, col: str) -> np.ndarray:
    if col not in df.columns:
        return np.full(len(df), np.nan)
    return pd.to_numeric(df[col], errors="coerce").to_numpy(dtype="float64")


def min_max(x: np.ndarray, reverse: bool = False) -> np.ndarray:
    """(x − min)/(max − min) over the known values — (max − x)/(max − min) when ``reverse`` —;
    NaN stays NaN; all-equal → 0 either way."""
    known = x[~np.isnan(x)]
    if not len(known):
        return np.full(len(x), np.nan)
    lo, hi = known.min(), known.max()
    if hi <= lo:
        return np.where(np.isnan(x), np.nan, 0.0)
    return (hi - x) / (hi - lo) if reverse else (x - lo) / (hi - lo)


def share_of_max(x: np.ndarray) -> np.ndarray:
    """x / max over the known values; NaN stays NaN; max ≤ 0 → 0."""
    known = x[~np.isnan(x)]
    hi = known.max() if len(known) else np.nan
    if not hi > 0:
        return np.where(np.isnan(x), np.nan, 0.0)
    return x / hi


def _term(x: np.ndarray) -> np.ndarray:
    return np.nan_to_num(x, nan=0.0)


def sub_scores(df: pd.DataFrame, cfg: HealthScoreConfig, size_column: str) -> pd.DataFrame:
    """Each component's sub-score in [0, 1] (NULL terms scored 0) and its missing-input flag."""
    days, acts = _num(df, "days_since_last_activity"), _num(df, "total_activities_30d")
    contacts, emails = _num(df, "total_contacts"), _num(df, "contacts_with_email")
    revenue, won = _num(df, "annual_revenue"), _num(df, "total_won_amount")
    employees = _num(df, "number_of_employees")
    recency = min_max(days, reverse=True)  # (max − d)/(max − min)
    size = df[size_column].map(cfg.size_scores) if size_column in df.columns else None
    size_score = (
        pd.to_numeric(size, errors="coerce").to_numpy(dtype="float64")
        if size is not None
        else np.full(len(df), np.nan)
    )
    size_known = df[size_column].notna().to_numpy() if size_column in df.columns else None
    with np.errstate(invalid="ignore", divide="ignore"):
        quality = np.where(contacts > 0, emails / np.where(contacts > 0, contacts, 1.0), 0.0)
    quality = np.where(np.isnan(contacts) | np.isnan(emails), 0.0, quality)
    with np.errstate(invalid="ignore"):
        root = np.sqrt(np.clip(min_max(employees), 0.0, None))
    cases, complaints = _num(df, "cases_window"), _num(df, "complaints_window")
    load = cases + (cfg.complaint_weight - 1.0) * complaints
    t12, p12 = _num(df, "revenue_t12"), _num(df, "revenue_p12")
    with np.errstate(invalid="ignore", divide="ignore"):
        trend = np.where(
            p12 > 0, 0.5 * t12 / np.where(p12 > 0, p12, 1.0), np.where(t12 > 0, 1.0, 0.0)
        )
    trend = np.where(np.isnan(t12) | np.isnan(p12), np.nan, trend)
    subs = {
        "support_load": _term(1.0 - np.minimum(1.0, load / cfg.case_cap)),
        "nps": _term(_num(df, "nps_mean") / 10.0),
        "revenue_trend": _term(trend),
        "activity": 0.5 * _term(recency) + 0.5 * _term(share_of_max(acts)),
        "contact_quality": quality,
        "value": 0.5 * _term(min_max(revenue)) + 0.5 * _term(share_of_max(won)),
        # a size label outside the table scores 0 (a known label, not a missing input)
        "scale": 0.7 * np.nan_to_num(size_score, nan=0.0) + 0.3 * _term(root),
    }
    out = pd.DataFrame({f"sub_{c}": np.clip(subs[c], 0.0, 1.0) for c in COMPONENTS}, index=df.index)
    out["term_recency"] = _term(recency)
    out["term_activities"] = _term(share_of_max(acts))
    missing = {
        "activity": np.isnan(days) | np.isnan(acts),
        "contact_quality": np.isnan(contacts) | np.isnan(emails),
        "value": np.isnan(revenue) | np.isnan(won),
        "scale": (~size_known if size_known is not None else True) | np.isnan(employees),
        "support_load": np.isnan(load),
        "nps": np.isnan(_num(df, "nps_mean")),
        "revenue_trend": np.isnan(trend),
    }
    for c in COMPONENTS:
        out[f"missing_{c}"] = np.broadcast_to(missing[c], len(df)).copy()
    return out


def account_weights(
    df: pd.DataFrame, cfg: HealthScoreConfig, unmeasurable: tuple[str, ...]
) -> np.ndarray:
    """One row of component weights per account (its profile's, or the default), with the weight
    of unmeasurable components spread proportionally over the others."""
    base = cfg.effective_weights
    w = np.tile([base.get(c, 0.0) for c in COMPONENTS], (len(df), 1)).astype("float64")
    if cfg.profiles.column:
        values = df[cfg.profiles.column].astype("string")
        for value, weights in cfg.profiles.weights.items():
            rows = (values == value).fillna(False).to_numpy()
            w[rows] = [weights.get(c, 0.0) for c in COMPONENTS]
    drop = np.array([c in unmeasurable for c in COMPONENTS])
    return spread_weights(w, np.broadcast_to(drop, w.shape))


def unmeasurable_components(
    columns, components: tuple[str, ...], size_column: str | None = None, absent=()
) -> tuple[str, ...]:
    """The ``components`` with an input the data does not have (listed in ``absent`` or not among
    ``columns``): nobody can be scored on them."""
    inputs = dict(COMPONENT_INPUTS)
    if size_column is not None:
        inputs["scale"] = (size_column, "number_of_employees")
    return tuple(c for c in components if any(i in absent or i not in columns for i in inputs[c]))


def spread_weights(w: np.ndarray, drop: np.ndarray) -> np.ndarray:
    """Zero the dropped weights and rescale each row's others to the row's original total (a row
    with nothing left keeps zeros)."""
    kept = np.where(drop, 0.0, w)
    total, left = w.sum(axis=1, keepdims=True), kept.sum(axis=1, keepdims=True)
    with np.errstate(invalid="ignore", divide="ignore"):
        scaled = np.where(left > 0, kept * total / np.where(left > 0, left, 1.0), 0.0)
    return scaled


def score(df: pd.DataFrame, cfg: HealthScoreConfig, size_column: str, absent: tuple[str, ...]):
    """Sub-scores, per-account weights, contributions (points), score, tier, flags, reasons."""
    used = tuple(c for c in COMPONENTS if cfg.uses(c))
    unmeasurable = unmeasurable_components(df.columns, used, size_column, absent)
    subs = sub_scores(df, cfg, size_column)
    weights = account_weights(df, cfg, unmeasurable)
    missing = subs[[f"missing_{c}" for c in COMPONENTS]].to_numpy(dtype=bool)
    # unmeasurable components are reported once, not per account; unused ones not at all
    missing[:, [c in unmeasurable or c not in used for c in COMPONENTS]] = False
    if cfg.missing_inputs == "redistribute":
        weights = spread_weights(weights, missing)
    points = 100.0 * weights * subs[[f"sub_{c}" for c in COMPONENTS]].to_numpy()
    total = np.clip(points.sum(axis=1), 0.0, 100.0)
    out = pd.concat([df, subs], axis=1)
    for j, c in enumerate(COMPONENTS):
        out[f"weight_{c}"] = weights[:, j]
        out[f"points_{c}"] = points[:, j]
        out[f"loss_{c}"] = 100.0 * weights[:, j] - points[:, j]
    out["health_score"] = total
    levels = tier_levels(total, [cfg.medium_score, cfg.high_score], TOLERANCE)
    out["tier"] = labels(levels, TIERS).to_numpy()
    for j, c in enumerate(COMPONENTS):
        out[f"missing_{c}"] = missing[:, j]
    out["has_missing_inputs"] = missing.any(axis=1)
    for name, values in reasons(out, cfg).items():
        out[name] = values
    return Scored(out, unmeasurable, used)


def reasons(df: pd.DataFrame, cfg: HealthScoreConfig) -> dict[str, np.ndarray]:
    """Per account, the components that cost it the most points (at least ``reason_min_loss``),
    largest loss first, as reason codes in columns ``reason_1`` … (None when fewer); a component
    with a missing input says so."""
    loss = df[[f"loss_{c}" for c in COMPONENTS]].to_numpy()
    codes = reason_codes(df)
    order = np.argsort(-loss, axis=1, kind="stable")[:, : cfg.reasons_per_account]
    rows = np.arange(len(df))
    out = {}
    for k in range(order.shape[1]):
        j = order[:, k]
        keep = loss[rows, j] + TOLERANCE >= cfg.reason_min_loss
        out[f"reason_{k + 1}"] = np.where(keep, codes[rows, j], None)
    return out


def reason_codes(df: pd.DataFrame) -> np.ndarray:
    """One reason code per (account, component): which term drags the component down."""
    n = len(df)
    no_contacts = ~(np.nan_to_num(_num(df, "total_contacts"), nan=0.0) > 0)
    by_component = {
        "activity": np.where(
            df["term_recency"].to_numpy() <= df["term_activities"].to_numpy(),
            "inactive",
            "few_activities",
        ),
        "contact_quality": np.where(no_contacts, "no_contacts", "contacts_without_email"),
        "value": np.full(n, "low_value", dtype=object),
        "scale": np.full(n, "small_scale", dtype=object),
        "support_load": np.full(n, "heavy_support", dtype=object),
        "nps": np.full(n, "low_nps", dtype=object),
        "revenue_trend": np.full(n, "revenue_down", dtype=object),
    }
    codes = np.empty((n, len(COMPONENTS)), dtype=object)
    for j, c in enumerate(COMPONENTS):
        codes[:, j] = np.where(
            df[f"missing_{c}"].to_numpy(dtype=bool), f"{c}_missing", by_component[c]
        )
    return codes
