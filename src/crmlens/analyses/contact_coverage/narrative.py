"""Contact-coverage narrative as codes: headline metrics, findings, recommendations, method."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pandas as pd

from crmlens.analyses.base import Finding, Metric, Recommendation
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
    df: pd.DataFrame, groups: pd.DataFrame, source: KeyAccounts, plan: pd.DataFrame
) -> dict[str, Metric]:
    """``plan`` is the ``plan_summary`` table: the plan's totals are the report's totals."""
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
        "contacts_to_add": Metric(int(df["contacts_to_add"].sum())),
        "executives_to_add": Metric(int(df["executives_to_add"].sum())),
        "plan_new_contacts_at_risk": Metric(int(df.loc[at_risk, "plan_new_contacts"].sum())),
        "plan_new_executives": Metric(plan_total(plan, "action.add_executives")),
        "plan_new_contacts": Metric(
            plan_total(plan, "action.add_executives") + plan_total(plan, "action.add_contacts")
        ),
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
        "tiers": {"high": cfg.high_risk_score, "medium": cfg.medium_risk_score},
        "title_rules": config.titles.model_dump(),
        "key_departments": {k: v for k, v in config.departments.key.items()},
        "other_departments": {k: v for k, v in config.departments.other.items()},
        "as_of": as_of.isoformat(),
    }
