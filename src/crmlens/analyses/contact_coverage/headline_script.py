"""Contact coverage's part of the headline-only pandas script ``crmlens bench`` runs against
``crmlens run`` (see :mod:`crmlens.bench_script`): key accounts and high-risk accounts the way a
careful analyst computes them in pandas today — whole tables, vectorised string matching with the
configured title and department rules, ``groupby``, ``merge``.  Used only for timing."""

from __future__ import annotations

import math
import warnings

import duckdb
import numpy as np
import pandas as pd

from crmlens.config import CrmlensConfig

ACCOUNTS = "salesforce__customer_360_view"
CONTACTS = "salesforce__contact_enhanced"


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


def headline(con: duckdb.DuckDBPyConnection, cfg: CrmlensConfig) -> dict:
    cc = cfg.section("contact_coverage")
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
