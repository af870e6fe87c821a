"""Test helpers: tiny hand-made datasets written to DuckDB files."""

from __future__ import annotations

from pathlib import Path

import duckdb
import pandas as pd

ACC = "salesforce__customer_360_view"
CON = "salesforce__contact_enhanced"


def account(
    account_id, revenue, employees, industry="Technology", size="Enterprise", name=None, **extra
):
    return {
        "account_id": account_id,
        "account_name": name or f"Account {account_id}",
        "annual_revenue": revenue,
        "number_of_employees": employees,
        "industry_normalized": industry,
        "company_size_category": size,
        **extra,
    }


def contact(contact_id, account_id, title=None, department=None, deleted=False):
    return {
        "contact_id": contact_id,
        "account_id": account_id,
        "title": title,
        "department": department,
        "is_deleted": deleted,
    }


def write_duckdb(path: Path, accounts: list[dict], contacts: list[dict]) -> Path:
    acc = pd.DataFrame(accounts).astype(
        {"annual_revenue": "float64", "number_of_employees": "Int64"}
    )
    con = pd.DataFrame(
        contacts, columns=["contact_id", "account_id", "title", "department", "is_deleted"]
    )
    con = con.astype(
        {
            "contact_id": "string",
            "account_id": "string",
            "title": "string",
            "department": "string",
            "is_deleted": "bool",
        }
    )
    db = duckdb.connect(str(path))
    db.register("acc_df", acc)
    db.register("con_df", con)
    db.execute(f'CREATE TABLE "{ACC}" AS SELECT * FROM acc_df')
    db.execute(f'CREATE TABLE "{CON}" AS SELECT * FROM con_df')
    db.close()
    return path


def contacts_for(account_id: str, specs: list[tuple], start: int = 0) -> list[dict]:
    """specs: (title, department[, deleted]) tuples."""
    out = []
    for i, s in enumerate(specs):
        out.append(
            contact(
                f"{account_id}-c{start + i}", account_id, s[0], s[1], s[2] if len(s) > 2 else False
            )
        )
    return out
