"""Investment-mismatch engine side: the customer-value base table (Ibis expressions).

* value rows are de-duplicated per case-insensitive e-mail: the latest ``analysis_timestamp``
  wins, then the smallest raw ``primary_email``, then the highest ``investment_priority_score``
  (a stable, documented key);
* ``total_sales_amount`` comes from ``customer360__customer`` by case-insensitive e-mail
  (customers de-duplicated by ``customer360_id``), or — with ``identity: mapping`` — through
  ``customer360__mapping`` by the first source id that matches in the configured priority, an
  organisation-header row preferred.
"""

from __future__ import annotations

import ibis
import ibis.expr.types as ir


def dedup_value(value: ir.Table) -> ir.Table:
    """One row per case-insensitive e-mail.  Only e-mails that occur more than once go through
    the ordered window (usually a few percent of the rows); the rest pass through an anti-join
    with the duplicated keys (about half the engine work of a window over every row)."""
    v = value.mutate(email_key=value.primary_email.lower().strip())
    v = v.filter(v.email_key.notnull())
    counts = v.group_by("email_key").aggregate(_n=v.count())
    duplicated = counts.filter(counts._n > 1).select("email_key")
    single = v.anti_join(duplicated, "email_key")
    multi = v.semi_join(duplicated, "email_key")
    order = []
    if "analysis_timestamp" in multi.columns:
        order.append(ibis.desc(multi.analysis_timestamp.cast("timestamp"), nulls_first=False))
    order.append(ibis.asc(multi.primary_email))
    if "investment_priority_score" in multi.columns:  # segmentation reads the table without it
        order.append(ibis.desc(multi.investment_priority_score))
    w = ibis.window(group_by=multi.email_key, order_by=order)
    multi = multi.mutate(_rn=ibis.row_number().over(w))
    return single.union(multi.filter(multi._rn == 0).drop("_rn"), distinct=False)


def sales_by_email(customers: ir.Table) -> ir.Table:
    """Per case-insensitive e-mail the customer with the smallest id and its sales amount (an
    aggregate, not a window: no sort)."""
    c = customers.mutate(email_key=customers.email.lower().strip())
    return c.group_by("email_key").aggregate(
        customer360_id=c.customer360_id.min(),
        total_sales_amount=c.total_sales_amount.argmin(c.customer360_id),
    )


def join_by_email(value: ir.Table, customers: ir.Table) -> ir.Table:
    s = sales_by_email(customers)
    j = value.left_join(s, value.email_key == s.email_key)
    return j.drop([c for c in j.columns if c.endswith("_right")])


def join_by_mapping(
    value: ir.Table, customers: ir.Table, mapping: ir.Table, priority: list[str]
) -> ir.Table:
    """customer360_id through the first source id (in ``priority``) that the mapping knows."""
    m = mapping
    header = (
        m.is_organization_header.cast("int64").fill_null(0)
        if "is_organization_header" in m.columns
        else ibis.literal(0)
    )
    m = m.mutate(_hdr=header)
    out = value
    ids = []
    for i, col in enumerate(priority):
        if col not in value.columns or col not in m.columns:
            continue
        w = ibis.window(group_by=m[col], order_by=[ibis.desc(m._hdr), ibis.asc(m.customer360_id)])
        mm = m.filter(m[col].notnull()).mutate(_rn=ibis.row_number().over(w))
        mm = mm.filter(mm._rn == 0).select(
            **{f"_k{i}": mm[col].cast("string"), f"_id{i}": mm.customer360_id}
        )
        out = out.left_join(mm, out[col].cast("string") == mm[f"_k{i}"]).drop(f"_k{i}")
        ids.append(out[f"_id{i}"])
    cid = ibis.coalesce(*ids) if ids else ibis.null("string")
    out = out.mutate(customer360_id=cid).drop(
        [f"_id{i}" for i in range(len(priority)) if f"_id{i}" in out.columns]
    )
    c = customers.group_by("customer360_id").aggregate(
        total_sales_amount=customers.total_sales_amount.max()
    )
    j = out.left_join(c, out.customer360_id == c.customer360_id)
    return j.drop([c for c in j.columns if c.endswith("_right")])
