"""Key-account contact coverage risk (联系人配置风险监控) — seeds 001 and 002.

Pipeline (all constants come from ``config.contact_coverage``):

1. Key accounts — drop NULL revenue, rank by revenue desc then ``account_id`` asc, keep the top
   ``ceil(n × share)``.  Accounts tied with the last one kept but ranked after it are reported as
   ``tied_excluded`` (the cut is strict; the tie-break is documented, not random).
2. Per account (engine side, ``metrics.coverage``): contacts, density, decision ratio, department
   coverage, red-line flags and the flag score.
3. Peer track (here, on the key-account table): per industry × size group, density threshold =
   max(red line, P25), coverage threshold = max(size baseline, P25); groups under
   ``peer_min_group_size`` fall back to the red line.  Industry must-have departments join the
   peer track's coverage test.  Failing both tracks → ``strong``; one → ``secondary``.
4. Risk: flag score (red-line track) and a continuous gap score with the same weights; tiers.
5. Workload, priority order, revenue-weighted priority score, queues, action plan, playbooks.

The engine does every join and group-by over contacts; Python receives the per-key-account table
(at most ``share`` of accounts) and aggregates of the rest.
"""

from __future__ import annotations

import datetime as dt
import time


import numpy as np
import pandas as pd

from crmlens import __version__
from crmlens.analyses import register
from crmlens.analyses.base import AnalysisResult, Finding, Metric, Recommendation
from crmlens.classify.departments import DepartmentClassifier
from crmlens.classify.titles import TitleClassifier
from crmlens.config import ContactCoverageConfig, CrmlensConfig
from crmlens.errors import AnalysisError
from crmlens.metrics import coverage as M
from crmlens.schema.contracts import ACCOUNTS, CONTACTS
from crmlens.sources.base import Dataset
from crmlens.stats.basic import execs_to_reach, execs_within, percentile, rate

OPTIONAL_ACCOUNT_COLUMNS = ("account_owner_name", "owner_id")
GAP_COLUMNS = ("density", "decision_ratio", "coverage", "missing_departments")  # the gaps each action closes
TOL = 1e-9


class ContactCoverage:
    name = "contact_coverage"
    requires = (ACCOUNTS, CONTACTS)

    def run(self, data: Dataset, config: CrmlensConfig, *, as_of: dt.date | None = None) -> AnalysisResult:
        started = time.perf_counter()
        cfg = config.contact_coverage
        as_of = as_of or dt.date.today()
        tc, dc = TitleClassifier(config.titles), DepartmentClassifier(config.departments)
        key_depts = dc.key_departments
        acc = data.table(ACCOUNTS.name)
        con = data.table(CONTACTS.name)

        totals = acc.aggregate(n=acc.count(), null_rev=acc.annual_revenue.isnull().sum()).execute().iloc[0]
        n_accounts, n_null_rev = int(totals["n"]), int(totals["null_rev"])
        n_valid = n_accounts - n_null_rev
        if n_valid == 0:
            raise AnalysisError("error.no_revenue", table=ACCOUNTS.name, accounts=n_accounts)
        n_key = M.key_account_count(n_valid, cfg.key_account_share)

        classified, tmap, dmap = M.classified_contacts(con, tc, dc, data.lookup)
        # one pass over the contacts; the per-account profile is reused by every query below
        profile = M.contact_profile(classified, key_depts).cache()
        opt = [c for c in OPTIONAL_ACCOUNT_COLUMNS if c in acc.columns]
        base_cols = ["account_id", "account_name", "annual_revenue", "number_of_employees",
                     "industry_normalized", "company_size_category", *opt]
        ranked = M.ranked_accounts(acc.select(*base_cols))  # rank a narrow table: 6× faster than all columns

        key = ranked.filter(ranked.revenue_rank < n_key).select(*base_cols, "revenue_rank")
        key = key.left_join(profile, key.account_id == profile.account_id).drop("account_id_right")
        df = M.account_metrics(key, cfg, len(key_depts)).execute()
        df = df.sort_values("revenue_rank", kind="stable").reset_index(drop=True)
        for i, dep in enumerate(key_depts):
            df[f"has_{dep}"] = df.pop(f"has_dept_{i}").fillna(0).astype("int64").astype(bool)
        for c in ("n_c_level", "n_vp", "n_title_unrecognised", "n_title_unknown", "n_dept_unknown"):
            df[c] = df[c].fillna(0).astype("int64")

        threshold = float(df["annual_revenue"].iloc[-1])
        tied_excluded = int(ranked.filter((ranked.annual_revenue == threshold) & (ranked.revenue_rank >= n_key)).count().execute())
        hidden = _null_revenue_risk(acc, profile, cfg, len(key_depts))
        dq = _contact_quality(con, profile, acc)

        groups = _peer_thresholds(df, cfg)
        df = _apply_peer_track(df, groups, cfg, key_depts)
        df = _risk(df, cfg)
        df = _workload(df, cfg, key_depts)
        df = _priority(df, cfg)
        actions = _action_plan(df, cfg, as_of)

        industries = sorted(acc.select("industry_normalized").distinct().execute()["industry_normalized"].dropna().tolist())
        tables = {
            "key_accounts": df,
            "peer_groups": groups,
            "top_risk": df[df["tier"] == "high"].head(cfg.top_n).reset_index(drop=True),
            "by_industry": _breakdown(df, "industry_normalized", industries),
            "by_size": _breakdown(df, "company_size_category", cfg.size_order),
            "sample_mix": df.groupby(["industry_normalized", "company_size_category"]).size().rename("accounts").reset_index(),
            "department_gaps": _department_gaps(df, key_depts),
            "department_coverage_by_industry": _dept_by_industry(df, key_depts),
            "industry_playbooks": _playbooks(df, groups, cfg, industries, key_depts),
            "action_plan": actions,
            "entities": _entities(df),
            "workload_uncomputable": df.loc[~df["employees_known"].astype(bool),
                                            ["priority_rank", "account_id", "account_name", "industry_normalized", "company_size_category",
                                             "number_of_employees", "n_contacts", "tier"]].reset_index(drop=True),
            "risk_distribution": _risk_distribution(df),
            "density_by_size": _density_by_size(df, cfg.size_order),
            "scatter_sample": _scatter_sample(df, cfg.scatter_points),
            "title_levels": pd.DataFrame(sorted(((k, v) for k, v in tmap.items()), key=lambda kv: (kv[1], kv[0])), columns=["title", "level"]),
            "department_classes": pd.DataFrame(sorted(dmap.items()), columns=["department", "class"]),
        }
        metrics = _metrics(df, groups, cfg, n_accounts, n_null_rev, n_valid, n_key, threshold, tied_excluded, hidden, dq, len(key_depts))
        findings = _findings(metrics, tables, df)
        recs = _recommendations(metrics, tables, cfg, df)
        method = {
            "key_account_share": cfg.key_account_share,
            "tie_break": "annual_revenue desc, account_id asc; cut is strict (ceil(n × share) accounts)",
            "density_per_employees": cfg.density_per_employees,
            "density_red_line": cfg.density_red_line,
            "decision_ratio_red_line": cfg.decision_ratio_red_line,
            "coverage_baseline": dict(cfg.coverage_baseline) | {"(other)": cfg.coverage_baseline_default},
            "peer_percentile": cfg.peer_percentile,
            "peer_min_group_size": cfg.peer_min_group_size,
            "percentile_method": "linear interpolation (numpy default)",
            "industry_must_have": cfg.industry_must_have,
            "weights": cfg.weights.model_dump(),
            "tiers": {"high": cfg.high_risk_score, "medium": cfg.medium_risk_score},
            "title_rules": config.titles.model_dump(),
            "key_departments": {k: v for k, v in config.departments.key.items()},
            "other_departments": {k: v for k, v in config.departments.other.items()},
            "as_of": as_of.isoformat(),
        }
        provenance = {
            "analysis": self.name,
            "version": __version__,
            "config_hash": config.fingerprint(),
            "engine": data.kind,
            "source": data.location,
            "row_counts": {"accounts": n_accounts, "contacts": dq["contacts_total"]},
            "seconds": round(time.perf_counter() - started, 3),
            "as_of": as_of.isoformat(),
        }
        return AnalysisResult(self.name, metrics, tables, findings, recs, method, provenance)


# ---- engine-side aggregates for what is not a key account ------------------------------------

def _null_revenue_risk(acc, profile, cfg: ContactCoverageConfig, n_depts: int) -> dict[str, int]:
    """How much risk the NULL-revenue accounts (excluded from the ranking) would hide."""
    cols = ["account_id", "number_of_employees", "company_size_category"]
    nr = acc.filter(acc.annual_revenue.isnull()).select(*cols)
    nr = nr.left_join(profile, nr.account_id == profile.account_id).drop("account_id_right")
    nr = M.account_metrics(nr, cfg, n_depts)
    high = nr.flag_score_rl >= cfg.high_risk_score - TOL
    out = nr.aggregate(
        accounts=nr.count(),
        enterprise=(nr.company_size_category == "Enterprise").cast("int64").sum(),
        high_risk=high.cast("int64").sum(),
        enterprise_high_risk=(high & (nr.company_size_category == "Enterprise")).cast("int64").sum(),
    ).execute().iloc[0]
    return {k: int(v or 0) for k, v in out.items()}


def _contact_quality(con, profile, acc) -> dict[str, int]:
    """Contact data-quality counts, from the cached per-account profile (orphans included)."""
    p = profile
    stats = p.aggregate(
        live=p.n_contacts.sum(), dept_unknown=p.n_dept_unknown.sum(), title_unrecognised=p.n_title_unrecognised.sum(),
        title_unknown=p.n_title_unknown.sum(),
    ).execute().iloc[0]
    orphans = p.anti_join(acc, p.account_id == acc.account_id).n_contacts.sum().execute()
    total = con.count().execute()
    out = {k: int(v or 0) for k, v in stats.items()}
    out |= {"orphans": int(orphans or 0), "contacts_total": int(total), "deleted": int(total) - out["live"]}
    return out


# ---- peer track ---------------------------------------------------------------------------------

def _baseline(size: pd.Series, cfg: ContactCoverageConfig) -> pd.Series:
    return size.map(lambda s: cfg.coverage_baseline.get(s, cfg.coverage_baseline_default)).astype("int64")


def _peer_thresholds(df: pd.DataFrame, cfg: ContactCoverageConfig) -> pd.DataFrame:
    rows = []
    for (ind, size), g in df.groupby(["industry_normalized", "company_size_category"], sort=True, dropna=False):
        n = len(g)
        base = cfg.coverage_baseline.get(size, cfg.coverage_baseline_default)
        p_den = percentile(g["density"], cfg.peer_percentile)
        p_cov = percentile(g["coverage"], cfg.peer_percentile)
        fallback = n < cfg.peer_min_group_size
        den_thr = cfg.density_red_line if fallback or np.isnan(p_den) else max(cfg.density_red_line, p_den)
        cov_thr = float(base) if fallback else max(float(base), p_cov)
        rows.append({
            "industry_normalized": ind, "company_size_category": size, "accounts": n,
            "p_density": p_den, "p_coverage": p_cov, "density_threshold": den_thr,
            "coverage_threshold": cov_thr, "fallback": fallback,
        })
    cols = ["industry_normalized", "company_size_category", "accounts", "p_density", "p_coverage",
            "density_threshold", "coverage_threshold", "fallback"]
    return pd.DataFrame(rows, columns=cols)


def _apply_peer_track(df: pd.DataFrame, groups: pd.DataFrame, cfg: ContactCoverageConfig, key_depts: list[str]) -> pd.DataFrame:
    g = groups[["industry_normalized", "company_size_category", "density_threshold", "coverage_threshold"]]
    df = df.merge(g, on=["industry_normalized", "company_size_category"], how="left", validate="many_to_one")
    present = df[[f"has_{d}" for d in key_depts]].to_numpy(dtype=bool)
    must = _must_have_matrix(df["industry_normalized"], cfg, key_depts)
    df["missing_departments"] = _names(~present, key_depts)
    df["missing_must_have"] = _names(~present & must, key_depts)
    df["low_density_peer"] = df["density"].notna() & (df["density"] < df["density_threshold"])
    df["low_decision_peer"] = df["low_decision_rl"]  # no peer threshold for the decision ratio
    df["low_coverage_peer"] = (df["coverage"] < df["coverage_threshold"]) | (df["missing_must_have"].map(len) > 0)
    fails_rl = df[["low_density_rl", "low_decision_rl", "low_coverage_rl"]].any(axis=1)
    fails_peer = df[["low_density_peer", "low_decision_peer", "low_coverage_peer"]].any(axis=1)
    df["risk_class"] = np.where(fails_rl & fails_peer, "strong", np.where(fails_rl | fails_peer, "secondary", "none"))
    return df


def _must_have_matrix(industry: pd.Series, cfg: ContactCoverageConfig, key_depts: list[str]) -> np.ndarray:
    codes, uniques = pd.factorize(industry)  # one row of flags per distinct industry, then a take
    table = np.array([[d in cfg.industry_must_have.get(ind, []) for d in key_depts] for ind in uniques]
                     + [[False] * len(key_depts)], dtype=bool).reshape(len(uniques) + 1, len(key_depts))
    return table[np.where(codes < 0, len(uniques), codes)]


def _names(mask: np.ndarray, names: list[str]) -> list[list[str]]:
    """Row-wise lists of the names whose mask bit is set (via the 2^k possible patterns)."""
    k = len(names)
    patterns = [[n for j, n in enumerate(names) if code >> j & 1] for code in range(1 << k)]
    codes = (mask.astype(np.int64) << np.arange(k)).sum(axis=1) if k else np.zeros(len(mask), dtype=np.int64)
    return [patterns[c] for c in codes]


# ---- risk, workload, priority -------------------------------------------------------------------

def _gap(threshold: pd.Series, actual: pd.Series) -> pd.Series:
    thr = threshold.astype("float64")
    g = ((thr - actual.astype("float64")) / thr.where(thr > 0)).clip(lower=0)
    return g.fillna(0.0)


def _risk(df: pd.DataFrame, cfg: ContactCoverageConfig) -> pd.DataFrame:
    w = cfg.weights
    df["risk_score"] = df["flag_score_rl"].round(10)
    df["gap_density"] = _gap(pd.Series(cfg.density_red_line, index=df.index), df["density"])
    df["gap_decision"] = _gap(pd.Series(cfg.decision_ratio_red_line, index=df.index), df["decision_ratio"])
    df["gap_coverage"] = _gap(df["coverage_baseline"], df["coverage"])
    df["gap_score"] = (w.density * df["gap_density"] + w.decision * df["gap_decision"] + w.coverage * df["gap_coverage"]).round(10)
    df["tier"] = np.where(df["risk_score"] >= cfg.high_risk_score - TOL, "high",
                          np.where(df["risk_score"] >= cfg.medium_risk_score - TOL, "medium", "low"))
    return df


def _workload(df: pd.DataFrame, cfg: ContactCoverageConfig, key_depts: list[str]) -> pd.DataFrame:
    n = df["n_contacts"].to_numpy()
    d = df["n_decision"].to_numpy()
    emp = df["number_of_employees"].astype("float64")
    known = df["employees_known"].astype(bool)
    need = np.ceil(cfg.density_red_line * emp / cfg.density_per_employees - TOL)
    add = (need - n).clip(lower=0)
    df["contacts_to_add"] = add.where(known).astype("Int64")
    need_peer = np.ceil(df["density_threshold"] * emp / cfg.density_per_employees - TOL)
    df["contacts_to_add_peer"] = (need_peer - n).clip(lower=0).where(known).astype("Int64")
    r = cfg.decision_ratio_red_line
    df["executives_to_add"] = execs_to_reach(n, d, r)
    total = np.maximum(df["contacts_to_add"].fillna(0).to_numpy(dtype="int64"), df["executives_to_add"].to_numpy())
    df["plan_new_contacts"] = total
    df["plan_new_executives"] = np.minimum(execs_within(n, d, total, r), total)
    # departments to add: every missing must-have, then other missing departments in dictionary
    # order until the coverage threshold is reached
    present = df[[f"has_{d}" for d in key_depts]].to_numpy(dtype=bool)
    must_miss = ~present & _must_have_matrix(df["industry_normalized"], cfg, key_depts)
    other_miss = ~present & ~must_miss
    needed = np.maximum(0, np.ceil(df["coverage_threshold"].to_numpy() - TOL)
                        - df["coverage"].to_numpy()).astype(int)
    extra = np.maximum(0, needed - must_miss.sum(axis=1))
    pick_other = other_miss & (np.cumsum(other_miss, axis=1) <= extra[:, None])
    df["departments_to_add"] = _names(must_miss | pick_other, key_depts)
    df["n_departments_to_add"] = df["departments_to_add"].map(len).astype("int64")
    return df


def _priority(df: pd.DataFrame, cfg: ContactCoverageConfig) -> pd.DataFrame:
    size_rank = {s: i for i, s in enumerate(cfg.size_order)}
    df["size_rank"] = df["company_size_category"].map(size_rank).fillna(len(size_rank)).astype("int64")
    n_key = len(df)
    rev_pos = df["revenue_rank"].astype("float64")  # 0 = highest revenue
    df["revenue_weight"] = 2.0 if n_key == 1 else 1.0 + (n_key - 1 - rev_pos) / (n_key - 1)
    df["priority_score"] = (df["risk_score"] * df["revenue_weight"]).round(10)
    df = df.sort_values(
        ["risk_score", "annual_revenue", "size_rank", "gap_decision", "gap_coverage", "account_id"],
        ascending=[False, False, True, False, False, True], kind="stable",
    ).reset_index(drop=True)
    df["priority_rank"] = np.arange(1, len(df) + 1)
    df["owner_role"] = df["company_size_category"].map(dict(cfg.queues)).fillna(cfg.default_owner_role)
    df["queue"] = np.where(df["risk_class"] == "strong", df["owner_role"], "")
    return df


def _action_plan(df: pd.DataFrame, cfg: ContactCoverageConfig, as_of: dt.date) -> pd.DataFrame:
    m7, m30, m60, m90 = cfg.milestones_days
    parts = []

    def emit(mask: pd.Series, code: str, qty: pd.Series | int | None, detail: pd.Series | str, days: int) -> None:
        sub = df.loc[mask, ["account_id", "account_name", "owner_role", "priority_rank", "tier", "risk_class", *GAP_COLUMNS]
                     + [c for c in OPTIONAL_ACCOUNT_COLUMNS if c in df.columns]].copy()
        if sub.empty:
            return
        sub["action"] = code
        sub["quantity"] = (qty[mask] if isinstance(qty, pd.Series) else qty)
        sub["detail"] = (detail[mask] if isinstance(detail, pd.Series) else detail)
        sub["milestone_days"] = days
        sub["due_date"] = (as_of + dt.timedelta(days=days)).isoformat()
        sub["status"] = "open"
        parts.append(sub)

    # millions of rows at 10M accounts: repeated labels are stored once (categoricals)
    def compact(frame: pd.DataFrame) -> pd.DataFrame:
        for c in ("owner_role", "tier", "risk_class", "action", "detail", "due_date", "status"):
            frame[c] = frame[c].astype("category")
        return frame

    fails = df["risk_class"] != "none"
    emit(~df["employees_known"].astype(bool), "action.fix_employee_count", 1, "", m7)
    fixes = df["n_title_unrecognised"] + df["n_dept_unknown"]
    emit(fixes > 0, "action.classify_contacts", fixes, "", m7)
    roles = " / ".join(cfg.executive_roles)
    emit(df["plan_new_executives"] > 0, "action.add_executives", df["plan_new_executives"], roles, m30)
    other_new = df["plan_new_contacts"] - df["plan_new_executives"]
    emit(df["low_density_rl"] & (other_new > 0), "action.add_contacts", other_new, "", m60)
    details: dict[tuple, str] = {}  # at most 2^5 distinct department sets: format each once
    dep_detail = df["departments_to_add"].map(lambda deps: details.get(tuple(deps)) or details.setdefault(
        tuple(deps), "; ".join(f"{d}: {' / '.join(cfg.department_roles.get(d, []))}" for d in deps)))
    emit(df["n_departments_to_add"] > 0, "action.add_departments", df["n_departments_to_add"], dep_detail, m60)
    emit(fails, "action.review_targets", None, "", m90)
    cols = ["priority_rank", "account_id", "account_name", "owner_role", "tier", "risk_class", *GAP_COLUMNS, "action",
            "quantity", "detail", "milestone_days", "due_date", "status"]
    if not parts:
        return pd.DataFrame(columns=cols)
    out = pd.concat([compact(p) for p in parts], ignore_index=True)
    for c in ("owner_role", "tier", "risk_class", "action", "detail", "due_date", "status"):
        if out[c].dtype != "category":  # concat of differing categories falls back to object
            out[c] = out[c].astype("category")
    out["quantity"] = out["quantity"].astype("Int64")
    out = out.sort_values(["priority_rank", "milestone_days", "action"], kind="stable").reset_index(drop=True)
    extra = [c for c in OPTIONAL_ACCOUNT_COLUMNS if c in out.columns]
    out["missing_departments"] = out["missing_departments"].map("; ".join).astype("category")
    return out[cols[:4] + extra + cols[4:]]


# ---- breakdowns ---------------------------------------------------------------------------------

def _breakdown(df: pd.DataFrame, by: str, order: list[str]) -> pd.DataFrame:
    g = df.groupby(by, dropna=False)
    out = pd.DataFrame({
        "key_accounts": g.size(),
        "high": g["tier"].apply(lambda s: int((s == "high").sum())),
        "medium": g["tier"].apply(lambda s: int((s == "medium").sum())),
        "low": g["tier"].apply(lambda s: int((s == "low").sum())),
        "strong_risk": g["risk_class"].apply(lambda s: int((s == "strong").sum())),
        "secondary_risk": g["risk_class"].apply(lambda s: int((s == "secondary").sum())),
        "density_pass_rate": g.apply(lambda x: rate((~x["low_density_rl"] & x["density"].notna()).sum(), x["density"].notna().sum()), include_groups=False),
        "decision_pass_rate": g["low_decision_rl"].apply(lambda s: rate((~s).sum(), len(s))),
        "coverage_pass_rate": g["low_coverage_rl"].apply(lambda s: rate((~s).sum(), len(s))),
        "median_density": g["density"].median(),
        "mean_coverage": g["coverage"].mean(),
        "contacts_to_add": g["contacts_to_add"].sum(min_count=0).astype("int64"),
        "executives_to_add": g["executives_to_add"].sum(),
    }) if len(df) else pd.DataFrame()
    out = out.reindex(list(dict.fromkeys([*order, *out.index.tolist()]))) if len(out) else out
    out.index.name = by
    out = out.reset_index()
    for c in ("key_accounts", "high", "medium", "low", "strong_risk", "secondary_risk", "contacts_to_add", "executives_to_add"):
        if c in out:
            out[c] = out[c].fillna(0).astype("int64")
    out["high_share"] = [rate(h, n) for h, n in zip(out.get("high", []), out.get("key_accounts", []))]
    return out


def _department_gaps(df: pd.DataFrame, key_depts: list[str]) -> pd.DataFrame:
    n = len(df)
    rows = [{"department": d, "accounts_missing": int((~df[f"has_{d}"]).sum()), "share_missing": rate(int((~df[f"has_{d}"]).sum()), n)} for d in key_depts]
    return pd.DataFrame(rows, columns=["department", "accounts_missing", "share_missing"])


def _dept_by_industry(df: pd.DataFrame, key_depts: list[str]) -> pd.DataFrame:
    rows = []
    for ind, g in df.groupby("industry_normalized", sort=True):
        for d in key_depts:
            rows.append({"industry_normalized": ind, "department": d, "accounts": len(g), "coverage_rate": float(g[f"has_{d}"].mean())})
    return pd.DataFrame(rows, columns=["industry_normalized", "department", "accounts", "coverage_rate"])


def _playbooks(df, groups, cfg: ContactCoverageConfig, industries: list[str], key_depts: list[str]) -> pd.DataFrame:
    rows = []
    for ind in industries:
        g = df[df["industry_normalized"] == ind]
        p = percentile(g["density"], cfg.peer_percentile) if len(g) else np.nan
        target = cfg.density_red_line if np.isnan(p) or len(g) < cfg.peer_min_group_size else max(cfg.density_red_line, p)
        must = cfg.industry_must_have.get(ind, [])
        entry = [r for d in must for r in cfg.department_roles.get(d, [])[:2]] or list(cfg.executive_roles[:2])
        rows.append({
            "industry_normalized": ind, "key_accounts": len(g),
            "high_risk": int((g["tier"] == "high").sum()),
            "density_target": target, "must_have_departments": must,
            "entry_roles": entry,
            "most_missing_department": (max(key_depts, key=lambda d: int((~g[f"has_{d}"]).sum())) if len(g) else None),
        })
    return pd.DataFrame(rows)


def _entities(df: pd.DataFrame) -> pd.DataFrame:
    """The per-entity state the monitor records: one row per key account."""
    return pd.DataFrame({
        "entity_id": df["account_id"], "entity_name": df["account_name"], "tier": df["tier"],
        "risk_score": df["risk_score"], "n_contacts": df["n_contacts"], "n_decision": df["n_decision"],
        "density": df["density"], "decision_ratio": df["decision_ratio"], "coverage": df["coverage"],
        "employees_known": df["employees_known"].astype(bool),
    }).sort_values("entity_id", kind="stable").reset_index(drop=True)


def _risk_distribution(df: pd.DataFrame) -> pd.DataFrame:
    out = df.groupby(["risk_score", "tier"]).size().rename("accounts").reset_index()
    return out.sort_values("risk_score").reset_index(drop=True)


def _density_by_size(df: pd.DataFrame, order: list[str]) -> pd.DataFrame:
    rows = []
    for size in [*order, *sorted(set(df["company_size_category"].dropna()) - set(order))]:
        d = df.loc[df["company_size_category"] == size, "density"].dropna()
        if d.empty:
            continue
        rows.append({"company_size_category": size, "accounts": len(d), "min": float(d.min()),
                     "p25": percentile(d, 0.25), "median": percentile(d, 0.5), "p75": percentile(d, 0.75), "max": float(d.max())})
    return pd.DataFrame(rows, columns=["company_size_category", "accounts", "min", "p25", "median", "p75", "max"])


def _scatter_sample(df: pd.DataFrame, limit: int) -> pd.DataFrame:
    """Per-account points for the density × decision scatter: every account when few, else an
    evenly spaced (deterministic) sample along the priority order, so charts stay small."""
    cols = ["account_id", "account_name", "industry_normalized", "company_size_category", "density", "decision_ratio", "tier", "priority_rank"]
    pts = df[df["density"].notna()]
    if len(pts) > limit:
        pts = pts.iloc[np.linspace(0, len(pts) - 1, limit).round().astype(int)]
    return pts[cols].reset_index(drop=True)


# ---- headline metrics, findings, recommendations -----------------------------------------------

def _metrics(df, groups, cfg, n_accounts, n_null_rev, n_valid, n_key, threshold, tied_excluded, hidden, dq, n_depts) -> dict[str, Metric]:
    known = df["density"].notna()
    n_known = int(known.sum())
    at_risk = df["risk_class"] != "none"
    m: dict[str, Metric] = {
        "accounts": Metric(n_accounts),
        "accounts_revenue_known": Metric(n_valid),
        "accounts_revenue_null": Metric(n_null_rev),
        "revenue_null_high_risk": Metric(hidden["high_risk"]),
        "revenue_null_enterprise": Metric(hidden["enterprise"]),
        "key_accounts": Metric(n_key),
        "revenue_threshold": Metric(threshold, "usd"),
        "tied_excluded": Metric(tied_excluded),
        "fail_density_red_line": Metric(int(df["low_density_rl"].sum())),
        "fail_decision_red_line": Metric(int(df["low_decision_rl"].sum())),
        "fail_coverage_red_line": Metric(int(df["low_coverage_rl"].sum())),
        "fail_density_peer": Metric(int(df["low_density_peer"].sum())),
        "fail_decision_peer": Metric(int(df["low_decision_peer"].sum())),
        "fail_coverage_peer": Metric(int(df["low_coverage_peer"].sum())),
        "strong_risk": Metric(int((df["risk_class"] == "strong").sum())),
        "secondary_risk": Metric(int((df["risk_class"] == "secondary").sum())),
        "high_risk": Metric(int((df["tier"] == "high").sum())),
        "medium_risk": Metric(int((df["tier"] == "medium").sum())),
        "low_risk": Metric(int((df["tier"] == "low").sum())),
        "high_risk_share": Metric(rate(int((df["tier"] == "high").sum()), n_key), "ratio"),
        "density_pass_rate": Metric(rate(int((known & ~df["low_density_rl"]).sum()), n_known), "ratio"),
        "decision_pass_rate": Metric(rate(int((~df["low_decision_rl"]).sum()), n_key), "ratio"),
        "coverage_pass_rate": Metric(rate(int((~df["low_coverage_rl"]).sum()), n_key), "ratio"),
        "median_density": Metric(percentile(df["density"], 0.5), "per_1000"),
        "mean_density": Metric(float(df["density"].mean()) if n_known else None, "per_1000"),
        "median_decision_ratio": Metric(percentile(df["decision_ratio"], 0.5), "ratio"),
        "mean_coverage": Metric(float(df["coverage"].mean()), "score"),
        "full_coverage_accounts": Metric(int((df["coverage"] == n_depts).sum())),
        "contacts_to_add": Metric(int(df["contacts_to_add"].sum())),
        "executives_to_add": Metric(int(df["executives_to_add"].sum())),
        "plan_new_contacts_at_risk": Metric(int(df.loc[at_risk, "plan_new_contacts"].sum())),
        "departments_to_add": Metric(int(df["n_departments_to_add"].sum())),
        "workload_uncomputable": Metric(int((~df["employees_known"].astype(bool)).sum())),
        "key_employees_unknown": Metric(int((~df["employees_known"].astype(bool)).sum())),
        "key_zero_contacts": Metric(int((df["n_contacts"] == 0).sum())),
        "contacts_live": Metric(dq["live"]),
        "contacts_deleted": Metric(dq["deleted"]),
        "contacts_dept_unknown": Metric(dq["dept_unknown"]),
        "contacts_title_unrecognised": Metric(dq["title_unrecognised"]),
        "contacts_orphan": Metric(dq["orphans"]),
        "peer_groups": Metric(len(groups)),
        "peer_fallback_groups": Metric(int(groups["fallback"].sum()) if len(groups) else 0),
    }
    return m


def _findings(m: dict[str, Metric], tables: dict[str, pd.DataFrame], df: pd.DataFrame) -> tuple[Finding, ...]:
    v = {k: x.value for k, x in m.items()}
    f = [
        Finding("cc.key_accounts", {"key_accounts": v["key_accounts"], "accounts": v["accounts_revenue_known"], "threshold": v["revenue_threshold"], "tied_excluded": v["tied_excluded"]}),
        Finding("cc.high_risk", {"count": v["high_risk"], "share": v["high_risk_share"], "strong": v["strong_risk"]}, "critical" if v["high_risk"] else "info"),
        Finding("cc.fail_rates", {"density": v["fail_density_red_line"], "decision": v["fail_decision_red_line"], "coverage": v["fail_coverage_red_line"], "key_accounts": v["key_accounts"]}, "warning"),
    ]
    by_ind = tables["by_industry"]
    if len(by_ind) and by_ind["high"].max() > 0:
        top = by_ind.sort_values(["high", "industry_normalized"], ascending=[False, True]).iloc[0]
        f.append(Finding("cc.top_industry", {"industry": top["industry_normalized"], "count": int(top["high"]), "share": top["high_share"]}, "warning"))
    gaps = tables["department_gaps"]
    if len(gaps) and gaps["accounts_missing"].max() > 0:
        g = gaps.sort_values(["accounts_missing", "department"], ascending=[False, True]).iloc[0]
        f.append(Finding("cc.top_department_gap", {"department": g["department"], "count": int(g["accounts_missing"]), "share": g["share_missing"]}, "warning"))
    if v["accounts_revenue_null"]:
        f.append(Finding("dq.revenue_null", {"count": v["accounts_revenue_null"], "high_risk": v["revenue_null_high_risk"], "enterprise": v["revenue_null_enterprise"]}, "warning"))
    for code, key in (("dq.key_employees_unknown", "key_employees_unknown"), ("dq.key_zero_contacts", "key_zero_contacts"),
                      ("dq.contacts_dept_unknown", "contacts_dept_unknown"), ("dq.contacts_title_unrecognised", "contacts_title_unrecognised"),
                      ("dq.contacts_orphan", "contacts_orphan"), ("dq.peer_fallback_groups", "peer_fallback_groups")):
        if v[key]:
            f.append(Finding(code, {"count": v[key]}, "warning"))
    if v["tied_excluded"]:
        f.append(Finding("cc.ties_at_cut", {"count": v["tied_excluded"], "threshold": v["revenue_threshold"]}, "info"))
    return tuple(f)


def _recommendations(m, tables, cfg: ContactCoverageConfig, df: pd.DataFrame) -> tuple[Recommendation, ...]:
    v = {k: x.value for k, x in m.items()}
    recs: list[Recommendation] = []
    low_dec = df["low_decision_rl"]
    if low_dec.any():
        recs.append(Recommendation("rec.add_executives", {"accounts": int(low_dec.sum()), "contacts": int(df.loc[low_dec, "executives_to_add"].sum()),
                                                          "target": cfg.decision_ratio_red_line},
                                   {"metric": "decision_ratio", "min": cfg.decision_ratio_red_line}))
    low_den = df["low_density_rl"]
    if low_den.any():
        recs.append(Recommendation("rec.add_contacts", {"accounts": int(low_den.sum()), "contacts": int(df.loc[low_den, "contacts_to_add"].sum())},
                                   {"metric": "density", "min": cfg.density_red_line}))
    if v["departments_to_add"]:
        gaps = tables["department_gaps"].sort_values(["accounts_missing", "department"], ascending=[False, True])
        recs.append(Recommendation("rec.cover_departments", {"accounts": int((df["n_departments_to_add"] > 0).sum()), "departments": v["departments_to_add"], "top_department": gaps.iloc[0]["department"]},
                                   {"metric": "coverage", "min": "baseline by size"}))
    for size, role in cfg.queues.items():
        q = df[(df["risk_class"] == "strong") & (df["company_size_category"] == size)]
        if len(q):
            recs.append(Recommendation("rec.queue", {"size": size, "role": role, "accounts": len(q), "first_due_days": cfg.milestones_days[1]}, {"queue": role}))
    if v["key_employees_unknown"] or v["contacts_title_unrecognised"] or v["contacts_dept_unknown"]:
        recs.append(Recommendation("rec.fix_data", {"employees_unknown": v["key_employees_unknown"], "titles": v["contacts_title_unrecognised"], "departments": v["contacts_dept_unknown"], "days": cfg.milestones_days[0]}, {}))
    recs.append(Recommendation("rec.monitor", {"density": v["density_pass_rate"], "decision": v["decision_pass_rate"], "coverage": v["coverage_pass_rate"]}, {"cadence": "weekly"}))
    return tuple(recs)


register(ContactCoverage())

__all__ = ["ContactCoverage"]
