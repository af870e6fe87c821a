"""Does coverage matter here?  Key accounts' closed deals by risk tier and by each failed metric.

Seed 002 asserts that accounts below the red lines win, renew and expand less.  When the data has
opportunities (``salesforce__opportunity_enhanced``, an optional table of this unit), this stage
checks it: per key account, on the engine, the closed deals (close date within
``outcome_window_days`` before the as-of date) and how many were won — all types (win rate), the
renewal types and the expansion types (``outcome_types``).  In Python: the rate of the flagged
accounts (high risk; below each red line) against the others, each with a Wilson 95 % interval,
and the difference with Newcombe's hybrid score interval (``crmlens.stats.proportions``).

A comparison needs ``outcome_min_deals`` closed deals each side.  The verdict of a comparison is
``lower`` / ``higher`` when the interval of the difference excludes 0, else ``no_difference``.
The data supports the risk model when high-risk accounts win significantly less.  Caveats, said
in the method notes: deals of one account are not independent (the intervals are too narrow when
accounts have many deals), and the contacts are today's while the deals are past: an
association, not a forecast.
"""

from __future__ import annotations

import datetime as dt

import ibis
import numpy as np
import pandas as pd

from crmlens.analyses.contact_coverage.columns import OPPORTUNITY_COLUMNS
from crmlens.analyses.contact_coverage.expressions import _as_text
from crmlens.analyses.engine import as_bool, to_frame
from crmlens.analyses.spec import RunContext
from crmlens.schema.contracts import OPPORTUNITIES
from crmlens.schema.typed import read_table
from crmlens.stats.proportions import newcombe_diff, wilson

OUTCOMES = ("win", "renewal", "expansion")
COMPARISONS = ("high_risk", "fails_density", "fails_decision", "fails_coverage")
TIER_ORDER = ("high", "data_gap", "medium", "low")
COMPARISON_COLUMNS = (
    "comparison",
    "outcome",
    "flagged_accounts",
    "flagged_deals",
    "flagged_won",
    "flagged_rate",
    "flagged_ci_low",
    "flagged_ci_high",
    "other_accounts",
    "other_deals",
    "other_won",
    "other_rate",
    "other_ci_low",
    "other_ci_high",
    "difference",
    "difference_ci_low",
    "difference_ci_high",
    "verdict",
)
TIER_COLUMNS = ("tier", "outcome", "accounts", "deals", "won", "rate", "ci_low", "ci_high")


def read_deals(ctx: RunContext, account_ids: pd.Series) -> tuple[pd.DataFrame | None, str]:
    """Closed deals and wins per key account and outcome (columns ``<outcome>_deals`` and
    ``<outcome>_won``), or None and the reason the comparison is skipped."""
    cfg = ctx.section
    if not ctx.data.has_table(OPPORTUNITIES.name):
        return None, "no_opportunities"
    opp = read_table(ctx.data, OPPORTUNITIES)
    if any(c not in opp.columns for c in OPPORTUNITY_COLUMNS):
        return None, "columns_missing"
    keys = ctx.data.lookup(pd.DataFrame({"k_id": pd.Series(account_ids, dtype="str")}))
    deals = opp.filter(as_bool(opp.is_closed))
    if cfg.outcome_window_days:
        start = ctx.as_of - dt.timedelta(days=cfg.outcome_window_days)
        close = deals.close_date.cast("date")
        deals = deals.filter((close >= ibis.literal(start)) & (close <= ibis.literal(ctx.as_of)))
    j = deals.inner_join(keys, _as_text(deals.account_id) == keys.k_id)
    won = as_bool(j.is_won)
    aggregates = {"win_deals": j.count(), "win_won": won.cast("int64").sum()}
    for outcome in OUTCOMES[1:]:
        is_type = _as_text(j.type).isin(cfg.outcome_types.get(outcome, []))
        aggregates[f"{outcome}_deals"] = is_type.cast("int64").sum()
        aggregates[f"{outcome}_won"] = (is_type & won).cast("int64").sum()
    per = to_frame(j.group_by(account_id=j.k_id).aggregate(**aggregates))
    if not int(per["win_deals"].sum()):
        return None, "no_closed_deals"
    return per, ""


def with_deals(df: pd.DataFrame, per: pd.DataFrame) -> pd.DataFrame:
    """The key-account flags and tier with each account's deal counts (0 without deals)."""
    cols = ["account_id", "tier", "density", "low_density_rl", "low_decision_rl", "low_coverage_rl"]
    out = df[cols].assign(account_id=df["account_id"].astype(str))
    out = out.merge(per, on="account_id", how="left")
    counts = [f"{o}_{k}" for o in OUTCOMES for k in ("deals", "won")]
    out[counts] = out[counts].fillna(0).astype("int64")
    return out


def comparison_masks(x: pd.DataFrame) -> dict[str, tuple[np.ndarray, np.ndarray]]:
    """comparison → (flagged, other) masks.  Data gaps are on neither side of the tier comparison
    (they could be high risk); unknown densities on neither side of the density one."""
    tier = x["tier"].to_numpy()
    known = x["density"].notna().to_numpy()
    low = {m: x[f"low_{m}_rl"].to_numpy(dtype=bool) for m in ("density", "decision", "coverage")}
    return {
        "high_risk": (tier == "high", (tier != "high") & (tier != "data_gap")),
        "fails_density": (known & low["density"], known & ~low["density"]),
        "fails_decision": (low["decision"], ~low["decision"]),
        "fails_coverage": (low["coverage"], ~low["coverage"]),
    }


def _side(x: pd.DataFrame, mask: np.ndarray, outcome: str) -> tuple[int, int, int]:
    """(accounts with a closed deal of this outcome, deals, won) on one side."""
    deals = x[f"{outcome}_deals"].to_numpy()[mask]
    return int((deals > 0).sum()), int(deals.sum()), int(x[f"{outcome}_won"].to_numpy()[mask].sum())


def verdict(low: float, high: float, n1: int, n2: int, min_deals: int) -> str:
    if min(n1, n2) < min_deals or np.isnan(low):
        return "too_few"
    return "lower" if high < 0 else "higher" if low > 0 else "no_difference"


def comparisons(x: pd.DataFrame, min_deals: int) -> pd.DataFrame:
    rows = []
    for name, (flagged, other) in comparison_masks(x).items():
        for outcome in OUTCOMES:
            a1, n1, w1 = _side(x, flagged, outcome)
            a2, n2, w2 = _side(x, other, outcome)
            d, low, high = newcombe_diff(w1, n1, w2, n2)
            rows.append(
                (name, outcome, a1, n1, w1, _rate(w1, n1), *wilson(w1, n1))
                + (a2, n2, w2, _rate(w2, n2), *wilson(w2, n2), d, low, high)
                + (verdict(low, high, n1, n2, min_deals),)
            )
    return pd.DataFrame(rows, columns=list(COMPARISON_COLUMNS))


def by_tier(x: pd.DataFrame) -> pd.DataFrame:
    rows = []
    tier = x["tier"].to_numpy()
    for name in TIER_ORDER:
        for outcome in OUTCOMES:
            accounts, n, won = _side(x, tier == name, outcome)
            rows.append((name, outcome, accounts, n, won, _rate(won, n), *wilson(won, n)))
    return pd.DataFrame(rows, columns=list(TIER_COLUMNS))


def _rate(x: int, n: int) -> float:
    return x / n if n else np.nan


def summary(table: pd.DataFrame, status: str) -> dict[str, object]:
    """The verdict on the risk model and the headline comparison (high risk × win rate)."""
    if table is None or table.empty:
        return {"status": status, "verdict": "not_evaluated"}
    main = table[(table["comparison"] == "high_risk") & (table["outcome"] == "win")].iloc[0]
    judged = table[table["verdict"] != "too_few"]
    verdict_of_model = {
        "lower": "supports",
        "higher": "contradicts",
        "no_difference": "not_supported",
        "too_few": "too_few_deals",
    }[main["verdict"]]
    return {
        "status": "compared",
        "verdict": verdict_of_model,
        "deals": int(main["flagged_deals"] + main["other_deals"]),
        "win_rate_high": main["flagged_rate"],
        "win_rate_other": main["other_rate"],
        "win_rate_difference": main["difference"],
        "win_rate_difference_low": main["difference_ci_low"],
        "win_rate_difference_high": main["difference_ci_high"],
        "comparisons_judged": len(judged),
        "comparisons_lower": int((judged["verdict"] == "lower").sum()),
    }


def outcome_tables(
    ctx: RunContext, df: pd.DataFrame
) -> tuple[dict[str, pd.DataFrame], dict[str, object]]:
    """The two outcome tables (empty when skipped) and the summary."""
    per, reason = read_deals(ctx, df["account_id"].astype(str))
    if per is None:
        empty = {
            "outcome_comparison": pd.DataFrame(columns=list(COMPARISON_COLUMNS)),
            "outcomes_by_tier": pd.DataFrame(columns=list(TIER_COLUMNS)),
        }
        return empty, summary(None, reason)
    x = with_deals(df, per)
    table = comparisons(x, ctx.section.outcome_min_deals)
    return {"outcome_comparison": table, "outcomes_by_tier": by_tier(x)}, summary(table, "")
