"""Investment-mismatch narrative as codes: headline metrics, findings, recommendations, method."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pandas as pd

from crmlens.analyses.base import Finding, Metric
from crmlens.analyses.investment_mismatch.config import InvestmentMismatchConfig
from crmlens.analyses.investment_mismatch.root_cause import ALL
from crmlens.analyses.investment_mismatch.stages import worst_stage

DATA_QUALITY_FINDINGS = (  # finding code, metric counted
    ("dq.mm_duplicates", "duplicates_removed"),
    ("dq.mm_unmatched", "unmatched"),
    ("dq.mm_customers_without_value", "customers_without_value"),
    ("dq.mm_cac_invalid", "roi_undefined"),
    ("dq.mm_top_roi_unknown", "top_roi_unknown"),
    ("dq.mm_data_gap", "data_gap_top_priority"),
    ("dq.mm_without_email", "value_rows_without_email"),
)


def metrics(
    df: pd.DataFrame,
    join: dict,
    dropped: dict,
    steps: dict,
    model,
    data_gaps: int,
    cfg: InvestmentMismatchConfig,
) -> dict[str, Metric]:
    n = len(df)
    cut, roi = steps["cut"], steps["roi"]
    behaviour, bias = steps["behaviour"], steps["bias"]
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
    m["anova_f"], m["anova_p"] = (
        Metric(steps["anova"].f, "score"),
        Metric(steps["anova"].p, "score"),
    )
    if model is not None:
        m |= {
            "model_cv_r2": Metric(model.cv_r2, "score"),
            "model_cv_mae": Metric(model.cv_mae, "score"),
            "model_test_rows": Metric(model.test_rows),
            "current_mismatch_rate_test": Metric(model.current_mismatch_rate, "ratio"),
            "model_mismatch_rate_test": Metric(model.model_mismatch_rate, "ratio"),
        }
    m["data_gap_top_priority"] = Metric(data_gaps)
    return m | second_pass_metrics(join, steps, model, cfg)


def second_pass_metrics(
    join: dict, steps: dict, model, cfg: InvestmentMismatchConfig
) -> dict[str, Metric]:
    """Issue 14: the identity join in numbers, like-for-like comparisons inside the top-priority
    pool, the cohort's ROI distribution, the ANOVA effect sizes, the evidence of the model."""
    roi, anova, cohort = steps["roi"], steps["anova"], steps["cohort_anova"]
    means = steps["pool"]["pool_means"].set_index("cohort")
    corr = steps["pool"]["pool_onboarding_adoption"].set_index("cohort")["r"]
    roles = steps["roles"]["role"]
    m = {
        "value_rows_without_email": Metric(join["without_email"]),
        "distinct_emails": Metric(join["distinct_emails"]),
        "join_coverage": Metric(join["join_coverage"], "ratio"),
        "roi_mean_top_matched": Metric(roi["mean_top_matched"], "score"),
        "roi_median_top_matched": Metric(roi["median_top_matched"], "score"),
        "roi_mismatched_p1": Metric(roi["mismatched_p1"], "score"),
        "roi_mismatched_median_raw": Metric(roi["mismatched_median_raw"], "score"),
        "roi_mismatched_p99": Metric(roi["mismatched_p99"], "score"),
        "roi_mismatched_share_above_1": Metric(roi["mismatched_share_above_1"], "ratio"),
        "corr_onboarding_adoption_top": Metric(corr["top_pool"], "score"),
        "corr_onboarding_adoption_mismatched": Metric(corr["mismatched"], "score"),
        "corr_onboarding_adoption_top_matched": Metric(corr["top_matched"], "score"),
        "anova_eta2": Metric(anova.eta2, "score"),
        "cohort_anova_f": Metric(cohort.f, "score"),
        "cohort_anova_p": Metric(cohort.p, "score"),
        "cohort_anova_eta2": Metric(cohort.eta2, "score"),
        "cohort_anova_df_between": Metric(cohort.df_between),
        "cohort_anova_df_within": Metric(cohort.df_within),
        "cohort_anova_significant": Metric(_yes_no(cohort.p < cfg.significance), "text"),
        "features_followed": Metric(int((roles == "bias.follows").sum())),
        "features_ignored_predictive": Metric(int((roles == "bias.ignores_predictive").sum())),
    }
    for cohort_name in ("mismatched", "top_matched"):
        for col in ("adoption", "support"):
            value = means.loc[cohort_name, f"mean_{col}"]
            m[f"mean_{col}_{cohort_name}"] = Metric(value, "score")
    if model is not None:
        m["model_cv_r2_sd"] = Metric(model.cv_r2_sd, "score")
        weak = not model.cv_r2 >= cfg.model.weak_r2
        m["model_evidence"] = Metric("weak" if weak else "moderate", "text")
    return m


def _yes_no(flag: bool) -> str:
    return "yes" if flag else "no"


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
            "mm.join",
            {
                "distinct": v["distinct_emails"],
                "matched": v["matched"],
                "coverage": v["join_coverage"],
                "duplicates": v["duplicates_removed"],
            },
        ),
        Finding(
            "mm.roi_gap",
            {
                "mismatched": v["roi_mean_mismatched"],
                "matched": v["roi_mean_top_matched"],
                "median_mismatched": v["roi_median_mismatched"],
                "median_matched": v["roi_median_top_matched"],
                "rest": v["roi_mean_matched"],
            },
            "warning",
        ),
        Finding(
            "mm.roi_cohort",
            {
                "p1": v["roi_mismatched_p1"],
                "median": v["roi_mismatched_median_raw"],
                "p99": v["roi_mismatched_p99"],
                "above_1": v["roi_mismatched_share_above_1"],
                "priority_cutoff": v["priority_cutoff"],
                "composite_cutoff": v["composite_cutoff"],
                "low": v["roi_p1"],
                "high": v["roi_p99"],
            },
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
    f += _bias_findings(tables["feature_bias"])
    f += _pool_findings(v, tables)
    f += _where_findings(v, tables, cfg)
    f += _model_findings(v, cfg)
    f += _data_quality_findings(v)
    return tuple(f)


def _bias_findings(features: pd.DataFrame) -> list[Finding]:
    """What the current priority follows and what it ignores although it predicts performance."""
    out = []
    followed = features[features["role"] == "bias.follows"]
    if len(followed):
        top = followed.sort_values(["assoc_priority", "feature"], ascending=[False, True])
        row = top.iloc[0]
        out.append(
            Finding(
                "mm.bias_follows",
                {
                    "feature": row["feature"],
                    "priority": row["assoc_priority"],
                    "performance": row["assoc_composite"],
                    "count": len(followed),
                },
                "warning",
            )
        )
    else:
        out.append(Finding("mm.bias_follows_none", {"count": len(features)}, "warning"))
    ignored = features[features["role"] == "bias.ignores_predictive"]
    if len(ignored):
        row = ignored.iloc[0]  # strongest link with performance first
        out.append(
            Finding(
                "mm.bias_ignores" if len(ignored) > 1 else "mm.bias_ignores_only",
                {
                    "feature": row["feature"],
                    "priority": row["assoc_priority"],
                    "performance": row["assoc_composite"],
                    "others": len(ignored) - 1,
                },
                "warning",
            )
        )
    return out


def _pool_findings(v: dict, tables: dict[str, pd.DataFrame]) -> list[Finding]:
    """Like with like: mismatched against matched top-priority customers."""
    means = tables["pool_means"].set_index("cohort")
    out = [
        Finding(
            "mm.pool_behaviour",
            {
                "n_mismatched": int(means.loc["mismatched", "customers"]),
                "n_matched": int(means.loc["top_matched", "customers"]),
                "adoption_mismatched": v["mean_adoption_mismatched"],
                "adoption_matched": v["mean_adoption_top_matched"],
                "support_mismatched": v["mean_support_mismatched"],
                "support_matched": v["mean_support_top_matched"],
                "r_top": v["corr_onboarding_adoption_top"],
                "r_all": v["corr_onboarding_adoption"],
            },
        )
    ]
    buckets = tables["pool_onboarding_buckets"]
    per_bucket = buckets.groupby("onboarding", observed=True, sort=False).agg(
        customers=("customers", "sum"), rate=("mismatch_rate_in_top", "first")
    )
    per_bucket = per_bucket[per_bucket["customers"] > 0]
    if len(per_bucket) >= 2:
        low, high = per_bucket.iloc[0], per_bucket.iloc[-1]
        out.append(
            Finding(
                "mm.pool_onboarding",
                {
                    "low_bucket": per_bucket.index[0],
                    "low_rate": low["rate"],
                    "low_n": int(low["customers"]),
                    "high_bucket": per_bucket.index[-1],
                    "high_rate": high["rate"],
                    "high_n": int(high["customers"]),
                },
            )
        )
    return out


def _where_findings(
    v: dict, tables: dict[str, pd.DataFrame], cfg: InvestmentMismatchConfig
) -> list[Finding]:
    """Where the mismatch sits: the riskiest group and its root cause, the stages."""
    out = []
    g = tables["groups"]
    if len(g) and g["rr"].notna().any():
        top = g.iloc[0]
        out.append(
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
    causes = tables["group_root_cause"]
    causes = causes[causes["driver"] != ""]
    for row in causes.head(2).itertuples(index=False):  # the whole pool, the riskiest group
        out.append(
            Finding(
                "mm.root_cause_pool" if row.industry_vertical == ALL else "mm.root_cause",
                {
                    "industry": row.industry_vertical,
                    "size": row.company_size_tier,
                    "n_mismatched": row.mismatched,
                    "n_matched": row.top_matched,
                    "delta": row.delta_composite,
                    "driver": row.driver,
                    "contribution": getattr(row, f"contribution_{row.driver}"),
                    "share": getattr(row, f"contribution_{row.driver}") / row.delta_composite,
                },
            )
        )
    s = worst_stage(tables["stages"], cfg.min_group_size)
    if s is not None:
        out.append(
            Finding(
                "mm.stage",
                {
                    "stage": s["lifecycle_stage"],
                    "rate": s["mismatch_rate_in_top"],
                    "top": int(s["top_customers"]),
                    "mismatched": int(s["mismatched"]),
                    "share": s["share_mismatched"],
                    "customers": int(s["customers"]),
                    "roi_mismatched": s["mean_roi_mismatched"],
                    "roi_matched": s["mean_roi_top_matched"],
                },
            )
        )
    out.append(
        Finding(
            "mm.onboarding", {"r": v["corr_onboarding_adoption"], "p": v["p_onboarding_adoption"]}
        )
    )
    out.append(Finding("mm.anova", {"f": v["anova_f"], "p": v["anova_p"], "eta2": v["anova_eta2"]}))
    cohort = {
        "f": v["cohort_anova_f"],
        "p": v["cohort_anova_p"],
        "eta2": v["cohort_anova_eta2"],
        "df1": v["cohort_anova_df_between"],
        "df2": v["cohort_anova_df_within"],
        "alpha": cfg.significance,
    }
    if v["cohort_anova_f"] == v["cohort_anova_f"]:  # not NaN: two stages with mismatches
        significant = v["cohort_anova_significant"] == "yes"
        out.append(Finding("mm.cohort_anova" if significant else "mm.cohort_anova_ns", cohort))
    low = _low_tercile(tables["roi_terciles_by_stage"], cfg.min_group_size)
    if low is not None:
        out.append(Finding("mm.stage_low_roi", low))
    return out


def _low_tercile(terciles: pd.DataFrame, min_mismatched: int) -> dict | None:
    """The stage (≥ ``min_mismatched`` mismatched customers) whose mismatched customers fall
    most often in the lowest ROI tercile of all customers, against every stage together."""
    low = terciles[terciles["tercile"] == "low"].set_index("lifecycle_stage")
    stage_mismatched = terciles.groupby("lifecycle_stage", observed=True)["mismatched"].sum()
    large = low[stage_mismatched.reindex(low.index).fillna(0) >= min_mismatched]
    large = large.dropna(subset=["share_of_mismatched"])
    if large.empty or not stage_mismatched.sum():
        return None
    best = large.sort_values("share_of_mismatched", ascending=False, kind="stable")
    stage = best.index[0]
    return {
        "stage": stage,
        "share": float(best["share_of_mismatched"].iloc[0]),
        "mismatched": int(stage_mismatched[stage]),
        "overall": float(low["mismatched"].sum() / stage_mismatched.sum()),
    }


def _model_findings(v: dict, cfg: InvestmentMismatchConfig) -> list[Finding]:
    if "model_mismatch_rate_test" not in v:
        return []
    weak = v["model_evidence"] == "weak"
    return [
        Finding(
            "mm.model_weak" if weak else "mm.model",
            {
                "r2": v["model_cv_r2"],
                "sd": v["model_cv_r2_sd"],
                "current": v["current_mismatch_rate_test"],
                "model": v["model_mismatch_rate_test"],
                "weak_r2": cfg.model.weak_r2,
            },
            "warning" if weak else "info",
        )
    ]


def _data_quality_findings(v: dict) -> list[Finding]:
    out = [
        Finding(code, {"count": v[key]}, "warning") for code, key in DATA_QUALITY_FINDINGS if v[key]
    ]
    if v["dropped_missing_metrics"]:
        out.append(
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
    return out


def method(
    cfg: InvestmentMismatchConfig, bounds: dict, roi: dict, as_of: dt.date
) -> dict[str, Any]:
    """The rules and thresholds used, as values (the report prints them in its method notes)."""
    return {
        "identity": cfg.identity,
        "mapping_priority": list(cfg.mapping_priority),
        "dedup_rule": "latest_timestamp_then_email_then_priority",  # codes: value.<code>
        "weights": cfg.weights.model_dump(),
        "normalisation": cfg.normalisation,
        "winsor": [cfg.winsor_low, cfg.winsor_high],
        "bounds": {k: list(v) for k, v in bounds.items()},
        "roi_bounds": [roi["p1"], roi["p99"]],
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
        "min_example_size": cfg.min_example_size,
        "root_cause_groups": cfg.root_cause_groups,
        "bias_follows": cfg.bias_follows,
        "bias_ignores": cfg.bias_ignores,
        "significance": cfg.significance,
        "conversion_target": cfg.conversion_target,
        "as_of": as_of.isoformat(),
    }
