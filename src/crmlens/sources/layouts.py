"""Source layouts beyond the canonical tables: raw Fivetran Salesforce tables in a DuckDB file.

Fivetran's Salesforce connector writes one table per object, named and columned in snake_case
(``Account`` → ``account``, ``OpportunityHistory`` → ``opportunity_history``, ``AccountId`` →
``account_id``, ``Region__c`` → ``region_c``) with ``_fivetran_synced``, ``_fivetran_active``
(history mode) and ``_fivetran_deleted``.  Each object table becomes a view with the API field
names, and the canonical tables are built by the same code as a Data Export's
(:class:`crmlens.sources.salesforce.SalesforceObjects`).  Only rows that are active and not
deleted by Fivetran are read.
"""

from __future__ import annotations

import re

from crmlens.config import SourceMapping
from crmlens.sources.base import Dataset
from crmlens.sources.salesforce import SalesforceObjects, quote
from crmlens.sources.sf_export import ObjectsLoader
from crmlens.sources.sf_fields import BY_OBJECT

EXTRA_FIELDS = ("Id", "IsDeleted", "CurrencyIsoCode", "LastActivityDate", "FirstName", "LastName")
FIVETRAN_MARKER = "_fivetran_synced"


def snake(api_name: str) -> str:
    """Fivetran's name for an API name: ``NumberOfEmployees`` → ``number_of_employees``,
    ``CSAT_Score__c`` → ``csat_score_c``."""
    custom = api_name.endswith("__c")
    base = api_name.removesuffix("__c")
    base = re.sub(r"(?<=[a-z0-9])(?=[A-Z])|(?<=[A-Z])(?=[A-Z][a-z])", "_", base).lower()
    return re.sub("_+", "_", base) + ("_c" if custom else "")


def _tables(con) -> dict[str, list[str]]:
    rows = con.raw_sql(
        "SELECT table_name, column_name FROM information_schema.columns "
        "WHERE table_schema = 'main' ORDER BY table_name, ordinal_position"
    ).fetchall()
    out: dict[str, list[str]] = {}
    for table, column in rows:
        out.setdefault(table, []).append(column)
    return out


def is_fivetran_raw(con) -> bool:
    """An ``account`` table with ``id`` and ``_fivetran_synced`` columns."""
    columns = _tables(con).get("account", [])
    return "id" in columns and FIVETRAN_MARKER in columns


def _api_fields(name: str, mapping: SourceMapping) -> set[str]:
    obj = BY_OBJECT[name]
    custom = mapping.salesforce_export.custom_fields.get(obj.table, {})
    return set(obj.fields.values()) | set(obj.extra) | set(custom.values()) | set(EXTRA_FIELDS)


def _object_view(con, name: str, columns: list[str], mapping: SourceMapping) -> list[str]:
    """A temporary view of one raw object under API field names; its columns."""
    present = {snake(api): api for api in _api_fields(name, mapping) if snake(api) in columns}
    select = ", ".join(f"{quote(col)} AS {quote(api)}" for col, api in sorted(present.items()))
    live = ["TRUE"]
    if "_fivetran_active" in columns:
        live.append("coalesce(_fivetran_active, TRUE)")
    if "_fivetran_deleted" in columns:
        live.append("NOT coalesce(_fivetran_deleted, FALSE)")
    view = f"crmlens_fivetran_{name.lower()}"
    con.raw_sql(
        f"CREATE OR REPLACE TEMP VIEW {view} AS SELECT {select} FROM main.{quote(snake(name))} "
        f"WHERE {' AND '.join(live)}"
    )
    return sorted(present.values())


def open_fivetran_raw(data: Dataset, mapping: SourceMapping) -> Dataset:
    """The canonical tables over raw Fivetran Salesforce tables of ``data``'s DuckDB file."""
    con = data.backend
    tables = _tables(con)
    relations = {}
    for name in BY_OBJECT:
        columns = tables.get(snake(name))
        if columns:
            view_columns = _object_view(con, name, columns, mapping)
            relations[name] = (f"crmlens_fivetran_{name.lower()}", view_columns)
    objects = SalesforceObjects(con, relations, mapping.salesforce_export)
    for name in relations:
        objects.clean(name)
    dataset = Dataset(con, data.kind, data.location, mapping, loader=ObjectsLoader(objects))
    dataset.layout, dataset.notes = "fivetran_raw", objects.notes
    return dataset
