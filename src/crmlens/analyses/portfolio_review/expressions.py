"""Engine-side expressions of the portfolio review (Ibis: DuckDB, Postgres, Spark).

Every per-deal and per-account table stays in the engine; the stages fetch aggregates only (one
row, or one row per quarter / group / category).  Absent optional columns are added as typed NULL
columns so every expression has one shape; the stages know from ``Inputs.present`` which figures
are measurable.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

import ibis
import ibis.expr.types as ir
import pandas as pd

from crmlens.analyses.engine import as_bool, to_frame

TYPES = {"text": "string", "float": "float64", "int": "int64", "bool": "boolean"}
TYPES.update({"date": "date", "timestamp": "date"})


@dataclass(frozen=True)
class Windows:
    """T12 = [t12_start, end], P12 = [p12_start, t12_start − 1 day] (dates inclusive)."""

    end: dt.date
    days: int

    @property
    def t12_start(self) -> dt.date:
        return self.end - dt.timedelta(days=self.days - 1)

    @property
    def p12_start(self) -> dt.date:
        return self.end - dt.timedelta(days=2 * self.days - 1)

    @property
    def p12_end(self) -> dt.date:
        return self.t12_start - dt.timedelta(days=1)


@dataclass
class Inputs:
    """The tables as the stages read them (engine expressions) and which columns are real."""

    deals: ir.Table | None = None
    accounts: ir.Table | None = None
    cases: ir.Table | None = None
    nps: ir.Table | None = None
    contacts: ir.Table | None = None
    campaigns: ir.Table | None = None
    spend: ir.Table | None = None
    value: ir.Table | None = None
    present: dict[str, set[str]] = field(default_factory=dict)

    def has(self, table: str, *columns: str) -> bool:
        return table in self.present and set(columns) <= self.present[table]


def normalised(t: ir.Table, columns: dict[str, str]) -> tuple[ir.Table, set[str]]:
    """``t`` with exactly ``columns`` (name → logical type): dates cast to date, flags to boolean,
    absent columns as typed NULLs.  Returns the table and the names that really exist."""
    present = {c for c in columns if c in t.columns}
    out = {}
    for name, logical in columns.items():
        if name not in present:
            out[name] = ibis.null(TYPES[logical])
        elif logical == "bool":
            out[name] = as_bool(t[name])
        elif logical in ("date", "timestamp"):
            out[name] = t[name].cast("timestamp").cast("date")
        elif logical == "text":
            out[name] = t[name].cast("string")
        else:
            out[name] = t[name].cast(TYPES[logical])
    return t.select(**out), present


def in_window(day: ir.DateValue, start: dt.date, end: dt.date) -> ir.BooleanValue:
    return (day >= ibis.literal(start)) & (day <= ibis.literal(end))


def quarter_index(day: ir.DateValue) -> ir.IntegerValue:
    """Calendar quarters as consecutive integers (year × 4 + quarter − 1)."""
    return day.year().cast("int64") * 4 + day.quarter().cast("int64") - 1


def quarter_of(day: dt.date) -> int:
    """``quarter_index`` of a Python date."""
    return day.year * 4 + (day.month - 1) // 3


def recent_quarters(table: ir.Table, column: str, end: dt.date, quarters: int) -> ir.Table:
    """Rows whose ``column`` falls in the ``quarters`` calendar quarters ending with the one that
    holds ``end`` (never after ``end``), with their quarter index as ``q``."""
    dated = table.filter(table[column].notnull() & (table[column] <= ibis.literal(end)))
    dated = dated.mutate(q=quarter_index(dated[column]))
    return dated.filter(dated.q > quarter_of(end) - quarters)


def classify(text: ir.StringValue, keyword_map: dict[str, list[str]]) -> ir.StringValue:
    """The first class of ``keyword_map`` (in order) with a keyword contained in ``text``
    (case-insensitive); "other" when none matches or the text is NULL."""
    lowered = text.lower()
    branches = [
        (ibis.or_(*[lowered.contains(k.lower()) for k in words]), name)
        for name, words in keyword_map.items()
        if words
    ]
    if not branches:
        return ibis.literal("other")
    return ibis.cases(*branches, else_="other").fill_null("other")


def known_text(text: ir.StringValue, empty_values: list[str]) -> ir.BooleanValue:
    """The text names something: not NULL, not blank, not one of ``empty_values``."""
    cleaned = text.strip().lower()
    blanks = [v.lower() for v in empty_values] + [""]
    return (text.notnull() & ~cleaned.isin(blanks)).fill_null(False)


def account_facts(deals: ir.Table, w: Windows) -> ir.Table:
    """One row per account with deals: revenue in T12/P12, won-deal counts, first won and first
    closed deal dates, the latest deal date (all on or before the window end)."""
    close = deals.close_date
    won = deals.is_won
    up_to_end = close <= ibis.literal(w.end)
    t12 = in_window(close, w.t12_start, w.end)
    p12 = in_window(close, w.p12_start, w.p12_end)
    closed = deals.is_closed.fill_null(False) | won
    amount = deals.amount
    margin_known = won & t12 & amount.notnull() & deals.gross_margin.notnull()
    return deals.group_by("account_id").aggregate(
        rev_t12=amount.sum(where=won & t12).fill_null(0.0),
        rev_p12=amount.sum(where=won & p12).fill_null(0.0),
        won_t12=(won & t12).cast("int64").sum(),
        null_won_t12=(won & t12 & amount.isnull()).cast("int64").sum(),
        margin_amount=(amount * deals.gross_margin).sum(where=margin_known),
        margin_base=amount.sum(where=margin_known),
        first_won=close.min(where=won & up_to_end),
        first_closed=close.min(where=closed & up_to_end),
    )


def last_activity(inputs: "Inputs", end: dt.date) -> ir.Table:
    """Per account the latest dated touch on or before ``end``: a deal created or closed, a case
    opened, an NPS answer."""
    parts = []
    if inputs.deals is not None:
        parts += [(inputs.deals, "close_date"), (inputs.deals, "created_date")]
    if inputs.cases is not None:
        parts.append((inputs.cases, "created_date"))
    if inputs.nps is not None:
        parts.append((inputs.nps, "response_date"))
    dated = [
        t.select(account_id=t.account_id, day=t[c]).filter(
            lambda x: x.day.notnull() & (x.day <= ibis.literal(end))
        )
        for t, c in parts
    ]
    union = dated[0] if len(dated) == 1 else ibis.union(*dated)
    return union.group_by("account_id").aggregate(last_day=union.day.max())


def with_attributes(facts: ir.Table, accounts: ir.Table | None) -> ir.Table:
    """Account facts with the account's segment labels ("Unknown" when absent or orphan)."""
    labels = ("industry_normalized", "company_size_category", "geographic_region")
    labels += ("acquisition_channel",)
    if accounts is None:
        return facts.mutate(
            **{c: ibis.literal("Unknown") for c in labels},
            competitor_in_use=ibis.null("string"),
        )
    joined = facts.left_join(accounts, facts.account_id == accounts.account_id)
    return joined.select(
        *[facts[c] for c in facts.columns],
        **{c: accounts[c].fill_null("Unknown") for c in labels},
        competitor_in_use=accounts.competitor_in_use,
    )


def fetch(expr: ir.Table) -> pd.DataFrame:
    return to_frame(expr)


def one_row(expr: ir.Table) -> dict:
    frame = to_frame(expr)
    return {} if frame.empty else frame.iloc[0].to_dict()
