"""Segmentation engine side: one row per account (Ibis expressions; DuckDB, Spark or any Ibis
backend).

* ``won_per_account`` — over won opportunities closed on or before the as-of date: the last and
  first close date, won deals ever, and the deals and amount closed in the RFM window (a NULL
  amount adds nothing and is counted in ``amount_null``), and the deals and amount of the last
  ``outcome_days`` (how overridden customers fared).
* ``cases_per_account`` / ``contacts_per_account`` — support load (cases opened in the window)
  and live contacts, when those tables exist.
* ``owner_load`` — accounts per owner (the service-load proxy).
* ``feature_table`` — accounts left-joined to all of the above (the recency in days is computed
  from ``last_won`` in Python: date arithmetic differs between engines).
"""

from __future__ import annotations

import datetime as dt

import ibis
import ibis.expr.types as ir

from crmlens.analyses.engine import as_bool


def _day(column: ir.Value) -> ir.DateValue:
    return column.cast("date")


def won_per_account(
    opps: ir.Table, as_of: dt.date, window_start: dt.date, outcome_start: dt.date
) -> ir.Table:
    closed = _day(opps.close_date)
    won = opps.filter(as_bool(opps.is_won) & closed.notnull() & (closed <= as_of))
    day = _day(won.close_date)
    in_window = day > window_start
    recent = day > outcome_start
    return won.group_by(account_id=won.account_id.cast("string")).aggregate(
        last_won=day.max(),
        first_won=day.min(),
        won_ever=won.count(),
        frequency=in_window.cast("int64").sum(),
        monetary=ibis.ifelse(in_window, won.amount.fill_null(0), 0).sum(),
        amount_null=(in_window & won.amount.isnull()).cast("int64").sum(),
        recent_won=recent.cast("int64").sum(),
        recent_revenue=ibis.ifelse(recent, won.amount.fill_null(0), 0).sum(),
    )


def orphan_won(won: ir.Table, accounts: ir.Table) -> int:
    """Won deals (``won_per_account`` rows) of accounts the account table does not have."""
    known = accounts.select(account_id=accounts.account_id.cast("string"))
    orphans = won.anti_join(known, "account_id")
    return int(orphans.won_ever.sum().fill_null(0).execute())


def undated_won(opps: ir.Table) -> int:
    """Won deals without a close date: they cannot be placed in time and are left out."""
    won = opps.filter(as_bool(opps.is_won) & opps.close_date.isnull())
    return int(won.count().execute())


def cases_per_account(cases: ir.Table, as_of: dt.date, window_start: dt.date) -> ir.Table:
    day = _day(cases.created_date)
    recent = cases.filter(day.notnull() & (day > window_start) & (day <= as_of))
    return recent.group_by(account_id=recent.account_id.cast("string")).aggregate(
        cases=recent.count()
    )


def contacts_per_account(contacts: ir.Table) -> ir.Table:
    live = contacts.filter(~as_bool(contacts.is_deleted))
    return live.group_by(account_id=live.account_id.cast("string")).aggregate(contacts=live.count())


def owner_load(accounts: ir.Table) -> ir.Table:
    a = accounts.filter(accounts.owner_id.notnull())
    return a.group_by(owner_key=a.owner_id.cast("string")).aggregate(owner_accounts=a.count())


def feature_table(
    accounts: ir.Table,
    won: ir.Table,
    extra: list[ir.Table],
    account_columns: list[str],
) -> ir.Table:
    """Accounts with their won-deal aggregates and every per-account table in ``extra`` (each
    keyed by ``account_id``); ``owner_load`` joins when ``owner_id`` is among the columns."""
    a = accounts.select(
        account_id=accounts.account_id.cast("string"), **{c: accounts[c] for c in account_columns}
    )
    out = a.left_join(won, a.account_id == won.account_id).drop("account_id_right")
    for table in extra:
        out = out.left_join(table, out.account_id == table.account_id).drop("account_id_right")
    if "owner_id" in account_columns:
        load = owner_load(accounts)
        out = out.left_join(load, out.owner_id.cast("string") == load.owner_key).drop("owner_key")
    return out
