"""Key-account contact coverage risk (联系人配置风险监控) — seeds 001 and 002.

Pipeline (all constants come from ``config.contact_coverage``):

1. Key accounts — drop NULL revenue, rank by revenue desc then ``account_id`` asc, keep the top
   ``ceil(n × share)``.  Accounts tied with the last one kept but ranked after it are reported as
   ``tied_excluded`` (the cut is strict; the tie-break is documented, not random).
2. Per account (engine side, ``metrics.coverage``): contacts, density, decision ratio, department
   coverage, red-line flags, the flag score, the red-line gaps and the priority order (risk ↓,
   revenue ↓, size, decision gap ↓, coverage gap ↓, id).
3. Peer track (here, on the key-account table): per industry × size group, density threshold =
   max(red line, P25), coverage threshold = max(size baseline, P25); groups under
   ``peer_min_group_size`` fall back to the red line.  Industry must-have departments join the
   peer track's coverage test.  Failing both tracks → ``strong``; one → ``secondary``.
4. Risk: flag score (red-line track) and a continuous gap score with the same weights; tiers.
   Missing data never lowers a tier: an account whose employee count is unknown (density cannot
   fail) or whose size class is NULL (the default coverage baseline, not the strictest, was
   applied) gets tier ``data_gap`` when its worst case (those checks failed) reaches a higher
   tier than the known checks give; ``data_gap_reason`` names the missing fields.  Data gaps rank
   right after high risk (``priority_rank``, top-risk list, action plan); accounts with complete
   data keep their scores, tiers and order.  NULL revenue is not a data gap here: such accounts
   cannot be ranked, are left out of the key accounts and reported (``revenue_null_high_risk``).
5. Workload, revenue-weighted priority score, queues, action plan, playbooks.

The engine does every join and group-by over contacts; Python receives the per-key-account table
(at most ``share`` of accounts, already in priority order) and aggregates of the rest.  Each
stage's wall time is recorded in ``provenance['stage_seconds']`` (see docs/performance.md).
"""

from __future__ import annotations

import datetime as dt
import time

import ibis
import numpy as np
import pandas as pd

from crmlens import __version__
from crmlens.analyses.base import AnalysisResult, Finding, Laps, Metric, Recommendation, flag_names, pattern_codes
from crmlens.classify import departments as D
from crmlens.classify import titles as T
from crmlens.classify.departments import DepartmentClassifier
from crmlens.classify.titles import TitleClassifier
from crmlens.analyses.contact_coverage.config import ContactCoverageConfig
from crmlens.config import CrmlensConfig
from crmlens.errors import AnalysisError
from crmlens.analyses.contact_coverage import expressions as M
from crmlens.analyses.engine import to_frame
from crmlens.schema.contracts import ACCOUNTS, CONTACTS
from crmlens.schema.typed import read_table
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
        lap = Laps()
        cfg = config.contact_coverage
        as_of = as_of or dt.date.today()
        tc, dc = TitleClassifier(config.titles), DepartmentClassifier(config.departments)
        key_depts = dc.key_departments
        acc = read_table(data, ACCOUNTS)  # NaN/±Inf read as NULL: never a key account or employee count
        con = read_table(data, CONTACTS)

        overview = M.account_overview(acc).execute()
        n_accounts, n_null_rev = int(overview["accounts"].sum()), int(overview["revenue_null"].sum())
        industries = sorted(str(i) for i in overview["industry_normalized"].dropna())
        n_valid = n_accounts - n_null_rev
        if n_valid == 0:
            raise AnalysisError("error.no_revenue", table=ACCOUNTS.name, accounts=n_accounts)
        n_key = M.key_account_count(n_valid, cfg.key_account_share)
        lap("engine.accounts")

        # one scan for the distinct (title, department) values and the contact totals; classify the
        # distinct values in Python; one more scan joins the integer-flag lookups and aggregates
        values = to_frame(M.contact_values(con))
        lap("engine.contact_values")
        tmap, dmap, dq = _classify_values(values, tc, dc)
        lap("classify")
        tl = data.lookup(M.title_lookup(tmap))
        dl = data.lookup(M.department_lookup(dmap, key_depts))
        profile = M.contact_profile(con, tl, dl, len(key_depts)).cache()  # reused by three queries below
        if int(profile.n_contacts.max().execute() or 0) >= M.FIELD:  # packed counts would overflow
            profile = M.contact_profile(con, tl, dl, len(key_depts), packed=False).cache()
        lap("engine.contact_profile")
        opt = [c for c in OPTIONAL_ACCOUNT_COLUMNS if c in acc.columns]
        base_cols = ["account_id", "account_name", "annual_revenue", "number_of_employees",
                     "industry_normalized", "company_size_category", *opt]
        key = M.key_accounts(acc.select(*base_cols), n_key)
        key = key.left_join(profile, key.account_id == profile.account_id).drop("account_id_right")
        df = to_frame(M.priority_order(M.account_metrics(key, cfg, len(key_depts)), cfg.size_order))
        lap("engine.key_accounts")
        df["priority_rank"] = np.arange(1, len(df) + 1)  # rows arrive in priority order
        for i, dep in enumerate(key_depts):
            df[f"has_{dep}"] = df.pop(f"has_dept_{i}").astype("int64").astype(bool)

        threshold = float(df["annual_revenue"].min())
        tied_excluded = int(M.accounts_at_threshold(acc, n_key).execute()) - int((df["annual_revenue"] == threshold).sum())
        hidden, dq["orphans"] = _outside_key_accounts(acc, profile, cfg, len(key_depts))
        lap("engine.ties_and_outside_key_accounts")

        present = _presence(df, key_depts)
        must = _must_have_matrix(df["industry_normalized"], cfg, key_depts)
        groups, codes = _peer_thresholds(df, cfg)
        df = _apply_peer_track(df, groups, codes, present, must, key_depts)
        df = _risk(df, cfg)
        df, present, must = _data_gaps_after_high(df, present, must)
        dept_add = _workload(df, cfg, present, must, key_depts)
        df = _priority(df, cfg)
        lap("key_account_metrics")
        actions = _action_plan(df, cfg, as_of, present, dept_add, key_depts)
        lap("action_plan")

        tables = {
            "key_accounts": df,
            "peer_groups": groups,
            "top_risk": _top_risk(df, cfg.top_n),
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
        lap("tables_and_findings")
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
            "stage_seconds": lap.seconds,
            "as_of": as_of.isoformat(),
        }
        return AnalysisResult(self.name, metrics, tables, findings, recs, method, provenance)


# ---- engine-side aggregates for what is not a key account ------------------------------------

def _outside_key_accounts(acc, profile, cfg: ContactCoverageConfig, n_depts: int) -> tuple[dict[str, int], int]:
    """In one join of all accounts with the contact profile: how much risk the NULL-revenue
    accounts (excluded from the ranking) would hide, and the live contacts whose account_id is
    not in the account table (orphans)."""
    a = acc.select("account_id", "annual_revenue", "number_of_employees", "company_size_category").mutate(known=ibis.literal(1))
    j = a.outer_join(profile, a.account_id == profile.account_id)
    j = M.account_metrics(j, cfg, n_depts)
    null_rev = j.known.notnull() & j.annual_revenue.isnull()
    enterprise = null_rev & (j.company_size_category == "Enterprise")
    high = j.flag_score_rl >= cfg.high_risk_score - TOL
    out = j.aggregate(
        accounts=null_rev.cast("int64").sum(),
        enterprise=enterprise.cast("int64").sum(),
        high_risk=(null_rev & high).cast("int64").sum(),
        enterprise_high_risk=(enterprise & high).cast("int64").sum(),
        orphans=ibis.ifelse(j.known.isnull(), j.n_contacts, 0).sum(),
    ).execute().iloc[0]
    counts = {k: int(v or 0) for k, v in out.items()}
    return counts, counts.pop("orphans")


def _classify_values(values: pd.DataFrame, tc: TitleClassifier, dc: DepartmentClassifier) -> tuple[dict, dict, dict[str, int]]:
    """Classify the distinct titles and departments of live contacts, and count contact data
    quality from the (title, department) pairs: one row per distinct pair, so this is small."""
    live = values[values["live"] > 0]
    titles = [t if isinstance(t, str) else None for t in live["title"]]
    depts = [d if isinstance(d, str) else None for d in live["department"]]
    tmap = tc.classify_many(sorted({t for t in titles if t is not None}))
    dmap = dc.classify_many(sorted({d for d in depts if d is not None}))
    n = live["live"].to_numpy(dtype="int64")
    t_level = np.array([tmap[t] if t is not None else T.UNKNOWN for t in titles], dtype=object)
    d_class = np.array([dmap[d] if d is not None else D.UNKNOWN for d in depts], dtype=object)
    total = int(values["contacts"].sum())
    n_live = int(n.sum())
    dq = {
        "live": n_live,
        "dept_unknown": int(n[(d_class == D.UNKNOWN) | (d_class == D.UNRECOGNISED)].sum()),
        "title_unrecognised": int(n[t_level == T.UNRECOGNISED].sum()),
        "title_unknown": int(n[t_level == T.UNKNOWN].sum()),
        "contacts_total": total,
        "deleted": total - n_live,
    }
    return tmap, dmap, dq


# ---- peer track ---------------------------------------------------------------------------------

def _presence(df: pd.DataFrame, key_depts: list[str]) -> np.ndarray:
    """accounts × key departments: has at least one live contact there."""
    cols = [df[f"has_{d}"].to_numpy(dtype=bool) for d in key_depts]
    return np.column_stack(cols) if cols else np.zeros((len(df), 0), dtype=bool)


def _peer_thresholds(df: pd.DataFrame, cfg: ContactCoverageConfig) -> tuple[pd.DataFrame, np.ndarray]:
    """Per industry × size group: P(peer_percentile) of density and coverage and the thresholds;
    also each account's group number (a row of the returned table)."""
    keys = ["industry_normalized", "company_size_category"]
    grouped = df[keys].groupby(keys, sort=True, dropna=False)
    codes = grouped.ngroup().to_numpy()
    sizes = grouped.size()  # in group-number order
    order = np.argsort(codes, kind="stable")
    bounds = np.cumsum(sizes.to_numpy())[:-1]
    dens = np.split(df["density"].to_numpy(dtype="float64")[order], bounds)
    covs = np.split(df["coverage"].to_numpy(dtype="float64")[order], bounds)
    rows = []
    for (ind, size), n, den, cov in zip(sizes.index, sizes.to_numpy(), dens, covs):
        base = cfg.coverage_baseline.get(size, cfg.coverage_baseline_default)
        p_den = percentile(den, cfg.peer_percentile)
        p_cov = percentile(cov, cfg.peer_percentile)
        fallback = bool(n < cfg.peer_min_group_size)
        den_thr = cfg.density_red_line if fallback or np.isnan(p_den) else max(cfg.density_red_line, p_den)
        cov_thr = float(base) if fallback else max(float(base), p_cov)
        rows.append({
            "industry_normalized": ind, "company_size_category": size, "accounts": int(n),
            "p_density": p_den, "p_coverage": p_cov, "density_threshold": den_thr,
            "coverage_threshold": cov_thr, "fallback": fallback,
        })
    cols = [*keys, "accounts", "p_density", "p_coverage", "density_threshold", "coverage_threshold", "fallback"]
    return pd.DataFrame(rows, columns=cols), codes


def _apply_peer_track(df: pd.DataFrame, groups: pd.DataFrame, codes: np.ndarray, present: np.ndarray, must: np.ndarray,
                      key_depts: list[str]) -> pd.DataFrame:
    df["density_threshold"] = groups["density_threshold"].to_numpy(dtype="float64")[codes] if len(groups) else np.nan
    df["coverage_threshold"] = groups["coverage_threshold"].to_numpy(dtype="float64")[codes] if len(groups) else np.nan
    must_missing = ~present & must
    df["missing_departments"] = flag_names(~present, key_depts)
    df["missing_must_have"] = flag_names(must_missing, key_depts)
    density = df["density"].to_numpy(dtype="float64")
    with np.errstate(invalid="ignore"):
        df["low_density_peer"] = ~np.isnan(density) & (density < df["density_threshold"].to_numpy())
    df["low_decision_peer"] = df["low_decision_rl"]  # no peer threshold for the decision ratio
    df["low_coverage_peer"] = (df["coverage"].to_numpy() < df["coverage_threshold"].to_numpy()) | must_missing.any(axis=1)
    fails_rl = (df["low_density_rl"].to_numpy(dtype=bool) | df["low_decision_rl"].to_numpy(dtype=bool)
                | df["low_coverage_rl"].to_numpy(dtype=bool))
    fails_peer = df["low_density_peer"].to_numpy() | df["low_decision_peer"].to_numpy(dtype=bool) | df["low_coverage_peer"].to_numpy()
    df["risk_class"] = _labels(fails_rl.astype(int) + fails_peer.astype(int), ("none", "secondary", "strong"))
    return df


def _labels(codes: np.ndarray, names: tuple[str, ...]) -> pd.Series:
    """String labels for small integer codes (one Python string per distinct label)."""
    return pd.Series(np.asarray(names, dtype=object)[codes], dtype="str")


def _must_have_matrix(industry: pd.Series, cfg: ContactCoverageConfig, key_depts: list[str]) -> np.ndarray:
    codes, uniques = pd.factorize(industry)  # one row of flags per distinct industry, then a take
    table = np.array([[d in cfg.industry_must_have.get(ind, []) for d in key_depts] for ind in uniques]
                     + [[False] * len(key_depts)], dtype=bool).reshape(len(uniques) + 1, len(key_depts))
    return table[np.where(codes < 0, len(uniques), codes)]


# ---- risk, workload, priority -------------------------------------------------------------------

def _risk(df: pd.DataFrame, cfg: ContactCoverageConfig) -> pd.DataFrame:
    """Flag score (red-line track, from the engine) and the continuous gap score; the gaps
    themselves come from the engine (``metrics.coverage.account_metrics``)."""
    w = cfg.weights
    df["risk_score"] = df["flag_score_rl"].round(10)
    df["gap_score"] = (w.density * df["gap_density"] + w.decision * df["gap_decision"] + w.coverage * df["gap_coverage"]).round(10)
    level = _tier_level(df["risk_score"].to_numpy(), cfg)
    missing = _missing_checks(df, cfg)
    worst = df["risk_score"].to_numpy() + missing @ np.array([w.density, w.coverage])
    gap = _tier_level(worst, cfg) > level
    df["tier"] = _labels(np.where(gap, len(TIERS) - 1, level), TIERS)
    df["data_gap_reason"] = flag_names((missing > 0) & gap[:, None], list(DATA_GAP_REASONS))
    return df


TIERS = ("low", "medium", "high", "data_gap")  # level 0..2 by score; data_gap is set apart
ATTENTION_TIERS = ("high", "data_gap")  # the top-risk list and the head of the priority order
DATA_GAP_REASONS = ("employees_unknown", "size_unknown")  # one per column of _missing_checks


def _tier_level(score: np.ndarray, cfg: ContactCoverageConfig) -> np.ndarray:
    medium = np.where(score >= cfg.medium_risk_score - TOL, 1, 0)
    return np.where(score >= cfg.high_risk_score - TOL, 2, medium)


def _missing_checks(df: pd.DataFrame, cfg: ContactCoverageConfig) -> np.ndarray:
    """accounts × (density, coverage): 1 where a red-line check passed only because a value is
    missing — no employee count (density unknown), or no size class while the coverage would
    fail the strictest size baseline."""
    strictest = max([*cfg.coverage_baseline.values(), cfg.coverage_baseline_default])
    passed = ~df[["low_density_rl", "low_coverage_rl"]].to_numpy(dtype=bool)
    density = ~df["employees_known"].to_numpy(dtype=bool) & passed[:, 0]
    coverage = (df["company_size_category"].isna().to_numpy() & passed[:, 1]
                & (df["coverage"].to_numpy() < strictest))
    return np.column_stack([density, coverage]).astype("float64")


def _top_risk(df: pd.DataFrame, top_n: int) -> pd.DataFrame:
    """The first ``top_n`` high-risk and data-gap accounts, in priority order."""
    rows = np.flatnonzero(np.isin(df["tier"].to_numpy(), ATTENTION_TIERS))[:top_n]
    return df.iloc[rows].reset_index(drop=True)


def _data_gaps_after_high(df: pd.DataFrame, present: np.ndarray,
                          must: np.ndarray) -> tuple[pd.DataFrame, np.ndarray, np.ndarray]:
    """Move data-gap accounts right after the high-risk ones (a stable reorder: every other
    account keeps its relative order) and renumber ``priority_rank``."""
    tier = df["tier"].to_numpy()
    if not (tier == "data_gap").any():
        return df, present, must
    group = np.where(tier == "high", 0, np.where(tier == "data_gap", 1, 2))
    order = np.argsort(group, kind="stable")
    df = df.take(order).reset_index(drop=True)
    df["priority_rank"] = np.arange(1, len(df) + 1)
    return df, present[order], must[order]


def _workload(df: pd.DataFrame, cfg: ContactCoverageConfig, present: np.ndarray, must: np.ndarray, key_depts: list[str]) -> np.ndarray:
    """Contacts, executives and departments to add; returns the departments-to-add matrix."""
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
    must_miss = ~present & must
    other_miss = ~present & ~must_miss
    needed = np.maximum(0, np.ceil(df["coverage_threshold"].to_numpy() - TOL)
                        - df["coverage"].to_numpy()).astype(int)
    extra = np.maximum(0, needed - must_miss.sum(axis=1))
    add_mask = must_miss | (other_miss & (np.cumsum(other_miss, axis=1) <= extra[:, None]))
    df["departments_to_add"] = flag_names(add_mask, key_depts)
    df["n_departments_to_add"] = add_mask.sum(axis=1).astype("int64")
    return add_mask


def _priority(df: pd.DataFrame, cfg: ContactCoverageConfig) -> pd.DataFrame:
    """Revenue weight, priority score, owner role and queue; the priority order itself
    (``priority_rank``, ``size_rank``) comes from the engine (``metrics.coverage.priority_order``)."""
    n_key = len(df)
    rev_pos = df["revenue_rank"].astype("float64")  # 0 = highest revenue
    df["revenue_weight"] = 2.0 if n_key == 1 else 1.0 + (n_key - 1 - rev_pos) / (n_key - 1)
    df["priority_score"] = (df["risk_score"] * df["revenue_weight"]).round(10)
    df["owner_role"] = df["company_size_category"].map(dict(cfg.queues)).fillna(cfg.default_owner_role).astype("str")
    df["queue"] = df["owner_role"].where(df["risk_class"] == "strong", "")
    return df


ACTIONS = (  # code, milestone index (cfg.milestones_days)
    ("action.fix_employee_count", 0), ("action.classify_contacts", 0), ("action.add_executives", 1),
    ("action.add_contacts", 2), ("action.add_departments", 2), ("action.review_targets", 3),
)
LABEL_COLUMNS = ("owner_role", "tier", "risk_class")


def _action_plan(df: pd.DataFrame, cfg: ContactCoverageConfig, as_of: dt.date, present: np.ndarray, dept_add: np.ndarray,
                 key_depts: list[str]) -> pd.DataFrame:
    """One row per (key account, action), ordered by priority rank, milestone, action code.
    Built from row indices and one take per column; repeated labels are categoricals (millions
    of rows at 10M accounts)."""
    qty_fixes = (df["n_title_unrecognised"] + df["n_dept_unknown"]).to_numpy()
    new_exec = df["plan_new_executives"].to_numpy()
    other_new = df["plan_new_contacts"].to_numpy() - new_exec
    n_dep = df["n_departments_to_add"].to_numpy()
    # detail labels: "" / the executive roles / one label per department set (at most 2^k)
    dep_sets = [[d for j, d in enumerate(key_depts) if code >> j & 1] for code in range(1 << len(key_depts))]
    details = ["", " / ".join(cfg.executive_roles)] + ["; ".join(f"{d}: {' / '.join(cfg.department_roles.get(d, []))}" for d in deps)
                                                      for deps in dep_sets]
    dep_detail = 2 + pattern_codes(dept_add)
    rows = len(df)
    spec = {  # action → (mask, quantity, detail code)
        "action.fix_employee_count": (~df["employees_known"].to_numpy(dtype=bool), np.ones(rows, dtype="int64"), 0),
        "action.classify_contacts": (qty_fixes > 0, qty_fixes, 0),
        "action.add_executives": (new_exec > 0, new_exec, 1),
        "action.add_contacts": (df["low_density_rl"].to_numpy(dtype=bool) & (other_new > 0), other_new, 0),
        "action.add_departments": (n_dep > 0, n_dep, dep_detail),
        "action.review_targets": (df["risk_class"].to_numpy() != "none", None, 0),
    }
    codes = sorted(spec)  # action code order within one account and milestone
    idx, act, qty, det, ms = [], [], [], [], []
    for code, milestone in ACTIONS:
        mask, q, detail = spec[code]
        sel = np.flatnonzero(mask)
        idx.append(sel)
        act.append(np.full(len(sel), codes.index(code)))
        ms.append(np.full(len(sel), milestone))
        qty.append(q[sel].astype("float64") if q is not None else np.full(len(sel), np.nan))
        det.append(detail[sel] if isinstance(detail, np.ndarray) else np.full(len(sel), detail))
    idx, act, qty, det, ms = (np.concatenate(a) for a in (idx, act, qty, det, ms))
    order = np.lexsort((act, ms, idx))  # rows of df are in priority order
    idx, act, qty, det, ms = idx[order], act[order], qty[order], det[order], ms[order]

    days = np.asarray(cfg.milestones_days, dtype="int64")
    extra = [c for c in OPTIONAL_ACCOUNT_COLUMNS if c in df.columns]
    out = {"priority_rank": df["priority_rank"].to_numpy()[idx]}
    for c in ("account_id", "account_name", *extra):  # ~4 rows per account: each string stored once
        out[c] = _categorical_take(df[c], idx, sort=False)
    for c in LABEL_COLUMNS:
        out[c] = _categorical_take(df[c], idx)
    out["density"] = df["density"].to_numpy()[idx]
    out["decision_ratio"] = df["decision_ratio"].to_numpy()[idx]
    out["coverage"] = df["coverage"].to_numpy()[idx]
    out["missing_departments"] = _categorical_codes(pattern_codes(~present)[idx],
                                                    ["; ".join(deps) for deps in dep_sets])
    out["action"] = _categorical_codes(act, codes)
    no_qty = np.isnan(qty)  # review_targets has no quantity
    out["quantity"] = pd.arrays.IntegerArray(np.where(no_qty, 0, qty).astype("int64"), no_qty)
    out["detail"] = _categorical_codes(det, details)
    out["milestone_days"] = days[ms]
    out["due_date"] = _categorical_codes(ms, [(as_of + dt.timedelta(days=int(d))).isoformat() for d in days])
    out["status"] = _categorical_codes(np.zeros(len(idx), dtype="int64"), ["open"])
    cols = ["priority_rank", "account_id", "account_name", "owner_role", *extra, "tier", "risk_class", *GAP_COLUMNS,
            "action", "quantity", "detail", "milestone_days", "due_date", "status"]
    return pd.DataFrame({c: out[c] for c in cols})


def _categorical_codes(codes: np.ndarray, labels: list[str]) -> pd.Categorical:
    """A categorical of ``labels[codes]`` (code -1 → missing) whose categories are the labels that
    occur, sorted — what ``astype('category')`` on the strings would give, without the strings."""
    codes = np.asarray(codes, dtype="int64")
    labels = np.asarray(labels, dtype=object)
    used = np.flatnonzero(np.bincount(codes[codes >= 0], minlength=len(labels)))
    cats, inverse = np.unique(labels[used], return_inverse=True)  # labels may repeat ("" twice)
    remap = np.full(len(labels) + 1, -1, dtype="int64")  # the extra slot maps code -1 to -1
    remap[used] = inverse
    return pd.Categorical.from_codes(remap[codes], categories=pd.Index(cats, dtype="str"))


def _categorical_take(col: pd.Series, idx: np.ndarray, sort: bool = True) -> pd.Categorical:
    """``col[idx]`` as a categorical.  ``sort=False`` (ids, names: one category per account) keeps
    the categories in first-seen order and skips dropping unused ones."""
    codes, uniques = pd.factorize(col)
    if sort:
        return _categorical_codes(codes[idx], list(uniques))
    return pd.Categorical.from_codes(codes[idx], categories=pd.Index(uniques, dtype="str"))


# ---- breakdowns ---------------------------------------------------------------------------------

def _breakdown(df: pd.DataFrame, by: str, order: list[str]) -> pd.DataFrame:
    if not len(df):
        return pd.DataFrame(columns=[by, "high_share"])
    known = df["density"].notna()
    x = pd.DataFrame({
        by: df[by],
        "high": df["tier"] == "high", "medium": df["tier"] == "medium", "low": df["tier"] == "low",
        "data_gap": df["tier"] == "data_gap",
        "strong_risk": df["risk_class"] == "strong", "secondary_risk": df["risk_class"] == "secondary",
        "density_known": known, "density_pass": known & ~df["low_density_rl"],
        "decision_pass": ~df["low_decision_rl"], "coverage_pass": ~df["low_coverage_rl"],
        "density": df["density"], "coverage": df["coverage"],
        "contacts_to_add": df["contacts_to_add"], "executives_to_add": df["executives_to_add"],
    })
    g = x.groupby(by, dropna=False)
    n = g.size()
    sums = g[["high", "medium", "low", "data_gap", "strong_risk", "secondary_risk", "density_known", "density_pass",
              "decision_pass", "coverage_pass"]].sum()
    out = pd.DataFrame({
        "key_accounts": n,
        **{c: sums[c] for c in ("high", "medium", "low", "data_gap", "strong_risk", "secondary_risk")},
        "density_pass_rate": pd.Series([rate(p, k) for p, k in zip(sums["density_pass"], sums["density_known"])], index=n.index),
        "decision_pass_rate": pd.Series([rate(p, k) for p, k in zip(sums["decision_pass"], n)], index=n.index),
        "coverage_pass_rate": pd.Series([rate(p, k) for p, k in zip(sums["coverage_pass"], n)], index=n.index),
        "median_density": g["density"].median(),
        "mean_coverage": g["coverage"].mean(),
        "contacts_to_add": g["contacts_to_add"].sum(min_count=0).astype("int64"),
        "executives_to_add": g["executives_to_add"].sum(),
    })
    out = out.reindex(list(dict.fromkeys([*order, *out.index.tolist()])))
    out.index.name = by
    out = out.reset_index()
    for c in ("key_accounts", "high", "medium", "low", "data_gap", "strong_risk", "secondary_risk", "contacts_to_add",
              "executives_to_add"):
        out[c] = out[c].fillna(0).astype("int64")
    out["high_share"] = [rate(h, k) for h, k in zip(out["high"], out["key_accounts"])]
    return out


def _department_gaps(df: pd.DataFrame, key_depts: list[str]) -> pd.DataFrame:
    n = len(df)
    rows = [{"department": d, "accounts_missing": int((~df[f"has_{d}"]).sum()), "share_missing": rate(int((~df[f"has_{d}"]).sum()), n)} for d in key_depts]
    return pd.DataFrame(rows, columns=["department", "accounts_missing", "share_missing"])


def _dept_by_industry(df: pd.DataFrame, key_depts: list[str]) -> pd.DataFrame:
    cols = [f"has_{d}" for d in key_depts]
    g = df[["industry_normalized", *cols]].groupby("industry_normalized", sort=True)
    n, means = g.size(), g[cols].mean()
    rows = [{"industry_normalized": ind, "department": d, "accounts": int(n[ind]), "coverage_rate": float(means.at[ind, f"has_{d}"])}
            for ind in n.index for d in key_depts]
    return pd.DataFrame(rows, columns=["industry_normalized", "department", "accounts", "coverage_rate"])


def _playbooks(df, groups, cfg: ContactCoverageConfig, industries: list[str], key_depts: list[str]) -> pd.DataFrame:
    positions = df.groupby("industry_normalized", sort=False).indices
    density = df["density"].to_numpy(dtype="float64")
    high = df["tier"].to_numpy() == "high"
    missing = {d: ~df[f"has_{d}"].to_numpy(dtype=bool) for d in key_depts}
    rows = []
    for ind in industries:
        pos = positions.get(ind, np.zeros(0, dtype="int64"))
        p = percentile(density[pos], cfg.peer_percentile) if len(pos) else np.nan
        target = cfg.density_red_line if np.isnan(p) or len(pos) < cfg.peer_min_group_size else max(cfg.density_red_line, p)
        must = cfg.industry_must_have.get(ind, [])
        entry = [r for d in must for r in cfg.department_roles.get(d, [])[:2]] or list(cfg.executive_roles[:2])
        rows.append({
            "industry_normalized": ind, "key_accounts": len(pos),
            "high_risk": int(high[pos].sum()),
            "density_target": target, "must_have_departments": must,
            "entry_roles": entry,
            "most_missing_department": (max(key_depts, key=lambda d: int(missing[d][pos].sum())) if len(pos) else None),
        })
    return pd.DataFrame(rows)


def _entities(df: pd.DataFrame) -> pd.DataFrame:
    """The per-entity state the monitor records: one row per key account."""
    return pd.DataFrame({
        "entity_id": df["account_id"], "entity_name": df["account_name"], "tier": df["tier"],
        "risk_score": df["risk_score"], "n_contacts": df["n_contacts"], "n_decision": df["n_decision"],
        "density": df["density"], "decision_ratio": df["decision_ratio"], "coverage": df["coverage"],
        "employees_known": df["employees_known"].astype(bool),
        "data_gap_reason": ["; ".join(r) for r in df["data_gap_reason"]],
    }).sort_values("entity_id", kind="stable").reset_index(drop=True)


def _risk_distribution(df: pd.DataFrame) -> pd.DataFrame:
    out = df.groupby(["risk_score", "tier"]).size().rename("accounts").reset_index()
    return out.sort_values("risk_score").reset_index(drop=True)


def _density_by_size(df: pd.DataFrame, order: list[str]) -> pd.DataFrame:
    rows = []
    for size in [*order, *sorted(set(df["company_size_category"].dropna().unique()) - set(order))]:
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
    pos = np.flatnonzero(df["density"].notna().to_numpy())
    if len(pos) > limit:
        pos = pos[np.linspace(0, len(pos) - 1, limit).round().astype(int)]
    return df[cols].iloc[pos].reset_index(drop=True)


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
        "data_gap": Metric(int((df["tier"] == "data_gap").sum())),
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
    if v["data_gap"]:
        f.append(Finding("cc.data_gap", {"count": v["data_gap"]}, "warning"))
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
        q = int(((df["risk_class"] == "strong") & (df["company_size_category"] == size)).sum())
        if q:
            recs.append(Recommendation("rec.queue", {"size": size, "role": role, "accounts": q, "first_due_days": cfg.milestones_days[1]}, {"queue": role}))
    if v["key_employees_unknown"] or v["contacts_title_unrecognised"] or v["contacts_dept_unknown"]:
        recs.append(Recommendation("rec.fix_data", {"employees_unknown": v["key_employees_unknown"], "titles": v["contacts_title_unrecognised"], "departments": v["contacts_dept_unknown"], "days": cfg.milestones_days[0]}, {}))
    recs.append(Recommendation("rec.monitor", {"density": v["density_pass_rate"], "decision": v["decision_pass_rate"], "coverage": v["coverage_pass_rate"]}, {"cadence": "weekly"}))
    return tuple(recs)



__all__ = ["ContactCoverage"]
