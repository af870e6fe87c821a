"""The report as a neutral document (sections of paragraphs, metric grids, tables, charts),
built from AnalysisResults in one language.  HTML and Markdown writers only lay it out.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any

import pandas as pd

from crmlens.analyses.base import AnalysisResult
from crmlens.report.charts import Chart, charts_for
from crmlens.report.i18n import fmt_value, has, t, tr_codes, tr_value
from crmlens.schema.contracts import cap_text
from crmlens.schema.contracts import CONTRACTS

UNIT_SPEC = {"count": "int", "ratio": "pct", "usd": "usd", "per_1000": "num", "score": "num", "days": "int", "text": ""}
PII_COLUMNS = frozenset(c.name for spec in CONTRACTS.values() for c in spec.columns if c.pii)


@dataclass
class Para:
    text: str
    severity: str = "info"


@dataclass
class MetricGrid:
    items: list[tuple[str, str]]


@dataclass
class Bullets:
    items: list[str]


@dataclass
class TableBlock:
    id: str
    title: str
    columns: list[str]
    rows: list[list[str]]
    sort_keys: list[list[Any]]
    total_rows: int


@dataclass
class ChartBlock:
    chart: Chart


@dataclass
class Section:
    id: str
    title: str
    blocks: list[Any] = field(default_factory=list)
    level: int = 2


@dataclass
class Document:
    lang: str
    title: str
    subtitle: str
    sections: list[Section]


# ---- table presentation: which columns, formatted how ------------------------------------------

COLUMN_SPECS: dict[str, str] = {
    "annual_revenue": "usd", "revenue_threshold": "usd", "density": "num", "decision_ratio": "pct",
    "density_threshold": "num", "coverage_threshold": "num", "p_density": "num", "p_coverage": "num",
    "risk_score": "num", "gap_score": "num", "priority_score": "num", "high_share": "pct",
    "density_pass_rate": "pct", "decision_pass_rate": "pct", "coverage_pass_rate": "pct",
    "median_density": "num", "mean_coverage": "num", "share_missing": "pct", "coverage_rate": "pct",
    "density_target": "num", "number_of_employees": "int", "accounts": "int", "key_accounts": "int",
    "tier": "t", "risk_class": "t", "company_size_category": "t", "industry_normalized": "t",
    "department": "t", "owner_role": "t", "action": "t", "missing_departments": "list",
    "departments_to_add": "list", "must_have_departments": "list", "data_gap_reason": "list", "entry_roles": "list",
    "most_missing_department": "t", "fallback": "t",
    "industry_vertical": "t", "company_size_tier": "t", "lifecycle_stage": "t", "decision_maker_level": "t",
    "investment_priority_score": "num", "composite": "num", "norm_sales": "num", "norm_adoption": "num", "norm_support": "num",
    "roi": "num", "roi_w": "num", "reasons": "codes", "mismatch_rate": "pct", "rr": "num", "rr_low": "num", "rr_high": "num",
    "gap_sales": "num", "gap_adoption": "num", "gap_support": "num", "share_sales": "pct", "share_adoption": "pct",
    "share_support": "pct", "mean_roi": "num", "median_roi": "num", "mean_adoption": "pct", "mean_priority": "num",
    "mean_composite": "num", "corr_priority": "num", "corr_composite": "num", "alignment": "num", "misaligned": "t",
    "coefficient": "num", "component": "t", "share": "pct", "r": "num", "t": "num", "p": "p", "executive": "t",
    "customer_onboarding_score": "num", "team_size": "int", "customers": "int", "priority_tercile": "t",
}

TABLE_VIEWS: dict[str, dict[str, list[str]]] = {
    "contact_coverage": {
        "top_risk": ["priority_rank", "account_name", "industry_normalized", "company_size_category", "annual_revenue",
                     "number_of_employees", "n_contacts", "density", "decision_ratio", "coverage", "missing_departments",
                     "risk_score", "tier", "data_gap_reason", "risk_class", "contacts_to_add", "executives_to_add", "departments_to_add", "owner_role"],
        "by_industry": ["industry_normalized", "key_accounts", "high", "data_gap", "medium", "low", "high_share", "density_pass_rate",
                        "decision_pass_rate", "coverage_pass_rate", "median_density", "mean_coverage", "contacts_to_add", "executives_to_add"],
        "by_size": ["company_size_category", "key_accounts", "high", "data_gap", "medium", "low", "high_share", "density_pass_rate",
                    "decision_pass_rate", "coverage_pass_rate", "median_density", "mean_coverage", "contacts_to_add", "executives_to_add"],
        "industry_playbooks": ["industry_normalized", "key_accounts", "high_risk", "density_target", "must_have_departments", "entry_roles", "most_missing_department"],
        "peer_groups": ["industry_normalized", "company_size_category", "accounts", "p_density", "p_coverage", "density_threshold", "coverage_threshold", "fallback"],
        "department_gaps": ["department", "accounts_missing", "share_missing"],
        "sample_mix": ["industry_normalized", "company_size_category", "accounts"],
        "workload_uncomputable": ["priority_rank", "account_name", "industry_normalized", "company_size_category", "number_of_employees", "n_contacts", "tier"],
    },
    "investment_mismatch": {
        "top_mismatched": ["customer360_id", "primary_email", "industry_vertical", "company_size_tier", "lifecycle_stage", "decision_maker_level",
                       "investment_priority_score", "composite", "roi_w", "customer_onboarding_score", "reasons"],
        "groups": ["industry_vertical", "company_size_tier", "top_customers", "mismatched", "mismatch_rate", "rr", "rr_low", "rr_high",
                   "share_sales", "share_adoption", "share_support"],
        "stages": ["lifecycle_stage", "customers", "mismatched", "mismatch_rate", "mean_roi", "median_roi"],
        "onboarding_buckets": ["onboarding", "customers", "mean_adoption", "mean_roi", "mismatch_rate"],
        "team_decision": ["team_size_bucket", "executive", "customers", "mean_roi"],
        "priority_terciles": ["priority_tercile", "customers", "mean_priority", "mean_composite", "mean_roi"],
        "gap_decomposition": ["component", "share"],
        "model_coefficients": ["feature", "coefficient"],
        "feature_alignment": ["feature", "corr_priority", "corr_composite", "alignment", "misaligned"],
        "onboarding_adoption_by_group": ["industry_vertical", "company_size_tier", "n", "r", "t", "p"],
    },
}

HEADLINE_METRICS: dict[str, list[str]] = {
    "contact_coverage": ["key_accounts", "revenue_threshold", "high_risk", "high_risk_share", "strong_risk",
                         "density_pass_rate", "decision_pass_rate", "coverage_pass_rate", "median_density",
                         "median_decision_ratio", "mean_coverage", "contacts_to_add", "executives_to_add", "departments_to_add"],
    "investment_mismatch": ["base_customers", "top_priority", "mismatched", "mismatch_rate_in_top", "mismatch_share_of_all",
                            "roi_mean_mismatched", "roi_mean_matched", "roi_median", "top_roi_below_alert", "corr_priority_composite",
                            "corr_onboarding_adoption", "model_cv_r2", "current_mismatch_rate_test", "model_mismatch_rate_test"],
}


def format_cell(value: Any, col: str, lang: str) -> str:
    if value is None or (isinstance(value, float) and math.isnan(value)) or value is pd.NA:
        return "—"
    if isinstance(value, str):
        value = cap_text(value)  # a label, not the data: tables/ keeps the full text
    spec = COLUMN_SPECS.get(col, "")
    if spec == "list" and isinstance(value, str):
        value = [v for v in value.split("; ") if v]
    if spec == "codes":
        return tr_codes(value if isinstance(value, str) else "; ".join(value), lang)
    if isinstance(value, bool) or spec == "t":
        return tr_value(str(value), lang)
    return fmt_value(value, spec, lang) if spec else fmt_value(value, "", lang)


def _sort_key(value: Any) -> Any:
    if value is None or value is pd.NA or (isinstance(value, float) and math.isnan(value)):
        return None
    if isinstance(value, (list, tuple)):
        return len(value)
    if hasattr(value, "item"):
        return value.item()
    if isinstance(value, str):
        return cap_text(value)
    return value if isinstance(value, (int, float)) else str(value)


def table_block(r: AnalysisResult, name: str, lang: str, limit: int, include_pii: bool) -> TableBlock | None:
    df = r.tables.get(name)
    if df is None:
        return None
    cols = [c for c in TABLE_VIEWS.get(r.analysis, {}).get(name, list(df.columns)) if c in df.columns]
    if not include_pii:
        cols = [c for c in cols if c not in PII_COLUMNS]
    view = df[cols].head(limit)
    rows = [[format_cell(v, c, lang) for c, v in zip(cols, rec)] for rec in view.itertuples(index=False, name=None)]
    keys = [[_sort_key(v) for v in rec] for rec in view.itertuples(index=False, name=None)]
    return TableBlock(f"{r.analysis}-{name}", t(f"table.{r.analysis}.{name}", lang), [t(f"col.{c}", lang) for c in cols], rows, keys, len(df))


def metric_grid(r: AnalysisResult, lang: str) -> MetricGrid:
    items = []
    for name in HEADLINE_METRICS.get(r.analysis, list(r.metrics)):
        if name not in r.metrics:  # e.g. model metrics when too few rows to fit a model
            continue
        m = r.metrics[name]
        items.append((t(f"metric.{r.analysis}.{name}", lang), fmt_value(m.value, UNIT_SPEC[m.unit], lang)))
    return MetricGrid(items)


def method_notes(r: AnalysisResult, lang: str) -> list[Any]:
    blocks: list[Any] = []
    m = r.method
    if r.analysis == "contact_coverage":
        blocks.append(Bullets([
            t("method.cc.key_accounts", lang, share=m["key_account_share"], tie_break=m["tie_break"]),
            t("method.cc.density", lang, per=m["density_per_employees"], red_line=m["density_red_line"]),
            t("method.cc.decision", lang, red_line=m["decision_ratio_red_line"]),
            t("method.cc.coverage", lang, departments=list(m["key_departments"]),
              baselines="; ".join(f"{tr_value(k, lang)} {v}" for k, v in m["coverage_baseline"].items())),
            t("method.cc.peer", lang, pct=m["peer_percentile"], min_group=m["peer_min_group_size"], method=m["percentile_method"]),
            t("method.cc.must_have", lang, rules="; ".join(f"{tr_value(k, lang)}: {fmt_value(v, 'list', lang)}" for k, v in m["industry_must_have"].items())),
            t("method.cc.risk", lang, wd=m["weights"]["density"], wr=m["weights"]["decision"], wc=m["weights"]["coverage"], high=m["tiers"]["high"], medium=m["tiers"]["medium"]),
            t("method.cc.data_gap", lang),
            t("method.cc.exclusions", lang),
        ]))
        rules = m["title_rules"]
        blocks.append(Para(t("method.cc.title_rules", lang)))
        blocks.append(Bullets([f"{t('value.' + k, lang)}: " + " | ".join(f"`{p}`" for p in rules[k]) for k in ("exclude", "c_level", "vp", "known_other")]))
        blocks.append(Para(t("method.cc.department_rules", lang)))
        blocks.append(Bullets([f"{tr_value(k, lang)}: " + " | ".join(f"`{p}`" for p in v) for k, v in m["key_departments"].items()]))
    elif r.analysis == "investment_mismatch":
        w, mo = m["weights"], m["model"]
        blocks.append(Bullets([
            t("method.mm.identity", lang, identity=m["identity"], rule=m["dedup_rule"]),
            t("method.mm.composite", lang, ws=w["sales"], wa=w["adoption"], wsu=w["support"], lo=m["winsor"][0], hi=m["winsor"][1], norm=m["normalisation"]),
            t("method.mm.flags", lang, top=1 - m["priority_top_share"], bottom=m["composite_bottom_share"]),
            t("method.mm.roi", lang, alert=m["roi_alert"]),
            t("method.mm.rr", lang, min=m["min_group_size"]),
            t("method.mm.model", lang, alpha=mo["alpha"], features=", ".join(mo["features"]), folds=mo["cv_folds"], test=mo["test_share"], seed=mo["seed"]),
        ]))
    return blocks


def since_last_section(since: dict, results: dict[str, AnalysisResult], lang: str) -> Section:
    sec = Section("since-last-run", t("report.since_last", lang, previous=since["previous_as_of"]))
    deltas = since["metric_deltas"]
    rows, keys = [], []
    for d in deltas.itertuples(index=False):
        if d.metric not in HEADLINE_METRICS.get(d.analysis, []) or d.delta == 0:
            continue
        spec = UNIT_SPEC.get(d.unit, "num")
        sign = "+" if d.delta > 0 else "−"
        rows.append([t(f"analysis.{d.analysis}.title", lang), t(f"metric.{d.analysis}.{d.metric}", lang),
                     fmt_value(d.previous, spec, lang), fmt_value(d.current, spec, lang), sign + fmt_value(abs(d.delta), spec, lang)])
        keys.append([d.analysis, d.metric, d.previous, d.current, d.delta])
    if rows:
        sec.blocks.append(TableBlock("since-last-deltas", t("report.metric_changes", lang),
                                     [t(c, lang) for c in ("col.analysis", "report.metric", "report.previous", "report.current", "report.delta")],
                                     rows, keys, len(rows)))
    else:
        sec.blocks.append(Para(t("report.no_metric_changes", lang)))
    for key, ents in since["lists"].items():
        analysis, event = key.split(":", 1)
        names = [str(n) for n in ents["entity_name"].head(30)]
        more = len(ents) - len(names)
        sec.blocks.append(Para(t(f"report.event.{event}", lang, count=len(ents), names=", ".join(names) + (f" (+{more})" if more > 0 else ""))))
    return sec


def alerts_section(alerts: list[dict], lang: str) -> Section:
    sec = Section("alerts", t("report.alerts", lang, count=len(alerts)))
    if not alerts:
        sec.blocks.append(Para(t("report.no_alerts", lang)))
        return sec
    order = {"critical": 0, "warning": 1, "info": 2}
    for a in sorted(alerts, key=lambda a: (order.get(a["severity"], 3), a["rule_id"])):
        sec.blocks.append(Para(f"[{tr_value(a['severity'], lang)}] {a['message'][lang]} — {tr_value(a['owner'], lang)}", a["severity"]))
    return sec


def build_document(results: dict[str, AnalysisResult], lang: str, *, include_pii: bool = False, top_n: int = 20,
                   profile: dict | None = None, generated: str = "", since_last: dict | None = None,
                   alerts: list[dict] | None = None) -> Document:
    sections: list[Section] = []
    if alerts is not None:
        sections.append(alerts_section(alerts, lang))
    if since_last is not None:
        sections.append(since_last_section(since_last, results, lang))
    summary = Section("summary", t("report.summary", lang))
    for r in results.values():
        for f in r.findings[:3]:
            summary.blocks.append(Para(t(f.code, lang, **f.params), f.severity))
        if r.recommendations:
            rec = r.recommendations[0]
            summary.blocks.append(Para(t("report.first_action", lang, text=t(rec.code, lang, **rec.params)), "action"))
    sections.append(summary)

    for name, r in results.items():
        sec = Section(name, t(f"analysis.{name}.title", lang))
        sec.blocks.append(Para(t(f"analysis.{name}.description", lang)))
        sec.blocks.append(metric_grid(r, lang))
        sections.append(sec)

        fsec = Section(f"{name}-findings", t("report.findings", lang), level=3)
        fsec.blocks.append(Bullets([t(f.code, lang, **f.params) for f in r.findings if not f.code.startswith("dq.")]))
        sections.append(fsec)

        charts = charts_for(r, lang)
        if charts:
            csec = Section(f"{name}-charts", t("report.charts", lang), level=3)
            csec.blocks.extend(ChartBlock(c) for c in charts)
            sections.append(csec)

        rsec = Section(f"{name}-recommendations", t("report.recommendations", lang), level=3)
        rsec.blocks.append(Bullets([t(x.code, lang, **x.params) for x in r.recommendations]))
        sections.append(rsec)

        tsec = Section(f"{name}-tables", t("report.tables", lang), level=3)
        for tname in TABLE_VIEWS.get(name, {}):
            tb = table_block(r, tname, lang, top_n if tname == "top_risk" else 200, include_pii)
            if tb is not None:
                tsec.blocks.append(tb)
        sections.append(tsec)

        dsec = Section(f"{name}-data-quality", t("report.data_quality", lang), level=3)
        dq = [t(f.code, lang, **f.params) for f in r.findings if f.code.startswith("dq.")]
        dsec.blocks.append(Bullets(dq or [t("report.no_dq_findings", lang)]))
        sections.append(dsec)

        msec = Section(f"{name}-method", t("report.method", lang), level=3)
        msec.blocks.extend(method_notes(r, lang))
        sections.append(msec)

    if profile and profile.get("issues"):
        qsec = Section("validation", t("report.validation", lang))
        qsec.blocks.append(Bullets([issue_text(i, lang) for i in profile["issues"]]))
        sections.append(qsec)
    return Document(lang, t("report.title", lang), t("report.generated", lang, when=generated), sections)


def issue_text(issue: dict, lang: str) -> str:
    params = dict(issue.get("params", {}))
    params.setdefault("table", issue.get("table"))
    params.setdefault("column", issue.get("column"))
    code = issue["code"]
    return t(code, lang, **params) if has(code, lang) else code
