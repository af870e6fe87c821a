"""Investment-mismatch narrative as codes: headline metrics, findings, recommendations, method."""

from __future__ import annotations

import datetime as dt
from typing import Any

import numpy as np
import pandas as pd

from crmlens.analyses.base import Finding, Metric, Recommendation
from crmlens.analyses.investment_mismatch.config import InvestmentMismatchConfig
from crmlens.analyses.investment_mismatch.groups import worst_stage
from crmlens.stats.inference import anova

DATA_QUALITY_FINDINGS = (  # finding code, metric counted
    ("dq.mm_duplicates", "duplicates_removed"),
    ("dq.mm_unmatched", "unmatched"),
    ("dq.mm_customers_without_value", "customers_without_value"),
    ("dq.mm_cac_invalid", "roi_undefined"),
    ("dq.mm_top_roi_unknown", "top_roi_unknown"),
    ("dq.mm_data_gap", "data_gap_top_priority"),
)


def metrics(
    df: pd.DataFrame,
    join: dict,
    dropped: dict,
    cut: dict,
    roi: dict,
    behaviour: dict,
    bias: dict,
    model,
    data_gaps: int,
) -> dict[str, Metric]:
    n = len(df)
    top, mismatched = cut["top"], cut["mismatched"]
    m = {
        "value_rows": Metric(join["value_rows"]),
        "duplicates_removed": Metric(join["duplicates_removed"]),
        "matched": Metric(join["matched"]),
        "unmatched": Metric(join["unmatched"]),
        "customers_without_value": Metric(join["customers_without_value"]),
        "dropped_missing_metrics": Metric(dropped["rows"]),
        "missing_sales": Metric(dropped["total_sales_amount"]),
        "missing_adoption": Metric(dropped["product_adoption_rate"]),
        "missing_support": Metric(dropped["support_resolution_efficiency"]),
        "base_customers": Metric(n),
        "top_priority": Metric(top),
        "bottom_composite": Metric(cut["bottom"]),
        "mismatched": Metric(mismatched),
        "mismatch_rate_in_top": Metric(mismatched / top if top else None, "ratio"),
        "mismatch_share_of_all": Metric(mismatched / n, "ratio"),
        "priority_cutoff": Metric(cut["priority_cutoff"], "score"),
        "composite_cutoff": Metric(cut["composite_cutoff"], "score"),
        "roi_undefined": Metric(roi["undefined"]),
        "cac_nonpositive": Metric(roi["cac_nonpositive"]),
        "roi_p1": Metric(roi["p1"], "score"),
        "roi_median": Metric(roi["median"], "score"),
        "roi_mean": Metric(roi["mean"], "score"),
        "roi_p99": Metric(roi["p99"], "score"),
        "roi_share_above_1": Metric(roi["share_above_1"], "ratio"),
        "roi_mean_mismatched": Metric(roi["mean_mismatched"], "score"),
        "roi_mean_matched": Metric(roi["mean_matched"], "score"),
        "roi_median_mismatched": Metric(roi["median_mismatched"], "score"),
        "roi_median_matched": Metric(roi["median_matched"], "score"),
        "top_roi_below_alert": Metric(roi["top_below_alert"]),
        "top_roi_unknown": Metric(roi["top_unknown"]),
        "corr_priority_composite": Metric(bias["priority_composite"].r, "score"),
        "corr_priority_roi": Metric(bias["priority_roi"].r, "score"),
        "priority_terciles_monotone": Metric("yes" if bias["monotone"] else "no", "text"),
        "corr_onboarding_adoption": Metric(behaviour["overall"].r, "score"),
        "p_onboarding_adoption": Metric(behaviour["overall"].p, "score"),
        "corr_team_size_roi": Metric(behaviour["team_roi"].r, "score"),
        "misaligned_features": Metric(int(bias["alignment"]["misaligned"].sum())),
    }
    stages = df.dropna(subset=["roi"])
    log_roi = [
        np.log(g["roi"][g["roi"] > 0].to_numpy()) for _, g in stages.groupby("lifecycle_stage")
    ]
    f, p = anova(log_roi)
    m["anova_f"], m["anova_p"] = Metric(f, "score"), Metric(p, "score")
    if model is not None:
        m |= {
            "model_cv_r2": Metric(model.cv_r2, "score"),
            "model_cv_mae": Metric(model.cv_mae, "score"),
            "model_test_rows": Metric(model.test_rows),
            "current_mismatch_rate_test": Metric(model.current_mismatch_rate, "ratio"),
            "model_mismatch_rate_test": Metric(model.model_mismatch_rate, "ratio"),
        }
    m["data_gap_top_priority"] = Metric(data_gaps)
    return m


def findings(
    m: dict[str, Metric], tables: dict[str, pd.DataFrame], cfg: InvestmentMismatchConfig
) -> tuple[Finding, ...]:
    v = {k: x.value for k, x in m.items()}
    f = [
        Finding(
            "mm.cohort",
            {
                "mismatched": v["mismatched"],
                "top": v["top_priority"],
                "rate": v["mismatch_rate_in_top"],
                "share": v["mismatch_share_of_all"],
                "base": v["base_customers"],
                "top_share": cfg.priority_top_share,
                "bottom_share": cfg.composite_bottom_share,
            },
            "critical" if v["mismatched"] else "info",
        ),
        Finding(
            "mm.roi_gap",
            {"mismatched": v["roi_mean_mismatched"], "matched": v["roi_mean_matched"]},
            "warning",
        ),
        Finding(
            "mm.model_bias",
            {
                "corr": v["corr_priority_composite"],
                "corr_roi": v["corr_priority_roi"],
                "monotone": v["priority_terciles_monotone"],
            },
            "warning",
        ),
    ]
    g = tables["groups"]
    if len(g) and g["rr"].notna().any():
        top = g.iloc[0]
        f.append(
            Finding(
                "mm.worst_group",
                {
                    "industry": top["industry_vertical"],
                    "size": top["company_size_tier"],
                    "rate": top["mismatch_rate"],
                    "rr": top["rr"],
                    "low": top["rr_low"],
                    "high": top["rr_high"],
                },
                "warning",
            )
        )
    if len(tables["stages"]):
        s = worst_stage(tables["stages"])
        f.append(
            Finding(
                "mm.stage",
                {"stage": s["lifecycle_stage"], "rate": s["mismatch_rate"], "roi": s["mean_roi"]},
            )
        )
    f.append(
        Finding(
            "mm.onboarding", {"r": v["corr_onboarding_adoption"], "p": v["p_onboarding_adoption"]}
        )
    )
    f.append(Finding("mm.anova", {"f": v["anova_f"], "p": v["anova_p"]}))
    if "model_mismatch_rate_test" in v:
        f.append(
            Finding(
                "mm.model",
                {
                    "r2": v["model_cv_r2"],
                    "current": v["current_mismatch_rate_test"],
                    "model": v["model_mismatch_rate_test"],
                },
            )
        )
    for code, key in DATA_QUALITY_FINDINGS:
        if v[key]:
            f.append(Finding(code, {"count": v[key]}, "warning"))
    if v["dropped_missing_metrics"]:
        f.append(
            Finding(
                "dq.mm_missing_metrics",
                {
                    "count": v["dropped_missing_metrics"],
                    "sales": v["missing_sales"],
                    "adoption": v["missing_adoption"],
                    "support": v["missing_support"],
                },
                "warning",
            )
        )
    return tuple(f)


def recommendations(
    df: pd.DataFrame,
    m: dict[str, Metric],
    tables: dict[str, pd.DataFrame],
    cfg: InvestmentMismatchConfig,
    gap: dict,
) -> tuple[Recommendation, ...]:
    v = {k: x.value for k, x in m.items()}
    recs: list[Recommendation] = []
    if "model_mismatch_rate_test" in v:
        coefs = tables["model_coefficients"]
        recs.append(
            Recommendation(
                "rec.mm.recalibrate",
                {
                    "current": v["current_mismatch_rate_test"],
                    "model": v["model_mismatch_rate_test"],
                    "r2": v["model_cv_r2"],
                    "driver": coefs.iloc[0]["feature"] if len(coefs) else "",
                },
                {"metric": "mismatch_rate_in_top", "max": v["model_mismatch_rate_test"]},
            )
        )
    top = df[df["top_priority"]]
    groups = tables["groups"]
    gate = _onboarding_gate(top, groups, cfg)
    if gate is not None:
        recs.append(gate)
    if len(tables["stages"]):
        s = worst_stage(tables["stages"])
        customers = int(top[top["lifecycle_stage"] == s["lifecycle_stage"]].shape[0])
        recs.append(
            Recommendation(
                "rec.mm.lifecycle_gate",
                {
                    "stage": s["lifecycle_stage"],
                    "rate": s["mismatch_rate"],
                    "roi": s["mean_roi"],
                    "customers": customers,
                },
                {"stage": s["lifecycle_stage"]},
            )
        )
    sig = groups[(groups["rr_low"] > 1)] if len(groups) else groups
    if len(sig):
        g = sig.iloc[0]
        recs.append(
            Recommendation(
                "rec.mm.industry",
                {
                    "industry": g["industry_vertical"],
                    "size": g["company_size_tier"],
                    "rr": g["rr"],
                    "low": g["rr_low"],
                    "high": g["rr_high"],
                    "mismatched": int(g["mismatched"]),
                },
                {"group": f"{g['industry_vertical']}/{g['company_size_tier']}"},
            )
        )
    shares = {k: s for k, s in gap["shares"].items() if s == s}
    if shares:
        comp = max(shares, key=lambda k: shares[k])
        recs.append(
            Recommendation(
                "rec.mm.component",
                {"component": comp, "share": shares[comp], "gap": gap["gaps"][comp]},
                {"component": comp},
            )
        )
    recs.append(
        Recommendation(
            "rec.mm.roi_alert",
            {"count": v["top_roi_below_alert"], "threshold": cfg.roi_alert},
            {"metric": "roi", "min": cfg.roi_alert},
        )
    )
    recs.append(
        Recommendation(
            "rec.mm.monitor",
            {
                "rate": v["mismatch_rate_in_top"],
                "corr": v["corr_priority_composite"],
                "count": v["mismatched"],
            },
            {"cadence": "quarterly"},
        )
    )
    return tuple(recs)


def _onboarding_gate(
    top: pd.DataFrame, groups: pd.DataFrame, cfg: InvestmentMismatchConfig
) -> Recommendation | None:
    """The group where an onboarding gate helps most (largest drop of the mismatch rate; ties:
    higher rate, then industry and size by name)."""
    gate = top["customer_onboarding_score"] >= cfg.onboarding_gate
    gate_rows = []
    for g in groups.itertuples(index=False):
        members = top[
            (top["industry_vertical"] == g.industry_vertical)
            & (top["company_size_tier"] == g.company_size_tier)
        ]
        kept = members[members["customer_onboarding_score"] >= cfg.onboarding_gate]
        if len(kept):
            before = float(members["mismatched"].mean())
            after = float(kept["mismatched"].mean())
            gate_rows.append(
                (before - after, before, g.industry_vertical, g.company_size_tier, after)
            )
    if not gate_rows:
        return None
    drop, before, ind, size, after = sorted(gate_rows, key=lambda x: (-x[0], -x[1], x[2], x[3]))[0]
    overall_after = float(top.loc[gate, "mismatched"].mean()) if gate.any() else None
    return Recommendation(
        "rec.mm.onboarding_gate",
        {
            "gate": cfg.onboarding_gate,
            "industry": ind,
            "size": size,
            "before": before,
            "after": after,
            "overall_before": float(top["mismatched"].mean()),
            "overall_after": overall_after,
        },
        {"metric": "customer_onboarding_score", "min": cfg.onboarding_gate},
    )


def method(cfg: InvestmentMismatchConfig, bounds: dict, as_of: dt.date) -> dict[str, Any]:
    """The rules and thresholds used, as values (the report prints them in its method notes)."""
    return {
        "identity": cfg.identity,
        "mapping_priority": list(cfg.mapping_priority),
        "dedup_rule": "latest_timestamp_then_email_then_priority",  # codes: value.<code>
        "weights": cfg.weights.model_dump(),
        "normalisation": cfg.normalisation,
        "winsor": [cfg.winsor_low, cfg.winsor_high],
        "bounds": {k: list(v) for k, v in bounds.items()},
        "priority_top_share": cfg.priority_top_share,
        "composite_bottom_share": cfg.composite_bottom_share,
        "cume_dist": "share_at_or_below_ties_together",
        "roi": "clv_over_cac_undefined_without_cac",
        "rr": "group_vs_rest_of_top_cohort_log_ci95",
        "min_group_size": cfg.min_group_size,
        "onboarding_buckets": cfg.onboarding_buckets,
        "team_size_buckets": cfg.team_size_buckets,
        "executive_levels": cfg.executive_levels,
        "model": cfg.model.model_dump()
        | {"type": "ridge regression, one-hot categories, standardised numbers"},
        "roi_alert": cfg.roi_alert,
        "onboarding_gate": cfg.onboarding_gate,
        "as_of": as_of.isoformat(),
    }
