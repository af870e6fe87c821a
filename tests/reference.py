"""An independent plain-pandas implementation of contact_coverage's headline numbers.

Written from the specification (issue "contact_coverage", README), the way a seed analyst would:
load the two tables into pandas, classify every contact row with ``str.contains`` over the
configured patterns, group, threshold.  It shares no code with crmlens except reading the config
values (the rules are inputs, not code under test).
"""

from __future__ import annotations

import math

import warnings

import duckdb
import numpy as np
import pandas as pd

from crmlens.config import CrmlensConfig


def _matches(s: pd.Series, patterns: list[str]) -> pd.Series:
    out = pd.Series(False, index=s.index)
    with warnings.catch_warnings():
        warnings.simplefilter(
            "ignore", UserWarning
        )  # "pattern has match groups" — we only test membership
        for p in patterns:
            out |= s.str.contains(p, case=False, regex=True, na=False)
    return out


def title_level(titles: pd.Series, cfg: CrmlensConfig) -> pd.Series:
    r = cfg.titles
    t = titles.fillna("").str.split().str.join(" ")
    level = pd.Series("unrecognised", index=t.index)
    vp_words = r"vice[\s-]+president|\b[saeg]?vp\b|v\.\s?p\.|副总裁|副总经理"
    stripped = t.str.replace(vp_words, " ", case=False, regex=True)
    is_vp = _matches(t, r.vp)
    is_c = _matches(t, r.c_level)
    c_after_vp = _matches(stripped, r.c_level)
    other = _matches(t, r.known_other)
    excl = _matches(t, r.exclude)
    level[other] = "other"
    level[is_c] = "c_level"
    level[is_vp] = np.where(c_after_vp[is_vp], "c_level", "vp")
    level[excl] = "other"
    level[t == ""] = "unknown"
    return level


def dept_class(depts: pd.Series, cfg: CrmlensConfig) -> pd.Series:
    d = depts.fillna("").str.split().str.join(" ")
    out = pd.Series("unknown", index=d.index)
    assigned = d == ""
    for name, pats in cfg.departments.key.items():
        hit = _matches(d, pats) & ~assigned
        out[hit] = name
        assigned |= hit
    for name, pats in cfg.departments.other.items():
        hit = _matches(d, pats) & ~assigned
        out[hit] = "other:" + name
        assigned |= hit
    out[~assigned] = "unrecognised"
    return out


def headline(path, cfg: CrmlensConfig | None = None, as_of=None) -> dict:
    cfg = cfg or CrmlensConfig()
    cc = cfg.contact_coverage
    con = duckdb.connect(str(path), read_only=True)
    acc = con.execute("SELECT * FROM salesforce__customer_360_view").df()
    cts = con.execute(
        "SELECT account_id, title, department, is_deleted FROM salesforce__contact_enhanced"
    ).df()
    con.close()

    # size inferred from the employee count when the size class is Unknown or NULL
    size, emp_all = acc["company_size_category"], acc["number_of_employees"].astype("float64")
    unknown = size.isna() | size.isin(cc.size_unknown_values)
    band = pd.Series(None, index=acc.index, dtype=object)
    for name, low in sorted(cc.size_from_employees.items(), key=lambda kv: kv[1]):
        band[emp_all >= low] = name  # ascending minimums: the largest band reached wins
    inferred = unknown & emp_all.notna() & (emp_all > 0) & band.notna()
    acc = acc.assign(company_size_category=size.where(~inferred, band), inferred=inferred)

    valid = acc[acc["annual_revenue"].notna()].sort_values(
        ["annual_revenue", "account_id"], ascending=[False, True]
    )
    n_key = math.ceil(round(len(valid) * cc.key_account_share, 9))
    key = valid.head(n_key).copy()
    threshold = float(key["annual_revenue"].iloc[-1])

    live = cts[~cts["is_deleted"].fillna(False).astype(bool)].copy()
    live["level"] = title_level(live["title"], cfg)
    live["dept"] = dept_class(live["department"], cfg)
    per = live.groupby("account_id").agg(
        n=("level", "size"),
        dm=("level", lambda s: int(s.isin(["c_level", "vp"]).sum())),
    )
    depts = list(cfg.departments.key)
    cov = live[live["dept"].isin(depts)].groupby("account_id")["dept"].nunique().rename("coverage")
    key = key.join(per, on="account_id").join(cov, on="account_id")
    key[["n", "dm", "coverage"]] = key[["n", "dm", "coverage"]].fillna(0)

    emp = key["number_of_employees"].astype("float64")
    known = emp.notna() & (emp > 0)
    key["density"] = np.where(
        known, key["n"] * cc.density_per_employees / emp.where(known, 1), np.nan
    )
    key["ratio"] = np.where(key["n"] > 0, key["dm"] / key["n"].where(key["n"] > 0, 1), 0.0)
    base = key["company_size_category"].map(
        lambda s: cc.coverage_baseline.get(s, cc.coverage_baseline_default)
    )
    low_d = known & (key["density"] < cc.density_red_line)
    low_r = key["ratio"] < cc.decision_ratio_red_line
    low_c = key["coverage"] < base
    score = cc.weights.density * low_d + cc.weights.decision * low_r + cc.weights.coverage * low_c

    # peer track
    dens_thr = pd.Series(cc.density_red_line, index=key.index)
    cov_thr = base.astype(float)
    for _, g in key.groupby(["industry_normalized", "company_size_category"]):
        if len(g) < cc.peer_min_group_size:
            continue
        d = g["density"].dropna()
        if len(d):
            dens_thr[g.index] = max(cc.density_red_line, float(np.quantile(d, cc.peer_percentile)))
        cov_thr[g.index] = np.maximum(
            base[g.index], float(np.quantile(g["coverage"], cc.peer_percentile))
        )
    must_missing = []
    for idx, row in key.iterrows():
        have = (
            set(
                live.loc[
                    (live["account_id"] == row["account_id"]) & live["dept"].isin(depts), "dept"
                ]
            )
            if row["coverage"]
            else set()
        )
        must_missing.append(
            any(m not in have for m in cc.industry_must_have.get(row["industry_normalized"], []))
        )
    low_d_peer = known & (key["density"] < dens_thr)
    low_c_peer = (key["coverage"] < cov_thr) | pd.Series(must_missing, index=key.index)

    # data gap: a check that passed only because a value is missing is failed in the worst case
    # (no employee count → density; no size class → coverage against the strictest baseline)
    def tier(x):
        return np.where(
            x >= cc.high_risk_score - 1e-9, 2, np.where(x >= cc.medium_risk_score - 1e-9, 1, 0)
        )

    strictest = max([*cc.coverage_baseline.values(), cc.coverage_baseline_default])
    size_gap = key["company_size_category"].isna() & ~low_c & (key["coverage"] < strictest)
    worst = score + cc.weights.density * ~known + cc.weights.coverage * size_gap
    data_gap = tier(worst.to_numpy(float)) > tier(score.to_numpy(float))

    need = np.ceil(cc.density_red_line * emp / cc.density_per_employees - 1e-9)
    to_add = (need - key["n"]).clip(lower=0).where(known, 0)
    r = cc.decision_ratio_red_line
    # joint plan by search: T = max(density need, executives alone); x = the fewest executives
    # among the T new contacts with (dm + x) / (n + T) ≥ r
    totals, execs = [], []
    for n, dm, density_need in zip(key["n"], key["dm"], to_add):
        alone = 0
        while (n + alone == 0) or (dm + alone) / (n + alone) < r - 1e-12:
            alone += 1
        total = max(int(density_need), alone)
        x = 0
        while x < total and (dm + x) / (n + total) < r - 1e-12:
            x += 1
        totals.append(total)
        execs.append(x)

    # seed 001's additive points; high = top share by points, ties included, never 0
    points = low_d.astype(float) + low_r.astype(float) + (len(depts) - key["coverage"]) / 5
    n_top = max(1, math.ceil(round(len(key) * cc.additive.high_share, 9)))
    cut = sorted(points, reverse=True)[n_top - 1]
    additive_high = (points >= cut - 1e-9) & (points > 1e-9)

    # relative peer standard: below fraction × the median of the industry × size group, else
    # the industry, else all key accounts (groups counted by known densities)
    med = pd.Series(np.nan, index=key.index)
    for keys in (["industry_normalized", "company_size_category"], ["industry_normalized"]):
        for _, g in key.groupby(keys, dropna=False):
            d = g["density"].dropna()
            todo = [i for i in g.index if np.isnan(med[i])]
            if len(d) >= cc.peer_min_group_size:
                med[todo] = float(np.median(d))
    if key["density"].notna().sum() >= cc.peer_min_group_size:
        med[med.isna()] = float(key["density"].median())
    relative = key["density"] < cc.relative_peer_fraction * med

    outcome = outcome_rates(path, cc, key, score >= cc.high_risk_score - 1e-9, data_gap, as_of)
    return {
        **outcome,
        "key_accounts": n_key,
        "revenue_threshold": threshold,
        "fail_density_red_line": int(low_d.sum()),
        "fail_decision_red_line": int(low_r.sum()),
        "fail_coverage_red_line": int(low_c.sum()),
        "fail_density_peer": int(low_d_peer.sum()),
        "fail_coverage_peer": int(low_c_peer.sum()),
        "high_risk": int((score >= cc.high_risk_score - 1e-9).sum()),
        "data_gap": int(data_gap.sum()),
        "medium_risk": int(((tier(score.to_numpy(float)) == 1) & ~data_gap).sum()),
        "contacts_to_add": int(sum(totals)),
        "executives_to_add": int(sum(execs)),
        "density_need_only": int(to_add.sum()),
        "size_inferred": int(key["inferred"].sum()),
        "high_risk_additive": int(additive_high.sum()),
        "fail_density_relative": int(relative.sum()),
        "peer_track_at_red_line": int((dens_thr <= cc.density_red_line).sum()),
        "key_contacts_live": int(key["n"].sum()),
        "key_contacts_dept_unknown": int(
            live[live["account_id"].isin(key["account_id"])]["dept"]
            .isin(["unknown", "unrecognised"])
            .sum()
        ),
    }


def outcome_rates(path, cc, key, high, data_gap, as_of) -> dict:
    """Win rate of closed deals (close date in the window) at high-risk key accounts against the
    other key accounts (data gaps on neither side)."""
    con = duckdb.connect(str(path), read_only=True)
    opp = con.execute("SELECT * FROM salesforce__opportunity_enhanced").df()
    con.close()
    close = pd.to_datetime(opp["close_date"]).dt.date
    start = as_of - pd.Timedelta(days=cc.outcome_window_days).to_pytimedelta()
    closed = opp[opp["is_closed"].fillna(False).astype(bool) & (close >= start) & (close <= as_of)]
    high_ids = set(key.loc[high & ~data_gap, "account_id"])
    other_ids = set(key.loc[~high & ~data_gap, "account_id"])
    won = closed["is_won"].fillna(False).astype(bool)
    on_high = closed["account_id"].isin(high_ids)
    on_other = closed["account_id"].isin(other_ids)
    return {
        "outcome_deals": int(on_high.sum() + on_other.sum()),
        "outcome_win_rate_high": float(won[on_high].mean()),
        "outcome_win_rate_other": float(won[on_other].mean()),
    }


def mismatch_headline(path, cfg: CrmlensConfig | None = None) -> dict:
    """Plain-pandas re-computation of the investment-mismatch cohort numbers (email identity)."""
    cfg = cfg or CrmlensConfig()
    mc = cfg.investment_mismatch
    con = duckdb.connect(str(path), read_only=True)
    v = con.execute("SELECT * FROM customer360__customer_value_analysis").df()
    c = con.execute(
        "SELECT customer360_id, email, total_sales_amount FROM customer360__customer"
    ).df()
    con.close()
    v["key"] = v["primary_email"].str.lower().str.strip()
    v = v.sort_values(
        ["key", "analysis_timestamp", "primary_email", "investment_priority_score"],
        ascending=[True, False, True, False],
        na_position="last",
    )
    v = v[v["key"].notna()].drop_duplicates("key", keep="first")
    c["key"] = c["email"].str.lower().str.strip()
    c = c.sort_values(["key", "customer360_id"]).drop_duplicates("key", keep="first")
    df = v.merge(c[["key", "customer360_id", "total_sales_amount"]], on="key", how="left")
    distinct, joined = len(df), int(df["customer360_id"].notna().sum())
    df = df.dropna(
        subset=[
            "customer360_id",
            "investment_priority_score",
            "total_sales_amount",
            "product_adoption_rate",
            "support_resolution_efficiency",
        ]
    )
    comp = np.zeros(len(df))
    for col, w in (
        ("total_sales_amount", mc.weights.sales),
        ("product_adoption_rate", mc.weights.adoption),
        ("support_resolution_efficiency", mc.weights.support),
    ):
        x = df[col].to_numpy(float)
        lo, hi = np.percentile(x, 100 * mc.winsor_low), np.percentile(x, 100 * mc.winsor_high)
        x = np.clip(x, lo, hi)
        comp += w * (x - x.min()) / (x.max() - x.min())
    df["composite"] = comp
    n = len(df)
    pr = df["investment_priority_score"].to_numpy()
    cd_p = (
        np.array([(pr <= p).sum() for p in pr]) / n
        if n < 20000
        else df["investment_priority_score"].rank(method="max").to_numpy() / n
    )
    cd_c = df["composite"].rank(method="max").to_numpy() / n
    top = cd_p >= 1 - mc.priority_top_share - 1e-12
    bottom = cd_c <= mc.composite_bottom_share + 1e-12
    mism = top & bottom
    cac = df["acquisition_cost"].to_numpy(float)
    ok = (cac > 0) & ~np.isnan(cac) & df["customer_lifetime_value"].notna().to_numpy()
    roi = df["customer_lifetime_value"].to_numpy(float)[ok] / cac[ok]
    lo, hi = np.percentile(roi, 100 * mc.winsor_low), np.percentile(roi, 100 * mc.winsor_high)
    stage_counts = df["lifecycle_stage"].value_counts().sort_index().to_dict()
    stage_mism = (
        df[mism]["lifecycle_stage"]
        .value_counts()
        .reindex(sorted(stage_counts), fill_value=0)
        .to_dict()
    )
    roi_all = np.full(n, np.nan)
    roi_all[ok] = np.clip(roi, lo, hi)
    extra = _mismatch_second_pass(df.assign(roi_w=roi_all), top, mism, ok, cac, mc)
    return extra | {
        "distinct_emails": distinct,
        "join_coverage": joined / distinct,
        "base_customers": n,
        "top_priority": int(top.sum()),
        "bottom_composite": int(bottom.sum()),
        "mismatched": int(mism.sum()),
        "priority_cutoff": float(pr[top].min()),
        "composite_cutoff": float(df["composite"].to_numpy()[bottom].max()),
        "roi_median": float(np.median(np.clip(roi, lo, hi))),
        "roi_undefined": int((~ok).sum()),
        "stage_counts": {k: int(v) for k, v in stage_counts.items()},
        "stage_mismatched": {k: int(v) for k, v in stage_mism.items()},
    }


def _mismatch_second_pass(df, top, mism, ok, cac, mc) -> dict:
    """Issue 14 numbers from the spec: per stage the top-priority pool and the within-pool rate;
    ROI of mismatched vs matched top-priority customers; the ANOVA of log ROI by stage inside
    the mismatched cohort (scipy) with η²; the pool's composite gap and its weighted parts."""
    from scipy import stats

    df = df.assign(top=top, mism=mism)
    pool = df[df["top"]]
    per_stage = pool.groupby("lifecycle_stage")["mism"].agg(["size", "sum"])
    raw_roi = df["customer_lifetime_value"].to_numpy(float) / np.where(ok, cac, np.nan)
    cohort = df.assign(raw=raw_roi)[mism & ok]
    cohort = cohort[cohort["raw"] > 0]
    logs = [np.log(g["raw"].to_numpy()) for _, g in cohort.groupby("lifecycle_stage") if len(g) > 1]
    anova = stats.f_oneway(*logs)
    values = np.concatenate(logs)
    between = sum(len(x) * (x.mean() - values.mean()) ** 2 for x in logs)
    eta2 = between / ((values - values.mean()) ** 2).sum()
    matched = pool[~pool["mism"]]
    mismatched = pool[pool["mism"]]
    return {
        "stage_top": {k: int(x) for k, x in per_stage["size"].items()},
        "stage_rate_in_top": {
            k: float(x) for k, x in (per_stage["sum"] / per_stage["size"]).items()
        },
        "roi_mean_top_matched": float(np.nanmean(matched["roi_w"])),
        "roi_mean_mismatched": float(np.nanmean(mismatched["roi_w"])),
        "cohort_anova_f": float(anova.statistic),
        "cohort_anova_p": float(anova.pvalue),
        "cohort_anova_eta2": float(eta2),
        "delta_composite": float(matched["composite"].mean() - mismatched["composite"].mean()),
        "mean_adoption_mismatched": float(mismatched["product_adoption_rate"].mean()),
        "mean_adoption_top_matched": float(matched["product_adoption_rate"].mean()),
    }
