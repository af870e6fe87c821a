"""Contact-coverage engine side: Ibis expressions (they run on DuckDB, Spark or any Ibis
backend).

* ``account_overview`` — accounts and NULL-revenue accounts per industry (totals + industry list in
  one scan).
* ``contact_values`` — live and total contacts per distinct (title, department) pair: the values
  to classify and the contact data-quality totals, in one scan.
* ``contact_profile`` — per account over live contacts: counts, C-level / VP counts, one presence
  flag per key department, unknown-department and unrecognised-title counts.  Classification runs
  in Python on *distinct* values only; the lookups carry integer flags and are joined back in the
  engine, so classification cost grows with distinct titles, not with contacts.
* ``key_accounts`` — the top ``n_key`` accounts by revenue (a top-N, not a full ranking).
* ``account_metrics`` / ``priority_order`` — density, decision ratio, coverage, red-line flags,
  gaps and the priority order, so Python receives the key-account table already in priority order.
"""

from __future__ import annotations

import math

import ibis
import ibis.expr.types as ir
import pandas as pd

from crmlens.analyses.engine import as_bool
from crmlens.classify import departments, titles


def key_account_count(n_valid: int, share: float) -> int:
    # round first so binary float noise (0.2 × 5 = 1.0000000000000002) never adds an account
    return int(math.ceil(round(n_valid * share, 9)))


def infer_size(accounts: ir.Table, cfg) -> ir.Table:
    """Replace an Unknown (``size_unknown_values``) or NULL size class by the band of the employee
    count (``size_from_employees``: the largest band whose minimum is reached) when the count is
    known and > 0; ``size_inferred`` says where.  Never changes a reported size."""
    size, emp = accounts.company_size_category, accounts.number_of_employees
    bands = sorted(cfg.size_from_employees.items(), key=lambda kv: -kv[1])
    unknown = size.isnull() | size.isin(cfg.size_unknown_values)
    if not bands:
        return accounts.mutate(size_inferred=ibis.literal(False))
    band = ibis.cases(*[(emp >= low, name) for name, low in bands], else_=ibis.null("string"))
    inferred = unknown & emp.notnull() & (emp > 0) & band.notnull()
    return accounts.mutate(
        company_size_category=ibis.ifelse(inferred, band, size), size_inferred=inferred
    )


def account_overview(accounts: ir.Table) -> ir.Table:
    """Accounts and NULL-revenue accounts per industry (NULL industry is a group of its own)."""
    a = accounts
    return a.group_by("industry_normalized").aggregate(
        accounts=a.count(), revenue_null=a.annual_revenue.isnull().cast("int64").sum()
    )


def live_flag(contacts: ir.Table) -> ir.BooleanValue:
    return ~as_bool(contacts.is_deleted)


def _as_text(col: ir.Value) -> ir.Value:
    return col if col.type().is_string() else col.cast("string")


def contact_values(contacts: ir.Table) -> ir.Table:
    """Contacts (all / live) per distinct (title, department) pair."""
    c = contacts
    return c.group_by(title=_as_text(c.title), department=_as_text(c.department)).aggregate(
        contacts=c.count(), live=live_flag(c).cast("int64").sum()
    )


# The profile sums several per-level counts in ONE aggregate: each lookup row carries its flags
# packed into 21-bit fields of a BIGINT (field j holds flag_j << 21·j), so one SUM yields every
# count at once (aggregates dominate the cost of this scan).  Exact while an account has fewer
# than 2^21 live contacts; ``contact_profile`` checks that and falls back to one SUM per count.
FIELD_BITS = 21
FIELD = 1 << FIELD_BITS
TITLE_FIELDS = ("n_c_level", "n_vp", "n_title_unrecognised")  # packed in t_packed
UNKNOWN_FIELDS = ("n_title_unknown", "n_dept_unknown")  # packed in t_unknown + d_unknown


def _pack(*flags: int) -> int:
    return sum(int(f) << (FIELD_BITS * j) for j, f in enumerate(flags))


def _field(packed: ir.IntegerValue, k: int) -> ir.IntegerValue:
    """Field k of a packed value (shift and mask: integer-exact on every engine, unlike ``//``,
    which Ibis compiles through a float division)."""
    return (packed >> (FIELD_BITS * k)) & (FIELD - 1)


def title_lookup(levels: dict[str, str]) -> pd.DataFrame:
    """title → its level flags: ``t_packed`` (C-level, VP, unrecognised) and ``t_unknown``
    (a blank title), each packed as described above."""
    keys = [k for k in levels if isinstance(k, str)]
    lv = [levels[k] for k in keys]
    return pd.DataFrame(
        {
            "t_key": pd.Series(keys, dtype="str"),
            "t_packed": pd.Series(
                [_pack(v == titles.C_LEVEL, v == titles.VP, v == titles.UNRECOGNISED) for v in lv],
                dtype="int64",
            ),
            "t_unknown": pd.Series([_pack(v == titles.UNKNOWN, 0) for v in lv], dtype="int64"),
        }
    )


def department_lookup(classes: dict[str, str], key_departments: list[str]) -> pd.DataFrame:
    """department → ``d_unknown`` (unknown/unrecognised, packed in the second field) and one 0/1
    flag per key department (``d_0`` …)."""
    keys = [k for k in classes if isinstance(k, str)]
    df = pd.DataFrame({"d_key": pd.Series(keys, dtype="str")})
    unknown = (departments.UNKNOWN, departments.UNRECOGNISED)
    df["d_unknown"] = pd.Series([_pack(0, classes[k] in unknown) for k in keys], dtype="int64")
    for i, dep in enumerate(key_departments):
        df[f"d_{i}"] = pd.Series([int(classes[k] == dep) for k in keys], dtype="int64")
    return df


def contact_profile(
    contacts: ir.Table, tl: ir.Table, dl: ir.Table, n_key_departments: int, packed: bool = True
) -> ir.Table:
    """Per-account aggregates over live contacts joined to the title and department lookups.
    A title or department missing from its lookup (NULL) counts as unknown.  With ``packed``
    (see ``FIELD_BITS``) the per-level counts come from two SUMs; the caller must check
    ``max(n_contacts) < FIELD`` and otherwise rebuild with ``packed=False``."""
    live = contacts.filter(live_flag(contacts)).select("account_id", "title", "department")
    j = live.left_join(tl, _as_text(live.title) == tl.t_key)
    j = j.left_join(dl, _as_text(live.department) == dl.d_key)
    t_packed = j.t_packed.fill_null(0)
    unknown = j.t_unknown.fill_null(_pack(1, 0)) + j.d_unknown.fill_null(_pack(0, 1))
    depts = {f"has_dept_{i}": j[f"d_{i}"].fill_null(0).max() for i in range(n_key_departments)}
    if packed:
        p = j.group_by("account_id").aggregate(
            n_contacts=j.count(), t_sum=t_packed.sum(), u_sum=unknown.sum(), **depts
        )
        fields = {name: _field(p.t_sum, k) for k, name in enumerate(TITLE_FIELDS)}
        fields |= {name: _field(p.u_sum, k) for k, name in enumerate(UNKNOWN_FIELDS)}
        return p.select("account_id", "n_contacts", **fields, **{d: p[d] for d in depts})
    fields = {name: _field(t_packed, k).sum() for k, name in enumerate(TITLE_FIELDS)}
    fields |= {name: _field(unknown, k).sum() for k, name in enumerate(UNKNOWN_FIELDS)}
    return j.group_by("account_id").aggregate(n_contacts=j.count(), **fields, **depts)


def revenue_order(t: ir.Table) -> list:
    return [ibis.desc(t.annual_revenue), ibis.asc(t.account_id)]


def revenue_threshold(accounts: ir.Table, n_key: int) -> ir.Scalar:
    """The revenue of the ``n_key``-th account by revenue (ties counted): a scalar subquery, so
    the value never round-trips through a Python float literal."""
    valid = accounts.filter(accounts.annual_revenue.notnull())
    nth = valid.order_by(ibis.desc(valid.annual_revenue)).limit(1, offset=n_key - 1)
    return nth.annual_revenue.as_scalar()


def key_accounts(accounts: ir.Table, n_key: int) -> ir.Table:
    """The ``n_key`` accounts with the highest known revenue (tie-break ``account_id`` asc), with
    ``revenue_rank`` 0..n_key-1.  No full sort: the accounts at or above the revenue threshold
    are selected first (a one-column top-N), and only they are ranked."""
    cand = accounts.filter(accounts.annual_revenue >= revenue_threshold(accounts, n_key))
    cand = cand.mutate(revenue_rank=ibis.row_number().over(order_by=revenue_order(cand)))
    return cand.filter(cand.revenue_rank < n_key)


def accounts_at_threshold(accounts: ir.Table, n_key: int) -> ir.IntegerScalar:
    """How many accounts have exactly the threshold revenue (kept and cut ones)."""
    return accounts.filter(accounts.annual_revenue == revenue_threshold(accounts, n_key)).count()


def _gap(threshold: ir.Value, actual: ir.Value) -> ir.FloatingValue:
    """max(0, (threshold − actual) / threshold); 0 when the threshold is ≤ 0 or actual is NULL."""
    thr = threshold.cast("float64")
    g = (thr - actual.cast("float64")) / thr
    return ibis.ifelse((thr > 0) & actual.notnull(), ibis.ifelse(g > 0, g, 0.0), 0.0)


def account_metrics(t: ir.Table, cfg, n_key_departments: int) -> ir.Table:
    """Add density, decision ratio, coverage, red-line flags and gaps to a per-account table that
    holds the ``contact_profile`` columns (possibly NULL after a left join).

    * density = contacts / employees × ``density_per_employees``; NULL when employees is NULL
      or ≤ 0
    * decision ratio = (C-level + VP) / contacts; 0 when there are no contacts
    * coverage = number of key departments with at least one live contact
    * gap = max(0, (red line − value) / red line), 0 when the value is unknown
    """
    counts = [
        "n_contacts",
        "n_c_level",
        "n_vp",
        "n_title_unrecognised",
        "n_title_unknown",
        "n_dept_unknown",
        *(f"has_dept_{i}" for i in range(n_key_departments)),
    ]
    t = t.mutate(**{c: t[c].fill_null(0) for c in counts})
    n = t.n_contacts
    dm = t.n_c_level + t.n_vp
    emp = t.number_of_employees
    emp_known = emp.notnull() & (emp > 0)
    density = ibis.ifelse(
        emp_known, (n * cfg.density_per_employees) / emp.cast("float64"), ibis.null("float64")
    )
    ratio = ibis.ifelse(n > 0, dm.cast("float64") / n.cast("float64"), 0.0)
    coverage = sum((t[f"has_dept_{i}"] for i in range(n_key_departments)), ibis.literal(0))
    baseline = (
        ibis.cases(
            *[
                (t.company_size_category == size, base)
                for size, base in cfg.coverage_baseline.items()
            ],
            else_=cfg.coverage_baseline_default,
        )
        if cfg.coverage_baseline
        else ibis.literal(cfg.coverage_baseline_default)
    )
    low_density = density.notnull() & (density < cfg.density_red_line)
    low_decision = ratio < cfg.decision_ratio_red_line
    low_coverage = coverage < baseline
    w = cfg.weights
    score = (
        low_density.cast("float64") * w.density
        + low_decision.cast("float64") * w.decision
        + low_coverage.cast("float64") * w.coverage
    )
    return t.mutate(
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
        gap_density=_gap(ibis.literal(cfg.density_red_line), density),
        gap_decision=_gap(ibis.literal(cfg.decision_ratio_red_line), ratio),
        gap_coverage=_gap(baseline, coverage),
    )


def priority_order(t: ir.Table, size_order: list[str]) -> ir.Table:
    """Add ``size_rank`` and order by priority: risk score ↓, revenue ↓, size (``size_order``) ↑,
    decision gap ↓, coverage gap ↓, ``account_id`` ↑ (a total order: ids are unique).  The risk
    score is rounded to 10 decimals so float noise in weight sums never splits a tie.  The caller
    numbers the rows (a window over this order would cost more than the sort itself)."""
    size_rank = (
        ibis.cases(
            *[(t.company_size_category == s, i) for i, s in enumerate(size_order)],
            else_=len(size_order),
        )
        if size_order
        else ibis.literal(0)
    )
    t = t.mutate(size_rank=size_rank.cast("int64"))
    return t.order_by(
        [
            ibis.desc(t.flag_score_rl.round(10)),
            ibis.desc(t.annual_revenue),
            ibis.asc(t.size_rank),
            ibis.desc(t.gap_decision),
            ibis.desc(t.gap_coverage),
            ibis.asc(t.account_id),
        ]
    )
