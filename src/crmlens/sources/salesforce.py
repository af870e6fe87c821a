"""Raw Salesforce objects → canonical tables, in the engine (DuckDB SQL over the object rows).

One code path for every raw layout: :class:`SalesforceObjects` is handed, per object, a relation
whose columns carry the API field names (``Id``, ``AccountId``, ``IsDeleted``, …) as text or typed
values — a Data Export's CSV files (:mod:`crmlens.sources.sf_export`) or raw Fivetran tables
renamed to API names (:mod:`crmlens.sources.layouts`) — and builds each canonical table as a view:

* rows of all parts unioned, de-duplicated on ``Id`` (first part wins; duplicates counted);
* ``IsDeleted`` rows dropped (counted); 18-character ids reduced to their case-sensitive
  15-character form, so 15- and 18-character forms of one id match;
* booleans ``true/false/1/0``, ISO date times (``…Z``) and blanks (NULL) parsed by contract type;
* the columns the export does not hold derived (``sf_fields.*.derived``): account roll-ups,
  owner names, ages, days to close; industry normalised, size category and region from config
  when the custom fields are absent or blank;
* more than one ``CurrencyIsoCode`` in an object with amounts reported (never silently summed).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Any

from crmlens.config import SalesforceExportConfig
from crmlens.schema.contracts import CONTRACTS
from crmlens.schema.sf_fields import BY_OBJECT, ID_FIELDS, SF_OBJECTS, VALUE_MAPS, SfObject

SQL_TYPES = {
    "text": "VARCHAR",
    "id": "VARCHAR",
    "float": "DOUBLE",
    "int": "BIGINT",
    "bool": "BOOLEAN",
    "date": "DATE",
    "timestamp": "TIMESTAMP",
}
CURRENCY_OBJECTS = ("Account", "Opportunity", "OpportunityHistory", "Campaign")


def quote(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def literal(value: Any) -> str:
    return "'" + str(value).replace("'", "''") + "'"


def id15_sql(expr: str) -> str:
    """The case-sensitive 15-character form of a Salesforce id (18 = 15 + checksum suffix)."""
    return (
        f"CASE WHEN regexp_full_match({expr}, '[0-9A-Za-z]{{18}}') "
        f"THEN left({expr}, 15) ELSE {expr} END"
    )


def parse_sql(raw: str, kind: str) -> str:
    """A text value (blank = NULL) parsed as a contract type."""
    text = f"NULLIF(TRIM(CAST({raw} AS VARCHAR)), '')"
    if kind == "id":
        return id15_sql(text)
    if kind == "text":  # kept as written (spaces included); only a blank is NULL
        return f"CASE WHEN {text} IS NOT NULL THEN CAST({raw} AS VARCHAR) END"
    if kind == "bool":
        return (
            f"CASE lower({text}) WHEN 'true' THEN TRUE WHEN '1' THEN TRUE "
            f"WHEN 'false' THEN FALSE WHEN '0' THEN FALSE END"
        )
    if kind == "int":
        return f"CAST(round(TRY_CAST({text} AS DOUBLE)) AS BIGINT)"
    if kind == "date":
        return f"CAST(TRY_CAST({text} AS TIMESTAMP) AS DATE)"
    return f"TRY_CAST({text} AS {SQL_TYPES[kind]})"


def _mapped(expr: str, mapping: dict[str, str]) -> str:
    if not mapping:
        return expr
    cases = " ".join(f"WHEN {literal(k)} THEN {literal(v)}" for k, v in mapping.items())
    return f"CASE {expr} {cases} ELSE {expr} END"


@dataclass
class SalesforceObjects:
    """Builds canonical views over raw object relations (API field names) in a DuckDB backend.

    ``relations`` maps an object name to ``(relation SQL, its columns)``; a ``_part`` column, when
    present, orders the parts for de-duplication.  ``notes`` collects what was reported."""

    con: Any  # an Ibis DuckDB backend
    relations: dict[str, tuple[str, list[str]]]
    config: SalesforceExportConfig
    notes: list[dict] = field(default_factory=list)
    _views: dict[str, str] = field(default_factory=dict)

    @property
    def as_of(self) -> str:
        return self.config.as_of or dt.datetime.now(dt.timezone.utc).date().isoformat()

    def tables(self) -> list[str]:
        return [t for t, o in SF_OBJECTS.items() if o.name in self.relations]

    def fields(self, obj: SfObject) -> dict[str, str]:
        return obj.fields | self.config.custom_fields.get(obj.table, {})

    def clean(self, name: str) -> str:
        """View of an object's live rows: de-duplicated on Id, IsDeleted rows dropped (counted)."""
        if name in self._views:
            return self._views[name]
        relation, columns = self.relations[name]
        view = f"crmlens_sf_{name.lower()}"
        order = "_part" if "_part" in columns else "1"
        deleted = parse_sql(quote("IsDeleted"), "bool") if "IsDeleted" in columns else "FALSE"
        if "Id" in columns:
            key = parse_sql(quote("Id"), "id")
            ranked = (
                f"SELECT *, row_number() OVER (PARTITION BY {key} ORDER BY {order}) AS _copy, "
                f"coalesce({deleted}, FALSE) AS _deleted FROM {relation}"
            )
        else:
            ranked = f"SELECT *, 1 AS _copy, coalesce({deleted}, FALSE) AS _deleted FROM {relation}"
        self.con.raw_sql(f"CREATE OR REPLACE TEMP VIEW {view}_all AS {ranked}")
        self.con.raw_sql(
            f"CREATE OR REPLACE TEMP VIEW {view} AS "
            f"SELECT * FROM {view}_all WHERE _copy = 1 AND NOT _deleted"
        )
        duplicates, dropped = self.con.raw_sql(
            f"SELECT count(*) FILTER (WHERE _copy > 1), "
            f"count(*) FILTER (WHERE _copy = 1 AND _deleted) FROM {view}_all"
        ).fetchone()
        if duplicates:
            self.note("sf.duplicate_ids", name, count=int(duplicates))
        if dropped:
            self.note("sf.deleted_rows", name, count=int(dropped))
        self._check_currencies(name, view, columns)
        self._views[name] = view
        return view

    def note(self, code: str, table: str, severity: str = "info", **params) -> None:
        self.notes.append({"code": code, "severity": severity, "table": table, "params": params})

    def _check_currencies(self, name: str, view: str, columns: list[str]) -> None:
        if name not in CURRENCY_OBJECTS or "CurrencyIsoCode" not in columns:
            return
        codes = [
            r[0]
            for r in self.con.raw_sql(
                f"SELECT DISTINCT NULLIF(TRIM(\"CurrencyIsoCode\"), '') FROM {view} ORDER BY 1"
            ).fetchall()
            if r[0]
        ]
        if len(codes) > 1:
            self.note("sf.mixed_currencies", name, "warning", currencies=", ".join(codes))

    def column_sql(self, obj: SfObject, column: str, kind: str) -> str:
        api = self.fields(obj).get(column)
        columns = self.relations[obj.name][1]
        if api is None or api not in columns:
            return f"CAST(NULL AS {SQL_TYPES[kind]})"
        reverse = {v: k for k, v in VALUE_MAPS.get((obj.name, api), {}).items()}
        return _mapped(parse_sql(quote(api), "id" if api in ID_FIELDS else kind), reverse)

    def base_sql(self, obj: SfObject, extras: dict[str, str] | None = None) -> str:
        """The object's exported columns under canonical names and types (derived ones NULL),
        plus ``extras`` (alias → expression over the API fields)."""
        spec = CONTRACTS[obj.table]
        select = [
            f"{self.column_sql(obj, c.name, c.type)} AS {quote(c.name)}" for c in spec.columns
        ]
        select += [f"{expr} AS {quote(alias)}" for alias, expr in (extras or {}).items()]
        return f"SELECT {', '.join(select)} FROM {self.clean(obj.name)}"

    def table_sql(self, table: str) -> str:
        obj = SF_OBJECTS[table]
        builder = DERIVATIONS.get(obj.name)
        return builder(self, obj) if builder else self.base_sql(obj)

    def table(self, table: str):
        """The canonical table, as a temporary view of the engine (an Ibis table)."""
        view = f"crmlens_canonical_{table}"
        self.con.raw_sql(f"CREATE OR REPLACE TEMP VIEW {quote(view)} AS {self.table_sql(table)}")
        return self.con.table(view)

    def present(self, name: str) -> bool:
        return name in self.relations

    def raw(self, name: str, api: str, kind: str) -> str:
        return parse_sql(quote(api), kind) if api in self.relations[name][1] else "NULL"


def _replace(spec_table: str, overrides: dict[str, str]) -> str:
    """SELECT list of a contract's columns from ``b``, with some replaced by expressions."""
    cols = CONTRACTS[spec_table].columns
    return ", ".join(
        f"{overrides.get(c.name, 'b.' + quote(c.name))} AS {quote(c.name)}" for c in cols
    )


def _user_name(objects: SalesforceObjects, alias: str = "") -> str:
    first = objects.raw("User", "FirstName", "text")
    last = objects.raw("User", "LastName", "text")
    prefix = f"{alias}." if alias else ""
    return f"NULLIF(concat_ws(' ', {prefix}{first}, {prefix}{last}), '')"


def _user(objects: SalesforceObjects, obj: SfObject) -> str:
    base = objects.base_sql(obj, {"_name": _user_name(objects)})
    return f"SELECT {_replace(obj.table, {'name': 'b._name'})} FROM ({base}) b"


def _opportunity(objects: SalesforceObjects, obj: SfObject) -> str:
    days = "CAST(b.close_date - CAST(b.created_date AS DATE) AS BIGINT)"
    return f"SELECT {_replace(obj.table, {'days_to_close': days})} FROM ({objects.base_sql(obj)}) b"


def _size_sql(objects: SalesforceObjects) -> str:
    bands = sorted(objects.config.size_bands.items(), key=lambda kv: -kv[1])
    cases = " ".join(f"WHEN b.number_of_employees >= {low} THEN {literal(c)}" for c, low in bands)
    return f"coalesce(b.company_size_category, CASE {cases} ELSE 'Unknown' END)"


def _account(objects: SalesforceObjects, obj: SfObject) -> str:
    as_of = f"DATE {literal(objects.as_of)}"
    last = objects.raw("Account", "LastActivityDate", "date")
    state = "b.billing_state"
    overrides = {
        "industry_normalized": _mapped("b.industry_normalized", objects.config.industry_map),
        "company_size_category": _size_sql(objects),
        "geographic_region": "coalesce(b.geographic_region, "
        + _mapped(state, objects.config.state_regions).replace(f"ELSE {state}", "ELSE NULL")
        + ")",
        "account_owner_name": "o.name" if objects.present("User") else "CAST(NULL AS VARCHAR)",
        "days_since_last_activity": f"CAST({as_of} - b._last_activity AS BIGINT)",
        "account_age_days": f"CAST({as_of} - b.created_date AS BIGINT)",
        "total_contacts": "coalesce(c.n, 0)",
        "contacts_with_email": "coalesce(c.with_email, 0)",
        "total_won_amount": "coalesce(p.won_amount, 0)",
        "current_pipeline_amount": "coalesce(p.pipeline, 0)",
        "total_opportunities": "coalesce(p.n, 0)",
        "won_opportunities": "coalesce(p.won, 0)",
        "win_rate_percentage": "CASE WHEN p.n > 0 THEN 100.0 * p.won / p.n END",
    }
    for table, rollup in (("Contact", CONTACT_ROLLUP), ("Opportunity", DEAL_ROLLUP)):
        if not objects.present(table):  # unknown, never zero
            overrides |= {column: "CAST(NULL AS BIGINT)" for column in rollup}
    joins = [
        _contact_rollup(objects),
        _opportunity_rollup(objects),
    ]
    if objects.present("User"):
        view = objects.clean("User")
        joins.append(
            f"LEFT JOIN (SELECT {parse_sql(quote('Id'), 'id')} AS id, {_user_name(objects)} "
            f"AS name FROM {view}) o ON o.id = b.owner_id"
        )
    base = objects.base_sql(obj, {"_last_activity": last})
    return f"SELECT {_replace(obj.table, overrides)} FROM ({base}) b " + " ".join(joins)


def _contact_rollup(objects: SalesforceObjects) -> str:
    if not objects.present("Contact"):
        return "LEFT JOIN (SELECT NULL AS account_id, NULL AS n, NULL AS with_email) c ON FALSE"
    contacts = objects.base_sql(BY_OBJECT["Contact"])
    return (
        f"LEFT JOIN (SELECT account_id, count(*) AS n, count(email) AS with_email "
        f"FROM ({contacts}) GROUP BY account_id) c ON c.account_id = b.account_id"
    )


def _opportunity_rollup(objects: SalesforceObjects) -> str:
    if not objects.present("Opportunity"):
        return (
            "LEFT JOIN (SELECT NULL AS account_id, NULL AS n, NULL AS won, NULL AS won_amount, "
            "NULL AS pipeline) p ON FALSE"
        )
    deals = objects.base_sql(BY_OBJECT["Opportunity"])
    return (
        "LEFT JOIN (SELECT account_id, count(*) AS n, count(*) FILTER (WHERE is_won) AS won, "
        "coalesce(sum(amount) FILTER (WHERE is_won), 0) AS won_amount, "
        "coalesce(sum(amount) FILTER (WHERE NOT is_closed), 0) AS pipeline "
        f"FROM ({deals}) GROUP BY account_id) p ON p.account_id = b.account_id"
    )


CONTACT_ROLLUP = ("total_contacts", "contacts_with_email")
DEAL_ROLLUP = (
    "total_won_amount",
    "current_pipeline_amount",
    "total_opportunities",
    "won_opportunities",
    "win_rate_percentage",
)
DERIVATIONS = {"Account": _account, "Opportunity": _opportunity, "User": _user}
