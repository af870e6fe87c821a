"""Steps 1–2 of contact coverage, on the engine: the key accounts and their per-account metrics.

One scan gives the distinct (title, department) values and the contact totals; the distinct values
are classified in Python; one more scan joins the integer-flag lookups and aggregates per account
(``expressions.contact_profile``).  Python receives the key-account table (at most ``share`` of
the accounts, already in priority order) and aggregates of the rest: ties at the cut, the risk
hidden in NULL-revenue accounts and orphan contacts.
"""

from __future__ import annotations

from dataclasses import dataclass

import ibis
import numpy as np
import pandas as pd

from crmlens.analyses.contact_coverage import expressions
from crmlens.analyses.contact_coverage.columns import ACCOUNT_COLUMNS, OPTIONAL_ACCOUNT_COLUMNS
from crmlens.analyses.contact_coverage.config import ContactCoverageConfig
from crmlens.analyses.engine import to_frame
from crmlens.analyses.spec import RunContext
from crmlens.classify import departments, titles
from crmlens.classify.departments import DepartmentClassifier
from crmlens.classify.titles import TitleClassifier
from crmlens.errors import AnalysisError
from crmlens.schema.contracts import ACCOUNTS, CONTACTS
from crmlens.schema.typed import read_table

TOLERANCE = 1e-9  # score and workload comparisons never split on float noise


@dataclass(frozen=True)
class KeyAccounts:
    """What the engine stages hand to the Python steps."""

    table: pd.DataFrame  # one row per key account, in priority order
    accounts: int
    revenue_null: int
    revenue_known: int
    key: int
    threshold: float  # revenue of the last key account
    tied_excluded: int  # accounts tied with the last one kept but ranked after it
    hidden: dict[str, int]  # risk in the NULL-revenue accounts
    quality: dict[str, int]  # contact data quality
    industries: list[str]
    key_departments: list[str]
    title_levels: dict
    department_classes: dict


def read_key_accounts(ctx: RunContext) -> KeyAccounts:
    """Run the engine stages, recording one lap each."""
    cfg = ctx.section
    title_classifier = TitleClassifier(ctx.config.titles)
    department_classifier = DepartmentClassifier(ctx.config.departments)
    key_depts = department_classifier.key_departments
    # NaN/±Inf read as NULL: never a key account or employee count
    acc = read_table(ctx.data, ACCOUNTS)
    con = read_table(ctx.data, CONTACTS)
    acc = expressions.infer_size(acc, cfg)

    overview = expressions.account_overview(acc).execute()
    n_accounts = int(overview["accounts"].sum())
    n_null_rev = int(overview["revenue_null"].sum())
    industries = sorted(str(i) for i in overview["industry_normalized"].dropna())
    n_valid = n_accounts - n_null_rev
    if n_valid == 0:
        raise AnalysisError("error.no_revenue", table=ACCOUNTS.name, accounts=n_accounts)
    n_key = expressions.key_account_count(n_valid, cfg.key_account_share)
    ctx.laps("engine.accounts")

    values = to_frame(expressions.contact_values(con))
    ctx.laps("engine.contact_values")
    tmap, dmap, dq = classify_values(values, title_classifier, department_classifier)
    ctx.laps("classify")
    profile = _contact_profile(ctx, con, tmap, dmap, key_depts)
    ctx.laps("engine.contact_profile")
    opt = [c for c in OPTIONAL_ACCOUNT_COLUMNS if c in acc.columns]
    base_cols = [*ACCOUNT_COLUMNS, *opt, "size_inferred"]
    key = expressions.key_accounts(acc.select(*base_cols), n_key)
    key = key.left_join(profile, key.account_id == profile.account_id).drop("account_id_right")
    metrics = expressions.account_metrics(key, cfg, len(key_depts))
    df = to_frame(expressions.priority_order(metrics, cfg.size_order))
    ctx.laps("engine.key_accounts")
    df["priority_rank"] = np.arange(1, len(df) + 1)  # rows arrive in priority order
    for i, dep in enumerate(key_depts):
        df[f"has_{dep}"] = df.pop(f"has_dept_{i}").astype("int64").astype(bool)
    df["size_inferred"] = df["size_inferred"].astype(bool)

    threshold = float(df["annual_revenue"].min())
    at_threshold = int(expressions.accounts_at_threshold(acc, n_key).execute())
    tied_excluded = at_threshold - int((df["annual_revenue"] == threshold).sum())
    hidden, dq["orphans"] = outside_key_accounts(acc, profile, cfg, len(key_depts))
    ctx.laps("engine.ties_and_outside_key_accounts")
    return KeyAccounts(
        df,
        n_accounts,
        n_null_rev,
        n_valid,
        n_key,
        threshold,
        tied_excluded,
        hidden,
        dq,
        industries,
        key_depts,
        tmap,
        dmap,
    )


def _contact_profile(ctx: RunContext, con, tmap: dict, dmap: dict, key_depts: list[str]):
    """The per-account contact profile, cached (reused by three queries)."""
    tl = ctx.data.lookup(expressions.title_lookup(tmap))
    dl = ctx.data.lookup(expressions.department_lookup(dmap, key_depts))
    profile = expressions.contact_profile(con, tl, dl, len(key_depts)).cache()
    if int(profile.n_contacts.max().execute() or 0) >= expressions.FIELD:  # packed would overflow
        profile = expressions.contact_profile(con, tl, dl, len(key_depts), packed=False).cache()
    return profile


def outside_key_accounts(
    acc, profile, cfg: ContactCoverageConfig, n_depts: int
) -> tuple[dict[str, int], int]:
    """In one join of all accounts with the contact profile: how much risk the NULL-revenue
    accounts (excluded from the ranking) would hide, and the live contacts whose account_id is
    not in the account table (orphans)."""
    a = acc.select(
        "account_id", "annual_revenue", "number_of_employees", "company_size_category"
    ).mutate(known=ibis.literal(1))
    j = a.outer_join(profile, a.account_id == profile.account_id)
    j = expressions.account_metrics(j, cfg, n_depts)
    null_rev = j.known.notnull() & j.annual_revenue.isnull()
    enterprise = null_rev & (j.company_size_category == "Enterprise")
    high = j.flag_score_rl >= cfg.high_risk_score - TOLERANCE
    out = (
        j.aggregate(
            accounts=null_rev.cast("int64").sum(),
            enterprise=enterprise.cast("int64").sum(),
            high_risk=(null_rev & high).cast("int64").sum(),
            enterprise_high_risk=(enterprise & high).cast("int64").sum(),
            orphans=ibis.ifelse(j.known.isnull(), j.n_contacts, 0).sum(),
        )
        .execute()
        .iloc[0]
    )
    counts = {k: int(v or 0) for k, v in out.items()}
    return counts, counts.pop("orphans")


def classify_values(
    values: pd.DataFrame,
    title_classifier: TitleClassifier,
    department_classifier: DepartmentClassifier,
) -> tuple[dict, dict, dict[str, int]]:
    """Classify the distinct titles and departments of live contacts, and count contact data
    quality from the (title, department) pairs: one row per distinct pair, so this is small."""
    live = values[values["live"] > 0]
    title_values = [t if isinstance(t, str) else None for t in live["title"]]
    dept_values = [d if isinstance(d, str) else None for d in live["department"]]
    tmap = title_classifier.classify_many(sorted({t for t in title_values if t is not None}))
    dmap = department_classifier.classify_many(sorted({d for d in dept_values if d is not None}))
    n = live["live"].to_numpy(dtype="int64")
    t_level = np.array(
        [tmap[t] if t is not None else titles.UNKNOWN for t in title_values], dtype=object
    )
    d_class = np.array(
        [dmap[d] if d is not None else departments.UNKNOWN for d in dept_values], dtype=object
    )
    total = int(values["contacts"].sum())
    n_live = int(n.sum())
    dept_unknown = (d_class == departments.UNKNOWN) | (d_class == departments.UNRECOGNISED)
    dq = {
        "live": n_live,
        "dept_unknown": int(n[dept_unknown].sum()),
        "title_unrecognised": int(n[t_level == titles.UNRECOGNISED].sum()),
        "title_unknown": int(n[t_level == titles.UNKNOWN].sum()),
        "contacts_total": total,
        "deleted": total - n_live,
    }
    return tmap, dmap, dq
