"""Contact-coverage metrics as Ibis expressions.

* ``key_accounts`` ranks accounts with known revenue and keeps the top ``ceil(n × share)``.
* ``contact_profile`` aggregates live contacts per account: counts, C-level / VP counts, one
  presence flag per key department, unknown-department and unrecognised-title counts.

Title and department classification runs in Python on *distinct* values only; the resulting small
lookup tables are joined back in the engine, so classification cost grows with distinct titles.
"""

from __future__ import annotations

import math
from typing import Callable

import ibis
import pandas as pd
import ibis.expr.types as ir

from crmlens.classify import departments as D
from crmlens.classify import titles as T
from crmlens.classify.departments import DepartmentClassifier
from crmlens.classify.titles import TitleClassifier
from crmlens.metrics.common import as_bool, lookup_frame


def key_account_count(n_valid: int, share: float) -> int:
    # round first so binary float noise (0.2 × 5 = 1.0000000000000002) never adds an account
    return int(math.ceil(round(n_valid * share, 9)))


def ranked_accounts(accounts: ir.Table) -> ir.Table:
    """Accounts with known revenue, ranked 0.. by revenue desc, tie-break account_id asc."""
    valid = accounts.filter(accounts.annual_revenue.notnull())
    w = ibis.window(order_by=[ibis.desc(valid.annual_revenue), ibis.asc(valid.account_id)])
    return valid.mutate(revenue_rank=ibis.row_number().over(w))


def live_contacts(contacts: ir.Table) -> ir.Table:
    return contacts.filter(~as_bool(contacts.is_deleted))


def classified_contacts(contacts: ir.Table, titles: TitleClassifier, depts: DepartmentClassifier,
                        register: Callable[[pd.DataFrame], ir.Table]) -> tuple[ir.Table, dict, dict]:
    """Live contacts with ``title_level`` and ``dept_class`` columns; also the two lookup dicts.
    ``register`` turns a small frame into a table of the same engine (``Dataset.lookup``)."""
    live = live_contacts(contacts)
    distinct_titles = live.select("title").distinct().execute()["title"].tolist()
    distinct_depts = live.select("department").distinct().execute()["department"].tolist()
    tmap = titles.classify_many([t for t in distinct_titles if isinstance(t, str)])
    dmap = depts.classify_many([d for d in distinct_depts if isinstance(d, str)])
    tl = register(lookup_frame(tmap, "t_key", "title_level"))
    dl = register(lookup_frame(dmap, "d_key", "dept_class"))
    j = live.left_join(tl, live.title.cast("string") == tl.t_key).left_join(dl, live.department.cast("string") == dl.d_key)
    j = j.mutate(
        title_level=j.title_level.fill_null(T.UNKNOWN),
        dept_class=j.dept_class.fill_null(D.UNKNOWN),
    )
    return j.select("account_id", "title_level", "dept_class"), tmap, dmap


def contact_profile(classified: ir.Table, key_departments: list[str]) -> ir.Table:
    """Per-account aggregates over classified live contacts."""
    c = classified
    aggs = {
        "n_contacts": c.count(),
        "n_c_level": (c.title_level == T.C_LEVEL).cast("int64").sum(),
        "n_vp": (c.title_level == T.VP).cast("int64").sum(),
        "n_title_unrecognised": (c.title_level == T.UNRECOGNISED).cast("int64").sum(),
        "n_title_unknown": (c.title_level == T.UNKNOWN).cast("int64").sum(),
        "n_dept_unknown": c.dept_class.isin([D.UNKNOWN, D.UNRECOGNISED]).cast("int64").sum(),
    }
    for i, dep in enumerate(key_departments):
        aggs[f"has_dept_{i}"] = (c.dept_class == dep).cast("int64").max()
    return c.group_by("account_id").aggregate(**aggs)


def account_metrics(t: ir.Table, cfg, n_key_departments: int) -> ir.Table:
    """Add density, decision ratio, coverage and red-line flags to a per-account table that holds
    the ``contact_profile`` columns (possibly NULL after a left join).

    * density = contacts / employees × ``density_per_employees``; NULL when employees is NULL or ≤ 0
    * decision ratio = (C-level + VP) / contacts; 0 when there are no contacts
    * coverage = number of key departments with at least one live contact
    """
    n = t.n_contacts.fill_null(0)
    dm = t.n_c_level.fill_null(0) + t.n_vp.fill_null(0)
    emp = t.number_of_employees
    emp_known = emp.notnull() & (emp > 0)
    density = ibis.ifelse(emp_known, (n * cfg.density_per_employees) / emp.cast("float64"), ibis.null("float64"))
    ratio = ibis.ifelse(n > 0, dm.cast("float64") / n.cast("float64"), 0.0)
    coverage = sum((t[f"has_dept_{i}"].fill_null(0) for i in range(n_key_departments)), ibis.literal(0))
    baseline = ibis.cases(
        *[(t.company_size_category == size, base) for size, base in cfg.coverage_baseline.items()],
        else_=cfg.coverage_baseline_default,
    ) if cfg.coverage_baseline else ibis.literal(cfg.coverage_baseline_default)
    low_density = density.notnull() & (density < cfg.density_red_line)
    low_decision = ratio < cfg.decision_ratio_red_line
    low_coverage = coverage < baseline
    w = cfg.weights
    score = (
        low_density.cast("float64") * w.density + low_decision.cast("float64") * w.decision + low_coverage.cast("float64") * w.coverage
    )
    return t.mutate(
        n_contacts=n,
        n_decision=dm,
        employees_known=emp_known,
        density=density,
        decision_ratio=ratio,
        coverage=coverage,
        coverage_baseline=baseline,
        low_density_rl=low_density,
        low_decision_rl=low_decision,
        low_coverage_rl=low_coverage,
        flag_score_rl=score,
    )
