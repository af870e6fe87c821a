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
from dataclasses import dataclass

from crmlens.config import SourceMapping
from crmlens.sources.base import Dataset
from crmlens.sources.salesforce import SalesforceObjects, quote
from crmlens.sources.sf_export import ObjectsLoader
from crmlens.schema.sf_fields import BY_OBJECT

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


def _api_fields(name: str, mapping: SourceMapping) -> set[str]:
    obj = BY_OBJECT[name]
    custom = mapping.salesforce_export.custom_fields.get(obj.table, {})
    return set(obj.fields.values()) | set(obj.extra) | set(custom.values()) | set(EXTRA_FIELDS)


# dbt_salesforce (Fivetran's dbt package): the marts and staging models that hold each object,
# with the columns they rename (API field → column); other fields keep Fivetran's snake_case
# name; objects the package does not model are read from the raw Fivetran tables.
DBT_SOURCES: dict[str, tuple[str, dict[str, str]]] = {
    "Account": ("stg_salesforce__account", {"Id": "account_id", "Name": "account_name"}),
    "Contact": (
        "salesforce__contact_enhanced",
        {"Id": "contact_id", "IsDeleted": "contact_is_deleted", "OwnerId": "contact_owner_id"},
    ),
    "Opportunity": ("salesforce__opportunity_enhanced", {"Id": "opportunity_id"}),
    "User": ("stg_salesforce__user", {"Id": "user_id"}),
    "Lead": ("stg_salesforce__lead", {"Id": "lead_id"}),
    "Campaign": ("stg_salesforce__campaign", {"Id": "campaign_id", "Name": "campaign_name"}),
}
# where a field missing from the mart is found (table, its id column): title is not in
# salesforce__contact_enhanced unless configured as a pass-through column
DBT_SUPPLEMENTS = {"Contact": (("stg_salesforce__contact", "contact_id"), ("contact", "id"))}


@dataclass(frozen=True)
class ObjectSource:
    table: str
    renames: dict[str, str]  # API field → column (others: snake_case)

    def column(self, api: str) -> str:
        return self.renames.get(api, snake(api))


def _sources(layout: str, name: str) -> list[ObjectSource]:
    raw = ObjectSource(snake(name), {})
    if layout == "dbt_salesforce" and name in DBT_SOURCES:
        return [ObjectSource(*DBT_SOURCES[name]), raw]
    return [raw]


def _object_view(con, tables, name: str, source: ObjectSource, mapping) -> list[str]:
    """A temporary view of one object under API field names; its columns."""
    columns = tables[source.table]
    fields = sorted(_api_fields(name, mapping))
    select = {
        api: f"o.{quote(source.column(api))}" for api in fields if source.column(api) in columns
    }
    joins = []
    for number, (table, key) in enumerate(DBT_SUPPLEMENTS.get(name, ())):
        extra = [api for api in fields if api not in select and snake(api) in tables.get(table, [])]
        if extra and "Id" in select:
            alias = f"s{number}"
            joins.append(
                f"LEFT JOIN main.{quote(table)} {alias} ON {alias}.{quote(key)} = {select['Id']}"
            )
            select |= {api: f"{alias}.{quote(snake(api))}" for api in extra}
    live = ["TRUE"]
    if "_fivetran_active" in columns:
        live.append("coalesce(o._fivetran_active, TRUE)")
    if "_fivetran_deleted" in columns:
        live.append("NOT coalesce(o._fivetran_deleted, FALSE)")
    listed = ", ".join(f"{expr} AS {quote(api)}" for api, expr in select.items())
    con.raw_sql(
        f"CREATE OR REPLACE TEMP VIEW crmlens_layout_{name.lower()} AS SELECT {listed} "
        f"FROM main.{quote(source.table)} o {' '.join(joins)} WHERE {' AND '.join(live)}"
    )
    return list(select)


def open_layout(data: Dataset, mapping: SourceMapping, layout: str) -> Dataset:
    """The canonical tables over raw Fivetran tables or dbt_salesforce models of ``data``'s
    DuckDB file."""
    con = data.backend
    tables = _tables(con)
    relations = {}
    for name in BY_OBJECT:
        source = next((s for s in _sources(layout, name) if s.table in tables), None)
        if source is not None:
            view_columns = _object_view(con, tables, name, source, mapping)
            relations[name] = (f"crmlens_layout_{name.lower()}", view_columns)
    objects = SalesforceObjects(con, relations, mapping.salesforce_export)
    for name in relations:
        objects.clean(name)
    dataset = Dataset(con, data.kind, data.location, mapping, loader=ObjectsLoader(objects))
    dataset.layout, dataset.notes = layout, objects.notes
    return dataset


def detect(con) -> str:
    """``dbt_salesforce`` (a salesforce__contact_enhanced with contact_is_deleted, or a
    stg_salesforce__account), ``fivetran_raw`` (an account table with _fivetran_synced) or
    ``canonical``."""
    tables = _tables(con)
    if "contact_is_deleted" in tables.get("salesforce__contact_enhanced", []):
        return "dbt_salesforce"
    if "stg_salesforce__account" in tables:
        return "dbt_salesforce"
    columns = tables.get("account", [])
    return "fivetran_raw" if "id" in columns and FIVETRAN_MARKER in columns else "canonical"
