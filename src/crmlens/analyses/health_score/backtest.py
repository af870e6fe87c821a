"""Does a low score precede churn or contraction?  The score's dated components (support, NPS,
revenue trend — the others are snapshots that cannot be rebuilt for a past date) are computed as
of ``as_of − horizon`` with the preset's weights of those components rescaled to 1; a dated
component unmeasurable at that date (its table or columns absent, or nothing dated that early) is
dropped and its weight spread over the others as the score does (``score.spread_weights``).
Among the
customers then (won revenue in the window before), the outcome over the horizon is churn (no won
revenue) and contraction (less won revenue than in the window before).  AUC = P(a churned
customer scored lower than a retained one; ties count half) with the Hanley–McNeil standard
error; lift by tier = the tier's churn rate ÷ the overall rate."""

from __future__ import annotations

import datetime as dt
import math
from dataclasses import dataclass

import ibis
import numpy as np
import pandas as pd
from scipy.stats import norm, rankdata

from crmlens.analyses.engine import as_bool, to_frame
from crmlens.analyses.health_score import dated
from crmlens.analyses.health_score.config import COMPONENTS, DATED_COMPONENTS, HealthScoreConfig
from crmlens.analyses.health_score.score import (
    TIERS,
    TOLERANCE,
    spread_weights,
    unmeasurable_components,
)
from crmlens.analyses.spec import RunContext
from crmlens.analyses.toolkit import labels, tier_levels
from crmlens.schema.contracts import OPPORTUNITIES
from crmlens.schema.typed import read_table

MIN_EVENTS = 20  # fewer churned (or retained) customers than this: weak evidence


@dataclass(frozen=True)
class Backtest:
    status: str  # done | no_dated_components | no_dated_data | no_opportunities
    # | too_few_customers
    cutoff: dt.date
    table: pd.DataFrame  # per tier: customers, churned, churn rate, lift, contracted
    metrics: dict


def auc_with_ci(score: np.ndarray, event: np.ndarray) -> tuple[float, float, float]:
    """AUC of ``-score`` for ``event`` (low score → event) and its 95% Hanley–McNeil interval."""
    pos, neg = int(event.sum()), int((~event).sum())
    ranks = rankdata(-score)  # average ranks: ties count half
    auc = (ranks[event].sum() - pos * (pos + 1) / 2) / (pos * neg)
    q1, q2 = auc / (2 - auc), 2 * auc * auc / (1 + auc)
    var = (auc * (1 - auc) + (pos - 1) * (q1 - auc**2) + (neg - 1) * (q2 - auc**2)) / (pos * neg)
    half = norm.ppf(0.975) * math.sqrt(max(var, 0.0))
    return float(auc), float(max(0.0, auc - half)), float(min(1.0, auc + half))


def _outcomes(ctx: RunContext, cutoff: dt.date, end: dt.date, before: dt.timedelta) -> pd.DataFrame:
    o = read_table(ctx.data, OPPORTUNITIES)
    o = o.filter(as_bool(o.is_won) & o.account_id.notnull())
    day = o.close_date.cast("date")
    amount = o.amount.fill_null(0.0)
    cut = ibis.literal(cutoff, type="date")
    after = (day > cut) & (day <= ibis.literal(end, type="date"))
    prior = (day > ibis.literal(cutoff - before, type="date")) & (day <= cut)
    return to_frame(
        o.group_by("account_id").aggregate(
            revenue_before=ibis.ifelse(prior, amount, 0.0).sum(),
            revenue_after=ibis.ifelse(after, amount, 0.0).sum(),
        )
    )


def run(ctx: RunContext, cfg: HealthScoreConfig, end: dt.date) -> Backtest:
    """The back-test over the horizon ending at ``end`` (the data's last day)."""
    cutoff = end - dt.timedelta(days=cfg.backtest_horizon_days)
    weights = {c: w for c, w in cfg.effective_weights.items() if c in DATED_COMPONENTS and w > 0}
    empty = pd.DataFrame(columns=["tier", "customers", "churned", "churn_rate", "lift"])
    if not weights:
        return Backtest("no_dated_components", cutoff, empty, {})
    if not ctx.data.has_table(OPPORTUNITIES.name):
        return Backtest("no_opportunities", cutoff, empty, {})
    outcome = _outcomes(ctx, cutoff, end, dt.timedelta(days=cfg.backtest_horizon_days))
    customers = outcome[outcome["revenue_before"] > 0].reset_index(drop=True)
    features = dated.attach(customers[["account_id"]], dated.dated_inputs(ctx, cfg, cutoff))
    weights, dropped = measurable_weights(weights, features.columns)
    if not weights:
        return Backtest("no_dated_data", cutoff, empty, {"dropped": dropped})
    score = _dated_score(features, cfg, weights)
    churn = (customers["revenue_after"] <= 0).to_numpy()
    contraction = (customers["revenue_after"] < customers["revenue_before"]).to_numpy()
    n_churn, n_keep = int(churn.sum()), int((~churn).sum())
    if min(n_churn, n_keep) == 0:
        return Backtest(
            "too_few_customers", cutoff, empty, {"customers": len(customers), "dropped": dropped}
        )
    auc, lo, hi = auc_with_ci(score, churn)
    c_auc, c_lo, c_hi = (
        auc_with_ci(score, contraction)
        if 0 < contraction.sum() < len(contraction)
        else (np.nan,) * 3
    )
    tier = labels(tier_levels(score, [cfg.medium_score, cfg.high_score], TOLERANCE), TIERS)
    frame = pd.DataFrame({"tier": tier.to_numpy(), "churn": churn, "contraction": contraction})
    g = frame.groupby("tier").agg(
        customers=("churn", "size"), churned=("churn", "sum"), contracted=("contraction", "sum")
    )
    g = g.reindex(list(TIERS)).fillna(0).astype("int64").reset_index()
    overall = churn.mean()
    g["churn_rate"] = g["churned"] / g["customers"].where(g["customers"] > 0)
    g["lift"] = g["churn_rate"] / overall
    weak = min(n_churn, n_keep) < MIN_EVENTS or lo <= 0.5
    metrics = {
        "customers": len(customers),
        "churned": n_churn,
        "auc": auc,
        "auc_low": lo,
        "auc_high": hi,
        "contraction_auc": c_auc,
        "contraction_auc_low": c_lo,
        "contraction_auc_high": c_hi,
        "weak": weak,
        "components": sorted(weights),
        "dropped": dropped,
    }
    return Backtest("done", cutoff, g, metrics)


def measurable_weights(weights: dict, columns) -> tuple[dict, list[str]]:
    """The weights of the components measurable in ``columns`` (an unmeasurable one's weight
    spread over the others, as the score spreads it) and the dropped components, sorted."""
    dropped = unmeasurable_components(columns, tuple(weights))
    row = np.array([[weights.get(c, 0.0) for c in COMPONENTS]])
    spread = spread_weights(row, np.array([[c in dropped for c in COMPONENTS]]))[0]
    kept = {c: float(w) for c, w in zip(COMPONENTS, spread) if w > 0}
    return kept, sorted(dropped)


def _dated_score(features: pd.DataFrame, cfg: HealthScoreConfig, weights: dict) -> np.ndarray:
    from crmlens.analyses.health_score.score import sub_scores

    subs = sub_scores(features, cfg, "account_id")
    total = sum(weights.values())
    points = sum(w / total * subs[f"sub_{c}"].to_numpy() for c, w in weights.items())
    return np.clip(100.0 * points, 0.0, 100.0)
