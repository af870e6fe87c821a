"""Health-score narrative as codes: headline metrics, findings, recommendations, method."""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from crmlens.analyses.base import Finding, Metric, Recommendation
from crmlens.analyses.health_score.config import HealthScoreConfig
from crmlens.analyses.health_score.score import Scored
from crmlens.stats.basic import percentile, rate


def metrics(scored: Scored, tables: dict[str, pd.DataFrame]) -> dict[str, Metric]:
    df = scored.table
    s = df["health_score"]
    n = len(df)
    tiers = df["tier"].value_counts()
    quart = tables["outlook_by_quartile"]
    matrix = tables["risk_matrix"]
    return {
        "accounts": Metric(n),
        "mean_score": Metric(float(s.mean()), "score"),
        "median_score": Metric(percentile(s, 0.5), "score"),
        "min_score": Metric(float(s.min()), "score"),
        "max_score": Metric(float(s.max()), "score"),
        "high_health": Metric(int(tiers.get("high", 0))),
        "medium_health": Metric(int(tiers.get("medium", 0))),
        "low_health": Metric(int(tiers.get("low", 0))),
        "low_health_share": Metric(rate(int(tiers.get("low", 0)), n), "ratio"),
        "accounts_missing_inputs": Metric(int(df["has_missing_inputs"].sum())),
        "components_unmeasurable": Metric(len(scored.unmeasurable)),
        "high_level_cells": Metric(int((matrix["level"] == "high").sum())),
        "outlook_total": Metric(float(quart["outlook"].sum()), "usd"),
        "outlook_top_quartile_share": Metric(quart["outlook_share"].iloc[0], "ratio"),
    }


def findings(
    m: dict[str, Metric], scored: Scored, tables: dict[str, pd.DataFrame]
) -> tuple[Finding, ...]:
    v = {k: x.value for k, x in m.items()}
    out = [
        Finding(
            "hs.distribution",
            {
                "accounts": v["accounts"],
                "mean": v["mean_score"],
                "median": v["median_score"],
                "low": v["low_health"],
                "low_share": v["low_health_share"],
                "high": v["high_health"],
            },
            "warning" if v["low_health"] else "info",
        )
    ]
    if scored.unmeasurable:
        out.append(Finding("hs.unmeasurable", {"components": list(scored.unmeasurable)}, "warning"))
    if v["accounts_missing_inputs"]:
        out.append(Finding("hs.missing_inputs", {"count": v["accounts_missing_inputs"]}, "warning"))
    matrix = tables["risk_matrix"]
    if len(matrix) and matrix["low_health"].iloc[0] > 0:
        top = matrix.iloc[0]
        out.append(
            Finding(
                "hs.matrix_top",
                {
                    "industry": top["industry_normalized"],
                    "size": top["company_size_category"],
                    "share": top["low_health_share"],
                    "low": int(top["low_health"]),
                    "accounts": int(top["accounts"]),
                    "level": top["level"],
                },
                "critical" if top["level"] == "high" else "warning",
            )
        )
    shares = tables["variance_shares"].dropna(subset=["variance_share"])
    if len(shares):
        top = shares.sort_values("variance_share", ascending=False, kind="stable").iloc[0]
        out.append(
            Finding("hs.driver", {"component": top["component"], "share": top["variance_share"]})
        )
    profile = tables["low_health_profile"]
    days = profile[profile["feature"] == "days_since_last_activity"]
    if len(days) and pd.notna(days["difference"].iloc[0]):
        out.append(
            Finding(
                "hs.low_profile_activity",
                {
                    "low": days["low_health_mean"].iloc[0],
                    "others": days["others_mean"].iloc[0],
                },
            )
        )
    out.append(
        Finding(
            "hs.outlook",
            {"total": v["outlook_total"], "top_share": v["outlook_top_quartile_share"]},
        )
    )
    return tuple(out)


def recommendations(
    m: dict[str, Metric], tables: dict[str, pd.DataFrame], cfg: HealthScoreConfig
) -> tuple[Recommendation, ...]:
    v = {k: x.value for k, x in m.items()}
    days = cfg.milestones_days
    out = []
    if v["low_health"]:
        out.append(
            Recommendation(
                "rec.health_recover",
                {
                    "count": v["low_health"],
                    "call_days": days[0],
                    "plan_days": days[min(1, len(days) - 1)],
                },
                {"metric": "low_health_share", "op": "<", "value": v["low_health_share"]},
            )
        )
    matrix = tables["risk_matrix"]
    hot = matrix[matrix["level"] == "high"]
    if len(hot):
        out.append(
            Recommendation(
                "rec.health_matrix",
                {
                    "cells": len(hot),
                    "low": int(hot["low_health"].sum()),
                    "industry": hot["industry_normalized"].iloc[0],
                    "size": hot["company_size_category"].iloc[0],
                },
            )
        )
    plan = tables["action_plan"]
    expand = plan[plan["action"] == "action.health_expansion"]
    if len(expand):
        out.append(
            Recommendation(
                "rec.health_expand",
                {"count": len(expand), "outlook": float(expand["outlook"].sum())},
            )
        )
    if v["accounts_missing_inputs"]:
        out.append(Recommendation("rec.health_fix_data", {"count": v["accounts_missing_inputs"]}))
    return tuple(out)


def method(cfg: HealthScoreConfig, scored: Scored, size_column: str) -> dict[str, Any]:
    return {
        "preset": cfg.preset,
        "weights": cfg.effective_weights,
        "profiles": {"column": cfg.profiles.column, "weights": cfg.profiles.weights},
        "missing_inputs": cfg.missing_inputs,
        "unmeasurable": list(scored.unmeasurable),
        "high_score": cfg.high_score,
        "medium_score": cfg.medium_score,
        "size_column": size_column,
        "size_scores": cfg.size_scores,
        "matrix_levels": cfg.matrix_levels,
        "outlook_weights": {"won": cfg.outlook_won_weight, "pipeline": cfg.outlook_pipeline_weight},
        "components": list(scored.components),
        "milestones_days": cfg.milestones_days,
        "v2": {
            k: getattr(cfg, k)
            for k in (
                "complaint_weight",
                "support_window_days",
                "case_cap",
                "nps_window_days",
                "trend_window_days",
            )
        },
    }


def backtest_metrics(check) -> dict[str, Metric]:
    m = check.metrics
    return {
        "backtest_customers": Metric(m.get("customers")),
        "backtest_churned": Metric(m.get("churned")),
        "backtest_auc": Metric(m.get("auc"), "score"),
    }


def backtest_finding(check) -> Finding:
    """What the back-test shows, weak evidence called weak."""
    if check.status == "no_dated_data":
        params = {"cutoff": check.cutoff.isoformat(), "components": check.metrics["dropped"]}
        return Finding("hs.backtest_no_dated_data", params)
    if check.status != "done":
        return Finding(f"hs.backtest_{check.status}", {"cutoff": check.cutoff.isoformat()})
    m = check.metrics
    params = {
        "cutoff": check.cutoff.isoformat(),
        "customers": m["customers"],
        "churned": m["churned"],
        "auc": m["auc"],
        "low": m["auc_low"],
        "high": m["auc_high"],
        "components": m["components"],
    }
    return Finding("hs.backtest_weak" if m["weak"] else "hs.backtest", params)


def top_accounts(df: pd.DataFrame, n: int) -> pd.DataFrame:
    """The ``n`` lowest-scoring accounts (ties: larger outlook first, then id) — the plan's head."""
    low = df[df["tier"].to_numpy() == "low"]
    return low.head(n).reset_index(drop=True) if len(low) else df.head(0)


def entities(df: pd.DataFrame) -> pd.DataFrame:
    return pd.DataFrame(
        {
            "entity_id": df["account_id"].to_numpy(),
            "entity_name": df["account_name"].to_numpy(),
            "tier": df["tier"].to_numpy(),
            "health_score": np.round(df["health_score"].to_numpy(dtype="float64"), 6),
        }
    )
