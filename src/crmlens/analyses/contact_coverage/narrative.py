"""Contact-coverage narrative as codes: headline metrics, findings, recommendations, method."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pandas as pd

from crmlens.analyses.base import Finding, Metric, Recommendation
from crmlens.analyses.contact_coverage import peers, risk
from crmlens.analyses.contact_coverage import tables as cc_tables
from crmlens.analyses.contact_coverage.config import ContactCoverageConfig
from crmlens.analyses.contact_coverage.key_accounts import KeyAccounts
from crmlens.analyses.toolkit import top_n
from crmlens.config import CrmlensConfig
from crmlens.stats.basic import percentile, rate

DATA_QUALITY_FINDINGS = (  # finding code, metric counted
    ("dq.key_employees_unknown", "key_employees_unknown"),
    ("dq.key_zero_contacts", "key_zero_contacts"),
    ("dq.contacts_dept_unknown", "contacts_dept_unknown"),
    ("dq.contacts_title_unrecognised", "contacts_title_unrecognised"),
    ("dq.contacts_orphan", "contacts_orphan"),
    ("dq.peer_fallback_groups", "peer_fallback_groups"),
)


def plan_total(summary: pd.DataFrame, action: str, column: str = "quantity") -> int:
    """The plan's total of one action (``plan_summary`` rows; 0 when no entity gets it)."""
    rows = summary.loc[summary["action"] == action, column]
    return int(rows.fillna(0).sum())


def metrics(
    df: pd.DataFrame,
    groups: pd.DataFrame,
    source: KeyAccounts,
    cfg: ContactCoverageConfig,
    outcome: dict[str, Any],
    plan: pd.DataFrame,
) -> dict[str, Metric]:
    """``plan`` is the ``plan_summary`` table: the plan's totals are the report's totals."""
    return (
        base_metrics(df, groups, source)
        | plan_metrics(df, plan)
        | peer_metrics(df, cfg)
        | model_metrics(df, cfg)
        | profile_metrics(df, cfg)
        | key_quality_metrics(df, source)
        | alert_metrics(df, cfg)
        | outcome_metrics(outcome)
    )


def base_metrics(df: pd.DataFrame, groups: pd.DataFrame, source: KeyAccounts) -> dict[str, Metric]:
    known = df["density"].notna()
    n_known = int(known.sum())
    n_key = source.key
    at_risk = df["risk_class"] != "none"
    employees_unknown = int((~df["employees_known"].astype(bool)).sum())
    dq = source.quality

    def count(mask: pd.Series) -> Metric:
        return Metric(int(mask.sum()))

    return {
        "accounts": Metric(source.accounts),
        "accounts_revenue_known": Metric(source.revenue_known),
        "accounts_revenue_null": Metric(source.revenue_null),
        "revenue_null_high_risk": Metric(source.hidden["high_risk"]),
        "revenue_null_enterprise": Metric(source.hidden["enterprise"]),
        "key_accounts": Metric(n_key),
        "revenue_threshold": Metric(source.threshold, "usd"),
        "tied_excluded": Metric(source.tied_excluded),
        "fail_density_red_line": count(df["low_density_rl"]),
        "fail_decision_red_line": count(df["low_decision_rl"]),
        "fail_coverage_red_line": count(df["low_coverage_rl"]),
        "fail_density_peer": count(df["low_density_peer"]),
        "fail_decision_peer": count(df["low_decision_peer"]),
        "fail_coverage_peer": count(df["low_coverage_peer"]),
        "strong_risk": count(df["risk_class"] == "strong"),
        "secondary_risk": count(df["risk_class"] == "secondary"),
        "high_risk": count(df["tier"] == "high"),
        "medium_risk": count(df["tier"] == "medium"),
        "low_risk": count(df["tier"] == "low"),
        "data_gap": count(df["tier"] == "data_gap"),
        "high_risk_share": Metric(rate(int((df["tier"] == "high").sum()), n_key), "ratio"),
        "density_pass_rate": Metric(
            rate(int((known & ~df["low_density_rl"]).sum()), n_known), "ratio"
        ),
        "decision_pass_rate": Metric(rate(int((~df["low_decision_rl"]).sum()), n_key), "ratio"),
        "coverage_pass_rate": Metric(rate(int((~df["low_coverage_rl"]).sum()), n_key), "ratio"),
        "median_density": Metric(percentile(df["density"], 0.5), "per_1000"),
        "mean_density": Metric(float(df["density"].mean()) if n_known else None, "per_1000"),
        "median_decision_ratio": Metric(percentile(df["decision_ratio"], 0.5), "ratio"),
        "mean_coverage": Metric(float(df["coverage"].mean()), "score"),
        "full_coverage_accounts": count(df["coverage"] == len(source.key_departments)),
        "plan_new_contacts_at_risk": Metric(int(df.loc[at_risk, "contacts_to_add"].sum())),
        "departments_to_add": Metric(int(df["n_departments_to_add"].sum())),
        "workload_uncomputable": Metric(employees_unknown),
        "key_employees_unknown": Metric(employees_unknown),
        "key_zero_contacts": count(df["n_contacts"] == 0),
        "contacts_live": Metric(dq["live"]),
        "contacts_deleted": Metric(dq["deleted"]),
        "contacts_dept_unknown": Metric(dq["dept_unknown"]),
        "contacts_title_unrecognised": Metric(dq["title_unrecognised"]),
        "contacts_orphan": Metric(dq["orphans"]),
        "peer_groups": Metric(len(groups)),
        "peer_fallback_groups": Metric(int(groups["fallback"].sum()) if len(groups) else 0),
    }


def _mean(values: pd.Series) -> float | None:
    values = values.dropna()
    return float(values.mean()) if len(values) else None


def plan_metrics(df: pd.DataFrame, plan: pd.DataFrame) -> dict[str, Metric]:
    """The joint plan, summed once from the per-account columns every output shows (the action
    rows carry the same numbers: executives, and the other contacts)."""
    total = df["contacts_to_add"].to_numpy(dtype="int64")
    executives = df["executives_to_add"].to_numpy(dtype="int64")
    failing = total > 0
    n_failing = int(failing.sum())
    return {
        "contacts_to_add": Metric(int(total.sum())),
        "executives_to_add": Metric(int(executives.sum())),
        "other_contacts_to_add": Metric(int(total.sum() - executives.sum())),
        "plan_accounts": Metric(n_failing),
        "plan_contacts_per_account": Metric(rate(int(total.sum()), n_failing), "score"),
        "plan_executives_per_account": Metric(rate(int(executives.sum()), n_failing), "score"),
        "density_need_only": Metric(int(df["density_need"].fillna(0).sum())),
        "plan_new_executives": Metric(plan_total(plan, "action.add_executives")),
        "plan_new_contacts": Metric(
            plan_total(plan, "action.add_executives") + plan_total(plan, "action.add_contacts")
        ),
    }


def peer_metrics(df: pd.DataFrame, cfg: ContactCoverageConfig) -> dict[str, Metric]:
    state = peers.collapse(df, cfg)
    relative = df["risk_class_relative"]
    return {
        "peer_track_at_red_line": Metric(state["at_red_line"]),
        "peer_track_at_red_line_share": Metric(state["share"], "ratio"),
        "peer_track_collapsed": Metric(int(state["collapsed"])),
        "fail_density_relative": Metric(int(df["low_density_relative"].sum())),
        "relative_not_evaluated": Metric(int((df["relative_group"] == "none").sum())),
        "strong_risk_relative": Metric(int((relative == "strong").sum())),
        "secondary_risk_relative": Metric(int((relative == "secondary").sum())),
    }


def model_metrics(df: pd.DataFrame, cfg: ContactCoverageConfig) -> dict[str, Metric]:
    return {
        "risk_model": Metric(cfg.risk_model, "text"),
        "high_risk_weighted": Metric(int((df["tier_weighted"] == "high").sum())),
        "high_risk_additive": Metric(int((df["tier_additive"] == "high").sum())),
        "high_risk_both_models": Metric(
            int(((df["tier_weighted"] == "high") & (df["tier_additive"] == "high")).sum())
        ),
        "additive_high_cut": Metric(
            risk.additive_cut(df["points_score"].to_numpy(), cfg) if len(df) else None, "score"
        ),
        "mean_points_score": Metric(_mean(df["points_score"]), "score"),
    }


def profile_metrics(df: pd.DataFrame, cfg: ContactCoverageConfig) -> dict[str, Metric]:
    """What was computed but not shown: averages, mean gaps, the top high-risk accounts' traits,
    inferred sizes."""
    top = cc_tables.top_risk_profile(cc_tables.top_risk(df, cfg.top_n)).set_index("trait")["share"]
    known = df["density"].notna()
    return {
        "size_inferred": Metric(int(df["size_inferred"].sum())),
        "mean_decision_ratio": Metric(_mean(df["decision_ratio"]), "ratio"),
        "median_coverage": Metric(percentile(df["coverage"], 0.5), "score"),
        "mean_gap_density": Metric(_mean(df.loc[known, "gap_density"]), "ratio"),
        "mean_gap_decision": Metric(_mean(df["gap_decision"]), "ratio"),
        "mean_gap_coverage": Metric(_mean(df["gap_coverage"]), "ratio"),
        "top_risk_accounts": Metric(len(cc_tables.top_risk(df, cfg.top_n))),
        **{f"top_risk_{k}_share": Metric(top.get(k), "ratio") for k in cc_tables.TOP_RISK_TRAITS},
    }


def key_quality_metrics(df: pd.DataFrame, source: KeyAccounts) -> dict[str, Metric]:
    """Contact data quality at the key accounts, next to the all-contacts figures."""
    live = int(df["n_contacts"].sum())
    dept = int(df["n_dept_unknown"].sum())
    title = int(df["n_title_unrecognised"].sum())
    dq = source.quality
    return {
        "key_contacts_live": Metric(live),
        "key_contacts_dept_unknown": Metric(dept),
        "key_contacts_title_unrecognised": Metric(title),
        "key_contacts_dept_unknown_share": Metric(rate(dept, live), "ratio"),
        "key_contacts_title_unrecognised_share": Metric(rate(title, live), "ratio"),
        "contacts_dept_unknown_share": Metric(rate(dq["dept_unknown"], dq["live"]), "ratio"),
        "contacts_title_unrecognised_share": Metric(
            rate(dq["title_unrecognised"], dq["live"]), "ratio"
        ),
    }


def alert_metrics(df: pd.DataFrame, cfg: ContactCoverageConfig) -> dict[str, Metric]:
    """The counts the default monitoring rules of the seeds watch (rules.yaml)."""
    density = df["density"].astype("float64")
    q1 = density.groupby(df["industry_normalized"], dropna=False).transform(
        lambda d: percentile(d.to_numpy(dtype="float64"), 0.25)
    )
    far_below = density <= (1 - cfg.alert_density_q1_shortfall) * q1
    density_alert = density.notna() & ((density < cfg.density_red_line) | far_below)
    critical = [d for d in cfg.alert_critical_departments if f"has_{d}" in df.columns]
    critical_missing = ~df[[f"has_{d}" for d in critical]].all(axis=1) if critical else False
    coverage_alert = (df["coverage"] < cfg.alert_coverage_below) & critical_missing
    return {
        "density_alert_accounts": Metric(int(density_alert.sum())),
        "coverage_critical_accounts": Metric(int(pd.Series(coverage_alert).sum())),
        "decision_makers": Metric(int(df["n_decision"].sum())),
        "accounts_passing_red_lines": Metric(int(cc_tables.passes_red_lines(df).sum())),
    }


def outcome_metrics(outcome: dict[str, Any]) -> dict[str, Metric]:
    units = {
        "deals": "count",
        "win_rate_high": "ratio",
        "win_rate_other": "ratio",
        "win_rate_difference": "ratio",
        "win_rate_difference_low": "ratio",
        "win_rate_difference_high": "ratio",
        "comparisons_judged": "count",
        "comparisons_lower": "count",
    }
    out = {
        "outcome_status": Metric(outcome["status"], "text"),
        "outcome_verdict": Metric(outcome["verdict"], "text"),
    }
    return out | {f"outcome_{k}": Metric(outcome.get(k), u) for k, u in units.items()}


def findings(m: dict[str, Metric], tables: dict[str, pd.DataFrame]) -> tuple[Finding, ...]:
    v = {k: x.value for k, x in m.items()}
    f = [
        Finding(
            "cc.key_accounts",
            {
                "key_accounts": v["key_accounts"],
                "accounts": v["accounts_revenue_known"],
                "threshold": v["revenue_threshold"],
                "tied_excluded": v["tied_excluded"],
            },
        ),
        Finding(
            "cc.high_risk",
            {"count": v["high_risk"], "share": v["high_risk_share"], "strong": v["strong_risk"]},
            "critical" if v["high_risk"] else "info",
        ),
        Finding(
            "cc.fail_rates",
            {
                "density": v["fail_density_red_line"],
                "decision": v["fail_decision_red_line"],
                "coverage": v["fail_coverage_red_line"],
                "key_accounts": v["key_accounts"],
            },
            "warning",
        ),
    ]
    by_ind = tables["by_industry"]
    if len(by_ind) and by_ind["high"].max() > 0:
        top = top_n(by_ind, 1, ["high", "industry_normalized"], [False, True]).iloc[0]
        f.append(
            Finding(
                "cc.top_industry",
                {
                    "industry": top["industry_normalized"],
                    "count": int(top["high"]),
                    "share": top["high_share"],
                },
                "warning",
            )
        )
    gaps = tables["department_gaps"]
    if len(gaps) and gaps["accounts_missing"].max() > 0:
        g = top_department_gap(gaps)
        f.append(
            Finding(
                "cc.top_department_gap",
                {
                    "department": g["department"],
                    "count": int(g["accounts_missing"]),
                    "share": g["share_missing"],
                },
                "warning",
            )
        )
    if v["data_gap"]:
        f.append(Finding("cc.data_gap", {"count": v["data_gap"]}, "warning"))
    f += depth_findings(v)
    if v["accounts_revenue_null"]:
        f.append(
            Finding(
                "dq.revenue_null",
                {
                    "count": v["accounts_revenue_null"],
                    "high_risk": v["revenue_null_high_risk"],
                    "enterprise": v["revenue_null_enterprise"],
                },
                "warning",
            )
        )
    for code, key in DATA_QUALITY_FINDINGS:
        if v[key]:
            params = {"count": v[key]}
            if key.startswith("contacts_"):  # a share of the live contacts: how large the bias
                params["share"] = rate(v[key], v["contacts_live"])
            f.append(Finding(code, params, "warning"))
    if v["tied_excluded"]:
        f.append(
            Finding(
                "cc.ties_at_cut",
                {"count": v["tied_excluded"], "threshold": v["revenue_threshold"]},
                "info",
            )
        )
    return tuple(f)


def depth_findings(v: dict[str, Any]) -> list[Finding]:
    """Peer-track state, risk model, joint plan, averages, the top accounts' profile, key-account
    data quality and the outcome check, as sentences."""
    f = [
        Finding(
            "cc.risk_model",
            {
                "model": "risk_model." + v["risk_model"],
                "high": v["high_risk"],
                "weighted": v["high_risk_weighted"],
                "additive": v["high_risk_additive"],
                "both": v["high_risk_both_models"],
            },
        ),
        Finding(
            "cc.peer_collapsed" if v["peer_track_collapsed"] else "cc.peer_distinct",
            {
                "share": v["peer_track_at_red_line_share"],
                "at_red_line": v["peer_track_at_red_line"],
                "key_accounts": v["key_accounts"],
                "strong": v["strong_risk"],
                "secondary": v["secondary_risk"],
                "relative": v["fail_density_relative"],
                "strong_relative": v["strong_risk_relative"],
                "secondary_relative": v["secondary_risk_relative"],
            },
            "warning" if v["peer_track_collapsed"] else "info",
        ),
        Finding(
            "cc.averages",
            {
                "mean_density": v["mean_density"],
                "median_density": v["median_density"],
                "mean_ratio": v["mean_decision_ratio"],
                "median_ratio": v["median_decision_ratio"],
                "mean_coverage": v["mean_coverage"],
                "median_coverage": v["median_coverage"],
            },
        ),
        Finding(
            "dq.key_contacts_quality",
            {
                "live": v["key_contacts_live"],
                "dept": v["key_contacts_dept_unknown"],
                "dept_share": v["key_contacts_dept_unknown_share"],
                "title": v["key_contacts_title_unrecognised"],
                "title_share": v["key_contacts_title_unrecognised_share"],
                "all_dept_share": v["contacts_dept_unknown_share"],
                "all_title_share": v["contacts_title_unrecognised_share"],
            },
        ),
    ]
    if v["size_inferred"]:
        f.append(Finding("cc.size_inferred", {"count": v["size_inferred"]}))
    if v["plan_accounts"]:
        f.append(
            Finding(
                "cc.joint_plan",
                {
                    "contacts": v["contacts_to_add"],
                    "executives": v["executives_to_add"],
                    "accounts": v["plan_accounts"],
                    "per_account": v["plan_contacts_per_account"],
                    "executives_per_account": v["plan_executives_per_account"],
                },
            )
        )
    if v["top_risk_accounts"]:
        f.append(
            Finding(
                "cc.top_risk_profile",
                {
                    "count": v["top_risk_accounts"],
                    "zero_contacts": v["top_risk_zero_contacts_share"],
                    "no_decision": v["top_risk_no_decision_maker_share"],
                    "no_department": v["top_risk_no_key_department_share"],
                },
            )
        )
    f.append(outcome_finding(v))
    return f


def outcome_finding(v: dict[str, Any]) -> Finding:
    if v["outcome_status"] != "compared":
        return Finding("cc.outcome_skipped", {"reason": "outcome." + v["outcome_status"]})
    return Finding(
        "cc.outcome_verdict",
        {
            "verdict": "outcome." + v["outcome_verdict"],
            "deals": v["outcome_deals"],
            "high": v["outcome_win_rate_high"],
            "other": v["outcome_win_rate_other"],
            "difference": v["outcome_win_rate_difference"],
            "low": v["outcome_win_rate_difference_low"],
            "upper": v["outcome_win_rate_difference_high"],
            "lower": v["outcome_comparisons_lower"],
            "judged": v["outcome_comparisons_judged"],
        },
        "warning" if v["outcome_verdict"] != "supports" else "info",
    )


def top_department_gap(gaps: pd.DataFrame) -> pd.Series:
    """The department missing in most key accounts (ties: by name)."""
    return top_n(gaps, 1, ["accounts_missing", "department"], [False, True]).iloc[0]


def recommendations(
    m: dict[str, Metric],
    tables: dict[str, pd.DataFrame],
    cfg: ContactCoverageConfig,
    df: pd.DataFrame,
) -> tuple[Recommendation, ...]:
    v = {k: x.value for k, x in m.items()}
    recs: list[Recommendation] = []
    plan = tables["plan_summary"]  # the quantities are the plan's: one number, one place
    if plan_total(plan, "action.add_executives"):
        recs.append(
            Recommendation(
                "rec.add_executives",
                {
                    "accounts": plan_total(plan, "action.add_executives", "entities"),
                    "contacts": plan_total(plan, "action.add_executives"),
                    "target": cfg.decision_ratio_red_line,
                },
                {"metric": "decision_ratio", "min": cfg.decision_ratio_red_line},
            )
        )
    if plan_total(plan, "action.add_contacts"):
        recs.append(
            Recommendation(
                "rec.add_contacts",
                {
                    "accounts": plan_total(plan, "action.add_contacts", "entities"),
                    "contacts": plan_total(plan, "action.add_contacts"),
                    "total": v["plan_new_contacts"],
                },
                {"metric": "density", "min": cfg.density_red_line},
            )
        )
    if v["departments_to_add"]:
        recs.append(
            Recommendation(
                "rec.cover_departments",
                {
                    "accounts": int((df["n_departments_to_add"] > 0).sum()),
                    "departments": v["departments_to_add"],
                    "top_department": top_department_gap(tables["department_gaps"])["department"],
                },
                {"metric": "coverage", "min": "baseline by size"},
            )
        )
    for size, role in cfg.queues.items():
        q = int(((df["risk_class"] == "strong") & (df["company_size_category"] == size)).sum())
        if q:
            recs.append(
                Recommendation(
                    "rec.queue",
                    {
                        "size": size,
                        "role": role,
                        "accounts": q,
                        "first_due_days": cfg.milestones_days[1],
                    },
                    {"queue": role},
                )
            )
    data_fixes = {
        "employees_unknown": v["key_employees_unknown"],
        "titles": v["contacts_title_unrecognised"],
        "departments": v["contacts_dept_unknown"],
    }
    if any(data_fixes.values()):
        recs.append(
            Recommendation("rec.fix_data", data_fixes | {"days": cfg.milestones_days[0]}, {})
        )
    recs.append(
        Recommendation(
            "rec.monitor",
            {
                "density": v["density_pass_rate"],
                "decision": v["decision_pass_rate"],
                "coverage": v["coverage_pass_rate"],
            },
            {"cadence": "weekly"},
        )
    )
    return tuple(recs)


def method(cfg: ContactCoverageConfig, config: CrmlensConfig, as_of: dt.date) -> dict[str, Any]:
    """The rules and thresholds used, as values (the report prints them in its method notes)."""
    return {
        "key_account_share": cfg.key_account_share,
        "tie_break": "revenue_desc_then_id",  # codes, worded by the catalogs (value.<code>)
        "density_per_employees": cfg.density_per_employees,
        "density_red_line": cfg.density_red_line,
        "decision_ratio_red_line": cfg.decision_ratio_red_line,
        "coverage_baseline": (
            dict(cfg.coverage_baseline) | {"(other)": cfg.coverage_baseline_default}
        ),
        "peer_percentile": cfg.peer_percentile,
        "peer_min_group_size": cfg.peer_min_group_size,
        "percentile_method": "linear_interpolation",
        "industry_must_have": cfg.industry_must_have,
        "weights": cfg.weights.model_dump(),
        "risk_model": cfg.risk_model,
        "additive": cfg.additive.model_dump(),
        "size_from_employees": dict(cfg.size_from_employees),
        "size_unknown_values": list(cfg.size_unknown_values),
        "relative_peer_fraction": cfg.relative_peer_fraction,
        "peer_collapse_share": cfg.peer_collapse_share,
        "outcome_window_days": cfg.outcome_window_days,
        "outcome_types": {k: list(v) for k, v in cfg.outcome_types.items()},
        "outcome_min_deals": cfg.outcome_min_deals,
        "alert_density_q1_shortfall": cfg.alert_density_q1_shortfall,
        "alert_coverage_below": cfg.alert_coverage_below,
        "alert_critical_departments": list(cfg.alert_critical_departments),
        "tiers": {"high": cfg.high_risk_score, "medium": cfg.medium_risk_score},
        "title_rules": config.titles.model_dump(),
        "key_departments": {k: v for k, v in config.departments.key.items()},
        "other_departments": {k: v for k, v in config.departments.other.items()},
        "as_of": as_of.isoformat(),
    }
