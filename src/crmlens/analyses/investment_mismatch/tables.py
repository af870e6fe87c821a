"""Investment-mismatch result tables: the mismatched customers, the step tables, the action plan
and the entities the monitor records."""

from __future__ import annotations

import datetime as dt

import numpy as np
import pandas as pd

from crmlens.analyses.investment_mismatch import groups as group_steps
from crmlens.analyses.investment_mismatch import stages as stage_steps
from crmlens.analyses.investment_mismatch.config import InvestmentMismatchConfig
from crmlens.analyses.investment_mismatch.plan import action_plan
from crmlens.analyses.toolkit import is_in, plan_summary, top_n

DETAIL_COLUMNS = [
    "customer360_id",
    "primary_email",
    "industry_vertical",
    "company_size_tier",
    "lifecycle_stage",
    "decision_maker_level",
    "team_size",
    "customer_onboarding_score",
    "investment_priority_score",
    "composite",
    "norm_sales",
    "norm_adoption",
    "norm_support",
    "roi",
    "roi_w",
    "reasons",
]
# highest priority first; ties: lower composite, then customer id (a total order)
MISMATCH_ORDER = (["investment_priority_score", "composite", "customer360_id"], [False, True, True])


def build_tables(
    df: pd.DataFrame,
    cfg: InvestmentMismatchConfig,
    steps: dict,
    bounds: dict,
    overall_gap: dict,
    gaps: pd.DataFrame,
    model,
    as_of: dt.date,
) -> dict:
    by, ascending = MISMATCH_ORDER
    mismatched = top_n(df, None, by, ascending, where=df["mismatched"])[DETAIL_COLUMNS]
    behaviour, bias = steps["behaviour"], steps["bias"]
    tables = {
        "mismatched": mismatched,
        "top_mismatched": mismatched.head(cfg.top_n).reset_index(drop=True),
        "groups": steps["groups"],
        "stages": steps["stages"],
        "roi_terciles_by_stage": stage_steps.roi_terciles(df),
        "roi_histogram": group_steps.roi_histogram(df),
        "onboarding_buckets": behaviour["onboarding_buckets"],
        "onboarding_adoption_by_group": behaviour["corr_by_group"],
        "onboarding_fit": behaviour["fit"],
        "team_decision": behaviour["team_decision"],
        "priority_terciles": bias["terciles"],
        "feature_alignment": bias["alignment"],
        "composite_bounds": pd.DataFrame(
            [{"component": k, "low": v[0], "high": v[1]} for k, v in bounds.items()]
        ),
        "quadrant_sample": group_steps.quadrant_sample(df),
        "gap_decomposition": gap_decomposition(overall_gap, steps["root_cause"], cfg),
        **steps["pool"],
        "group_root_cause": steps["root_cause"],
        "feature_bias": feature_bias(steps["roles"], model),
        "cutoffs": cutoffs(steps["cut"], steps["roi"], bounds, cfg),
    }
    tables["action_plan"] = action_plan(mismatched, as_of)
    tables["plan_summary"] = plan_summary(tables["action_plan"])
    tables["entities"] = entities(df, gaps)
    if model is not None:
        tables["model_coefficients"] = model.coefficients
    return tables


def entities(df: pd.DataFrame, gaps: pd.DataFrame) -> pd.DataFrame:
    """The per-entity state the monitor records: every customer of the base, and the data gaps."""
    tier = np.where(
        df["mismatched"], "mismatched", np.where(df["top_priority"], "top_matched", "other")
    )
    known = pd.DataFrame(
        {
            "entity_id": df["customer360_id"],
            "entity_name": df["customer360_id"],
            "tier": tier,
            "risk_score": 1 - df["composite"],
            "roi": df["roi_w"],
        }
    )
    out = pd.concat([known, gaps]).sort_values("entity_id", kind="stable")
    return out.reset_index(drop=True)


def data_gaps(raw: pd.DataFrame, df: pd.DataFrame, cut: dict) -> pd.DataFrame:
    """Entities for customers left out of the base for a NULL composite metric although their
    priority score is in the top cohort: whether they pay back is unknown, not fine."""
    ids = raw["customer360_id"]
    incomplete = raw[ids.notna().to_numpy() & ~is_in(ids, df["customer360_id"])]
    top = incomplete[incomplete["investment_priority_score"] >= cut["priority_cutoff"]]
    ids = top["customer360_id"].drop_duplicates()
    return pd.DataFrame(
        {
            "entity_id": ids,
            "entity_name": ids,
            "tier": "data_gap",
            "risk_score": np.nan,
            "roi": np.nan,
        }
    )


def feature_bias(roles: pd.DataFrame, model) -> pd.DataFrame:
    """The features' roles in the current priority next to the weight the proposed model gives
    them (NaN without a model, or for a feature the model does not use)."""
    out = roles.copy()
    weights = model.weights.set_index("feature")["weight"] if model is not None else {}
    out["proposed_weight"] = [float(weights.get(f, np.nan)) for f in out["feature"]]
    return out


def cutoffs(cut: dict, roi: dict, bounds: dict, cfg: InvestmentMismatchConfig) -> pd.DataFrame:
    """Every cut-off and winsorising bound the cohorts and means used, one row each
    (``cutoff`` is a code: ``value.cut.<name>``)."""
    rows = [
        ("priority_cutoff", cut["priority_cutoff"]),
        ("composite_cutoff", cut["composite_cutoff"]),
    ]
    for name, (low, high) in [*bounds.items(), ("roi", (roi["p1"], roi["p99"]))]:
        rows += [(f"winsor_low_{name}", low), (f"winsor_high_{name}", high)]
    rows.append(("roi_alert", cfg.roi_alert))
    return pd.DataFrame(
        {"cutoff": [f"cut.{q}" for q, _ in rows], "value": [float(v) for _, v in rows]}
    )


def gap_decomposition(
    overall_gap: dict, root_cause: pd.DataFrame, cfg: InvestmentMismatchConfig
) -> pd.DataFrame:
    """The whole pool's composite gap per component: weight, raw means of mismatched and matched
    top-priority customers, normalised gap, weighted contribution and share of the gap."""
    pool = root_cause.iloc[0]
    weights = cfg.weights.model_dump()
    return pd.DataFrame(
        [
            {
                "component": k,
                "weight": weights[k],
                "mean_mismatched": pool[f"{k}_mismatched"],
                "mean_top_matched": pool[f"{k}_top_matched"],
                "gap": pool[f"gap_{k}"],
                "contribution": pool[f"contribution_{k}"],
                "share": share,
            }
            for k, share in overall_gap["shares"].items()
        ]
    )
