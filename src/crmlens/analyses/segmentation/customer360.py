"""RFM from the customer-360 scores (``rfm_source: customer360``), on the engine.

The entity is a customer-360 customer (``customer360__customer_value_analysis``), keyed by its
case-insensitive ``primary_email`` and de-duplicated the way investment mismatch does it (the
latest ``analysis_timestamp`` wins; ``investment_mismatch.expressions.dedup_value``).  These are
not CRM accounts: the value table has no account id.  Its own ``recency_score``,
``frequency_score`` and ``monetary_score`` go through the configured first-match rules; a
customer with any score NULL, outside 1–5 or not whole is "unscored" (counted, never guessed).
Per segment: customers, ``customer_lifetime_value`` sum and mean, and ``acquisition_cost`` sum and
mean where known.

The optional link to accounts: a customer whose e-mail is the e-mail of live contacts of exactly
one account is linked to that account (several accounts: ambiguous, not linked); the report gives
the coverage and, for the linked customers, their segment next to the account's segment.
"""

from __future__ import annotations

from dataclasses import dataclass

import ibis
import ibis.expr.types as ir
import numpy as np
import pandas as pd

from crmlens.analyses.engine import as_bool, cents, to_frame
from crmlens.analyses.investment_mismatch.expressions import dedup_value
from crmlens.analyses.segmentation.columns import C360_SCORES, C360_VALUE_COLUMNS
from crmlens.analyses.segmentation.config import SegmentationConfig
from crmlens.analyses.spec import RunContext
from crmlens.schema.contracts import CONTACTS, CUSTOMER_VALUE
from crmlens.schema.typed import read_table

SCORES = C360_SCORES
VALUE_COLUMNS = C360_VALUE_COLUMNS[:5]  # required when chosen; the rest is read when present
OPTIONAL_VALUE_COLUMNS = (*C360_VALUE_COLUMNS[5:], "investment_priority_score")
CONTACT_COLUMNS = ("account_id", "email")
UNSCORED = "unscored"  # the bucket of customers without three valid scores
NOT_A_CUSTOMER = "not_a_customer"  # a linked account without a won deal (no account segment)
MONEY = ("clv_sum", "clv_mean", "cac_sum", "cac_mean")


@dataclass(frozen=True)
class Customer360:
    segments: pd.DataFrame  # one row per rule, the other bucket and the unscored bucket
    counts: dict[str, int]  # value rows, without e-mail, duplicates removed, customers, link
    crosstab: pd.DataFrame | None  # linked customers: customer-360 segment × account segment


def missing_columns(ctx: RunContext) -> list[str]:
    """The value-table columns this source needs that the data lacks (all, without the table)."""
    if not ctx.data.has_table(CUSTOMER_VALUE.name):
        return list(VALUE_COLUMNS)
    present = set(ctx.data.table(CUSTOMER_VALUE.name).columns)
    return [c for c in VALUE_COLUMNS if c not in present]


def segment_expr(v: ir.Table, cfg: SegmentationConfig) -> ir.StringValue:
    """Unscored first, then the rules in order (first match), else the other bucket."""
    r, f, m = (v[c] for c in SCORES)
    valid = ibis.and_(*[(s.notnull() & (s >= 1) & (s <= 5) & (s == s.floor())) for s in (r, f, m)])
    branches = [(~valid.fill_null(False), UNSCORED)]
    for rule in cfg.segments:
        hit = ibis.and_(
            *[s.between(low, high) for s, (low, high) in ((r, rule.r), (f, rule.f), (m, rule.m))]
        )
        branches.append((hit, rule.name))
    return ibis.cases(*branches, else_=cfg.other_segment)


def customers(ctx: RunContext, cfg: SegmentationConfig) -> tuple[ir.Table, dict[str, int]]:
    """One row per customer (de-duplicated e-mail) with its segment and values; the counts."""
    value = read_table(ctx.data, CUSTOMER_VALUE)
    wanted = [c for c in (*VALUE_COLUMNS, *OPTIONAL_VALUE_COLUMNS) if c in value.columns]
    typed = value.select(
        *[c for c in wanted if c not in SCORES],
        **{c: value[c].cast("float64") for c in SCORES},
    )
    dedup = dedup_value(typed)
    cac = dedup.acquisition_cost if "acquisition_cost" in dedup.columns else ibis.null("float64")
    table = dedup.select(
        email_key=dedup.email_key,
        segment=segment_expr(dedup, cfg),
        clv=dedup.customer_lifetime_value.cast("float64"),
        cac=cac.cast("float64"),
    )
    no_email = value.primary_email.lower().strip().isnull()
    row = to_frame(value.aggregate(rows=value.count(), without_email=no_email.sum())).iloc[0]
    rows, without = int(row["rows"]), int(row["without_email"] or 0)
    n = int(table.count().to_pyarrow().as_py())
    counts = {
        "value_rows": rows,
        "without_email": without,
        "duplicates_removed": rows - n - without,
    }
    return table, counts | {"customers": n}


def segment_table(table: ir.Table, cfg: SegmentationConfig) -> pd.DataFrame:
    """Per segment (rule order, then the other bucket, then unscored): customers, share of the
    customers, lifetime value and acquisition cost (sum and mean over the known values)."""
    frame = to_frame(
        table.group_by("segment").aggregate(
            customers=table.count(),
            clv_known=table.clv.count(),
            clv_sum=table.clv.sum(),
            clv_mean=table.clv.mean(),
            cac_known=table.cac.count(),
            cac_sum=table.cac.sum(),
            cac_mean=table.cac.mean(),
        )
    )
    order = [*cfg.segment_names, UNSCORED]
    frame = frame.set_index("segment").reindex(order).reset_index()
    for column in ("customers", "clv_known", "cac_known"):
        frame[column] = frame[column].fillna(0).astype("int64")
    frame[list(MONEY)] = frame[list(MONEY)].astype("float64")
    total = int(frame["customers"].sum())
    frame.insert(2, "share", frame["customers"] / total if total else np.nan)
    return cents(frame, *MONEY)


def linked(ctx: RunContext, table: ir.Table) -> tuple[pd.DataFrame | None, dict[str, int]]:
    """Per customer its one account (from live contacts' e-mails); the link counts.  None when
    the contact table has no e-mail."""
    if not ctx.data.has_table(CONTACTS.name):
        return None, {}
    contacts = read_table(ctx.data, CONTACTS)
    if not set(CONTACT_COLUMNS) <= set(contacts.columns):
        return None, {}
    if "is_deleted" in contacts.columns:
        contacts = contacts.filter(~as_bool(contacts.is_deleted))
    keyed = contacts.mutate(_key=contacts.email.lower().strip()).filter(lambda c: c._key.notnull())
    per_email = keyed.group_by("_key").aggregate(
        accounts=keyed.account_id.cast("string").nunique(),
        account_id=keyed.account_id.cast("string").min(),
    )
    joined = table.left_join(per_email, table.email_key == per_email._key)
    frame = to_frame(
        joined.filter(joined.accounts.notnull()).select("segment", "accounts", "account_id")
    )
    one = frame[frame["accounts"] == 1]
    counts = {"linked": len(one), "ambiguous": int((frame["accounts"] > 1).sum())}
    return one[["segment", "account_id"]].reset_index(drop=True), counts


def crosstab(link: pd.DataFrame, applied: pd.DataFrame) -> pd.DataFrame:
    """Linked customers by (customer-360 segment, the account's segment in force)."""
    account_segment = applied.set_index("account_id")["segment"].astype(str)
    frame = link.assign(account_segment=link["account_id"].map(account_segment))
    frame["account_segment"] = frame["account_segment"].fillna(NOT_A_CUSTOMER)
    out = frame.groupby(["segment", "account_segment"], as_index=False).size()
    out = out.rename(columns={"size": "customers"})
    return out.sort_values(["segment", "account_segment"]).reset_index(drop=True)


def read(ctx: RunContext, cfg: SegmentationConfig, applied: pd.DataFrame) -> Customer360:
    table, counts = customers(ctx, cfg)
    segments = segment_table(table, cfg)
    link, link_counts = linked(ctx, table)
    counts |= link_counts
    ctx.laps("engine.customer360")
    cross = crosstab(link, applied) if link is not None else None
    return Customer360(segments, counts, cross)
