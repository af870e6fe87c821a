"""The pandas baseline for ``crmlens bench``: contact coverage computed the way the seed analysts
do it — load whole tables into pandas, classify every contact row with ``apply``, group, merge,
threshold.  Same rules and thresholds as crmlens (from the config); used only for timing."""

from __future__ import annotations

import math

import duckdb
import numpy as np

from crmlens.analyses.contact_coverage.columns import (
    ACCOUNT_COLUMNS,
    CONTACT_COLUMNS,
    OPTIONAL_ACCOUNT_COLUMNS,
)
from crmlens.classify.departments import DepartmentClassifier
from crmlens.classify.titles import TitleClassifier
from crmlens.config import CrmlensConfig


def contact_coverage_pandas(path: str, cfg: CrmlensConfig) -> dict:
    cc = cfg.contact_coverage
    con = duckdb.connect(path, read_only=True)
    acc = con.execute("SELECT * FROM salesforce__customer_360_view").df()
    cts = con.execute("SELECT * FROM salesforce__contact_enhanced").df()
    con.close()
    tc, dc = TitleClassifier(cfg.titles), DepartmentClassifier(cfg.departments)
    cts = cts[~cts["is_deleted"].astype(bool)].copy()
    cts["level"] = cts["title"].apply(lambda t: tc.level(t if isinstance(t, str) else None))
    cts["dept"] = cts["department"].apply(lambda d: dc.classify(d if isinstance(d, str) else None))
    valid = acc.dropna(subset=["annual_revenue"]).sort_values(
        ["annual_revenue", "account_id"], ascending=[False, True]
    )
    key = valid.head(math.ceil(round(len(valid) * cc.key_account_share, 9))).copy()
    per = cts.groupby("account_id").agg(
        n=("level", "size"), dm=("level", lambda s: int(s.isin(["c_level", "vp"]).sum()))
    )
    cov = (
        cts[cts["dept"].isin(list(cfg.departments.key))]
        .groupby("account_id")["dept"]
        .nunique()
        .rename("coverage")
    )
    key = key.merge(per, left_on="account_id", right_index=True, how="left").merge(
        cov, left_on="account_id", right_index=True, how="left"
    )
    key[["n", "dm", "coverage"]] = key[["n", "dm", "coverage"]].fillna(0)
    emp = key["number_of_employees"].astype(float)
    key["density"] = np.where(emp > 0, key["n"] / emp * cc.density_per_employees, np.nan)
    key["ratio"] = np.where(key["n"] > 0, key["dm"] / key["n"].replace(0, 1), 0.0)
    base = key["company_size_category"].map(
        lambda s: cc.coverage_baseline.get(s, cc.coverage_baseline_default)
    )
    p25 = key.groupby(["industry_normalized", "company_size_category"])["density"].transform(
        lambda s: s.quantile(cc.peer_percentile)
    )
    low_d = key["density"] < cc.density_red_line
    low_r = key["ratio"] < cc.decision_ratio_red_line
    low_c = key["coverage"] < base
    score = cc.weights.density * low_d + cc.weights.decision * low_r + cc.weights.coverage * low_c
    return {
        "key_accounts": len(key),
        "high_risk": int((score >= cc.high_risk_score - 1e-9).sum()),
        "peer_threshold_max": float(np.nanmax(np.maximum(cc.density_red_line, p25)))
        if len(key)
        else math.nan,
    }


# what `crmlens bench` needs from a unit's baseline module
# the columns contact coverage reads (the generated data has the optional owner columns)
FLOOR_COLUMNS = {
    "salesforce__customer_360_view": (*ACCOUNT_COLUMNS, *OPTIONAL_ACCOUNT_COLUMNS),
    "salesforce__contact_enhanced": CONTACT_COLUMNS[1:],  # the id is never read
}
AGREEMENT = ("key_accounts", "high_risk")  # headline numbers the baseline must reproduce


def baseline(path: str, cfg: CrmlensConfig) -> dict:
    return contact_coverage_pandas(path, cfg)
