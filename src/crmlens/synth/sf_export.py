"""``crmlens generate --format sf-export``: the generated tables as a Salesforce Data Export
folder (``Account.csv``, ``Contact.csv``, ``Opportunity.csv``, ``OpportunityHistory.csv``,
``User.csv``, ``Case.csv``, ``Campaign.csv``, ``Lead.csv``, ``Campaign_Spend__c.csv``,
``NPS_Response__c.csv``), following the field mapping of :mod:`crmlens.schema.sf_fields`.

Tables with no Salesforce object (customer360, the truth table) are not written.  Every value
is quoted as in real exports; NULL is an empty, unquoted field.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pacsv

from crmlens.schema.sf_fields import (
    DATETIME_FIELDS,
    GENERATED_ID_PREFIX,
    ID_FIELDS,
    SF_OBJECTS,
    VALUE_MAPS,
    SfObject,
    id18,
)
from crmlens.synth.common import AS_OF_DAY, sf_ids
from crmlens.synth.writers import _Atomic

DATETIME_FORMAT = "%Y-%m-%dT%H:%M:%S.000Z"
DATE_FORMAT = "%Y-%m-%d"
TABLES = frozenset(SF_OBJECTS)


def _text(values: np.ndarray) -> pa.Array:
    return pa.array(values, pa.string())


def _ids(column: pa.ChunkedArray) -> pa.Array:
    return _text(id18(np.asarray(column.to_pylist(), dtype=object)))


def _field(obj: SfObject, api: str, column: pa.ChunkedArray) -> pa.Array:
    if api in ID_FIELDS:
        return _ids(column)
    kind = column.type
    if pa.types.is_timestamp(kind) or pa.types.is_date(kind):
        if api in DATETIME_FIELDS:
            return pc.strftime(column.cast(pa.timestamp("s")), DATETIME_FORMAT)
        return pc.strftime(column.cast(pa.timestamp("s")), DATE_FORMAT)
    if pa.types.is_boolean(kind):
        return pc.if_else(column, "true", "false")
    mapping = VALUE_MAPS.get((obj.name, api))
    if mapping:
        values = np.asarray(column.to_pylist(), dtype=object)
        return _text(np.array([mapping.get(v, v) for v in values], dtype=object))
    return column


def _account_extras(table: pa.Table) -> dict[str, pa.Array]:
    days = np.asarray(table["days_since_last_activity"].to_numpy(), dtype=np.int64)
    last = AS_OF_DAY - days.astype("timedelta64[D]")
    return {"LastActivityDate": pc.strftime(pa.array(last).cast(pa.timestamp("s")), DATE_FORMAT)}


def _user_extras(table: pa.Table) -> dict[str, pa.Array]:
    names = table["name"].to_pylist()
    first = [n.split(" ", 1)[0] if n and " " in n else None for n in names]
    last = [n.split(" ", 1)[1] if n and " " in n else n for n in names]
    return {
        "FirstName": _text(np.array(first, dtype=object)),
        "LastName": _text(np.array(last, dtype=object)),
    }


EXTRAS = {"Account": _account_extras, "User": _user_extras}


def export_table(obj: SfObject, table: pa.Table, first_row: int) -> pa.Table:
    """One chunk of a canonical table as the export's columns (``first_row`` numbers generated
    ids across chunks)."""
    columns: dict[str, pa.Array] = {}
    prefix = GENERATED_ID_PREFIX.get(obj.name)
    if prefix:
        rows = np.arange(first_row, first_row + table.num_rows, dtype=np.int64)
        columns["Id"] = _text(id18(sf_ids(prefix, rows).astype(object)))
    for column, api in obj.fields.items():
        columns[api] = _field(obj, api, table[column])
    if "IsDeleted" in obj.extra:
        columns["IsDeleted"] = pa.array(np.full(table.num_rows, "false", dtype=object), pa.string())
    columns |= EXTRAS.get(obj.name, lambda _: {})(table)
    return pa.table(columns)


class SfExportWriter(_Atomic):
    """Writes the chunks of every table with a Salesforce object into ``<Object>.csv``."""

    tables = TABLES

    def __init__(self, out: Path) -> None:
        super().__init__(out, is_dir=True)
        self.writers: dict[str, tuple[pacsv.CSVWriter, pa.Schema]] = {}
        self.rows: dict[str, int] = {}

    def write(self, name: str, table: pa.Table) -> None:
        obj = SF_OBJECTS.get(name)
        if obj is None:
            return
        chunk = export_table(obj, table, self.rows.get(name, 0))
        self.rows[name] = self.rows.get(name, 0) + table.num_rows
        if name not in self.writers:
            path = self.tmp / f"{obj.name}.csv"
            options = pacsv.WriteOptions(quoting_style="all_valid")
            self.writers[name] = (
                pacsv.CSVWriter(path, chunk.schema, write_options=options),
                chunk.schema,
            )
        writer, schema = self.writers[name]
        writer.write_table(chunk.cast(schema))  # a column NULL in the first chunk keeps its type

    def close(self) -> None:
        for writer, _ in self.writers.values():
            writer.close()
