"""The script crmlens replaces, for ``crmlens bench``: a plain pandas program that computes only
the headline numbers of contact coverage and investment mismatch (no report, no tables, no
statistics beyond the cohorts) the way a careful analyst would write it today — whole tables read
into pandas, vectorised string matching (``str.contains`` with the configured rules), ``groupby``
and ``merge``.  It is the fair opponent of ``crmlens run contact_coverage investment_mismatch``
end to end (the row-by-row unit baselines flatter crmlens).

    python -m crmlens.bench_script DATA.duckdb      # prints the headline numbers as JSON

Same rules and thresholds as crmlens (read from the default configuration).
"""

from __future__ import annotations

import json
import math
import sys
import warnings

import duckdb
import numpy as np
import pandas as pd

from crmlens.config import CrmlensConfig, default_config

ACCOUNTS = "salesforce__customer_360_view"
CONTACTS = "salesforce__contact_enhanced"
VALUE = "customer360__customer_value_analysis"
CUSTOMERS = "customer360__customer"


def _pattern(patterns: list[str]) -> str:
    return "|".join(f"(?:{p})" for p in patterns) if patterns else r"(?!)"


def _matches(text: pd.Series, patterns: list[str]) -> pd.Series:
    with warnings.catch_warnings():  # configured patterns may hold groups: only a match counts
        warnings.simplefilter("ignore", UserWarning)
        return text.str.contains(_pattern(patterns), case=False, regex=True, na=False)


def title_levels(titles: pd.Series, cfg: CrmlensConfig) -> pd.Series:
    """c_level / vp / other per title (vectorised; the crmlens rules, VP before C-level)."""
    rules = cfg.titles
    text = titles.fillna("").str.split().str.join(" ")
    excluded = _matches(text, rules.exclude)
    vp = _matches(text, rules.vp) & ~excluded
    stripped = text.str.replace(_pattern(rules.vp_phrases), " ", case=False, regex=True)
    c_level = ~excluded & np.where(
        vp, _matches(stripped, rules.c_level), _matches(text, rules.c_level)
    )
    return pd.Series(np.select([c_level, vp], ["c_level", "vp"], "other"), index=titles.index)


def key_departments(departments: pd.Series, cfg: CrmlensConfig) -> pd.Series:
    """The key department of each contact (first dictionary entry that matches), else None."""
    text = departments.fillna("").str.split().str.join(" ")
    names = list(cfg.departments.key)
    hits = [_matches(text, cfg.departments.key[name]) for name in names]
    return pd.Series(np.select(hits, names, None), index=departments.index)


def contact_coverage(con: duckdb.DuckDBPyConnection, cfg: CrmlensConfig) -> dict:
    cc = cfg.contact_coverage
    accounts = con.execute(
        f"SELECT account_id, annual_revenue, number_of_employees, company_size_category "
        f"FROM {ACCOUNTS}"
    ).df()
    contacts = con.execute(f"SELECT account_id, title, department, is_deleted FROM {CONTACTS}").df()
    contacts = contacts[~contacts["is_deleted"].fillna(False).astype(bool)]
    level = title_levels(contacts["title"], cfg)
    dept = key_departments(contacts["department"], cfg)
    per = pd.DataFrame(
        {"account_id": contacts["account_id"], "dm": level.isin(["c_level", "vp"]), "dept": dept}
    )
    stats = per.groupby("account_id").agg(n=("dm", "size"), dm=("dm", "sum"))
    stats["coverage"] = per.dropna(subset=["dept"]).groupby("account_id")["dept"].nunique()
    valid = accounts.dropna(subset=["annual_revenue"]).sort_values(
        ["annual_revenue", "account_id"], ascending=[False, True]
    )
    key = valid.head(math.ceil(round(len(valid) * cc.key_account_share, 9)))
    key = key.merge(stats, left_on="account_id", right_index=True, how="left")
    key[["n", "dm", "coverage"]] = key[["n", "dm", "coverage"]].fillna(0)
    employees = key["number_of_employees"].astype(float)
    density = np.where(employees > 0, key["n"] / employees * cc.density_per_employees, np.nan)
    ratio = np.where(key["n"] > 0, key["dm"] / key["n"].where(key["n"] > 0, 1), 0.0)
    baseline = (
        key["company_size_category"].map(cc.coverage_baseline).fillna(cc.coverage_baseline_default)
    )
    score = (
        cc.weights.density * (density < cc.density_red_line)
        + cc.weights.decision * (ratio < cc.decision_ratio_red_line)
        + cc.weights.coverage * (key["coverage"] < baseline)
    )
    high = int((score >= cc.high_risk_score - 1e-9).sum())
    return {"key_accounts": len(key), "high_risk": high, "high_risk_share": high / len(key)}


def _normalised(x: pd.Series, lo: float, hi: float) -> pd.Series:
    low, high = x.quantile(lo), x.quantile(hi)
    clipped = x.clip(low, high)
    span = clipped.max() - clipped.min()
    return (clipped - clipped.min()) / span if span > 0 else pd.Series(0.5, index=x.index)


def investment_mismatch(con: duckdb.DuckDBPyConnection, cfg: CrmlensConfig) -> dict:
    im = cfg.investment_mismatch
    value = con.execute(f"SELECT * FROM {VALUE}").df()
    customers = con.execute(
        f"SELECT customer360_id, email, total_sales_amount FROM {CUSTOMERS}"
    ).df()
    value["email_key"] = value["primary_email"].str.lower().str.strip()
    value = value.dropna(subset=["email_key"]).sort_values(
        ["email_key", "analysis_timestamp", "primary_email", "investment_priority_score"],
        ascending=[True, False, True, False],
        na_position="last",
    )
    value = value.drop_duplicates("email_key")
    customers["email_key"] = customers["email"].str.lower().str.strip()
    customers = customers.sort_values(["email_key", "customer360_id"]).drop_duplicates("email_key")
    base = value.merge(customers.drop(columns="email"), on="email_key", how="left")
    components = {
        "sales": "total_sales_amount",
        "adoption": "product_adoption_rate",
        "support": "support_resolution_efficiency",
    }
    need = ["customer360_id", "investment_priority_score", *components.values()]
    base = base.dropna(subset=need)
    weights = im.weights.model_dump()
    composite = sum(
        weights[name] * _normalised(base[col].astype(float), im.winsor_low, im.winsor_high)
        for name, col in components.items()
    )
    top = base["investment_priority_score"].rank(method="max", pct=True) >= (
        1 - im.priority_top_share - 1e-12
    )
    bottom = composite.rank(method="max", pct=True) <= im.composite_bottom_share + 1e-12
    mismatched = int((top & bottom).sum())
    return {
        "base_customers": len(base),
        "top_priority": int(top.sum()),
        "mismatched": mismatched,
        "mismatch_rate_in_top": mismatched / max(int(top.sum()), 1),
    }


def headlines(path: str, cfg: CrmlensConfig | None = None) -> dict:
    cfg = cfg or default_config()
    con = duckdb.connect(path, read_only=True)
    try:
        return {
            "contact_coverage": contact_coverage(con, cfg),
            "investment_mismatch": investment_mismatch(con, cfg),
        }
    finally:
        con.close()


if __name__ == "__main__":  # pragma: no cover  (run by `crmlens bench` as its own process)
    print(json.dumps(headlines(sys.argv[1])))
