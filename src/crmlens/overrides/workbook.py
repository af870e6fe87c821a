"""The review sheets of the exported workbook, and importing them back.

A result with a ``review`` table (``apply.REVIEW_COLUMNS``, built by ``Overrides.review``) gets a
sheet in ``action_plan.xlsx``: one row per entity with the model's value, the value in force and
who set it, then three columns to fill in — the new value, the reason (required) and an optional
expiry date.  A hidden sheet keeps what was exported: the analysis, entity kind and field, the
allowed values, the header of each column, and per entity the sequence number of its latest
override event (the *stamp*).

``import_workbook`` reads every filled row and checks all of them before anything is written:
unknown entity ids (not exported), blank reasons, formulas, an entity filled in twice, values
not allowed, bad or past expiry dates.  Any problem → :class:`ReviewRejected` listing every
row, nothing appended.  Then one transaction appends the changes; an entity whose field changed
in the store since the export is a conflict (``OverrideConflict``), unless ``force``.
"""

from __future__ import annotations

import datetime as dt
import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pandas as pd

from crmlens.config import CrmlensConfig
from crmlens.errors import CrmlensError
from crmlens.overrides import values
from crmlens.overrides.store import SET, Change, OverrideStore

META_SHEET = "_crmlens_review"
META_VERSION = 1
SHOWN = (  # review columns shown, in order (``apply.REVIEW_COLUMNS`` but the stamp)
    "entity_id",
    "entity_name",
    "field",
    "model_value",
    "current_value",
    "override_by",
    "override_reason",
    "override_expires",
)
EDITABLE = ("new_value", "reason", "expires")
MAX_LIST_CHARS = 255  # Excel's limit for an in-cell list validation


class ReviewRejected(CrmlensError):
    """Rows of a review workbook that cannot be imported; ``problems`` lists every one as
    ``(row, code, params)``."""

    code = "error.review_rejected"

    def __init__(self, path: str, problems: list[tuple[int, str, dict]]) -> None:
        super().__init__(self.code, path=path, count=len(problems))
        self.problems = problems


# ---- writing -------------------------------------------------------------------------------------


def write_review_sheets(wb: Any, results: dict, lang: str, head: Any, max_rows: int) -> None:
    """One review sheet per result that has a ``review`` table, and the hidden sheet."""
    from crmlens.analyses import REGISTRY
    from crmlens.report.i18n import t

    sheets, snapshot = [], []
    for name, r in results.items():
        review = r.tables.get("review")
        spec = REGISTRY.get(name)
        if review is None or spec is None or review.empty:
            continue
        review = review.head(max_rows)
        title = t("sheet.review", lang, analysis=t(f"sheet.{name}", lang))[:31]
        headers = [t(f"col.review.{c}", lang) for c in (*SHOWN, *EDITABLE)]
        choices = {k: list(v) for k, v in r.method.get("override_choices", {}).items()}
        ws = wb.add_worksheet(title)
        _fill_sheet(ws, _labelled(review, lang), headers, head, _labelled_choices(choices, lang))
        sheets.append(
            {
                "sheet": title,
                "analysis": name,
                "entity_kind": spec.entity.kind,
                "headers": dict(zip((*SHOWN, *EDITABLE), headers)),
            }
        )
        snapshot += [
            [title, str(i), str(f), int(s), None if pd.isna(m) else str(m)]
            for i, f, s, m in zip(
                review["entity_id"], review["field"], review["stamp"], review["model_value"]
            )
        ]
    if not sheets:
        return
    meta = wb.add_worksheet(META_SHEET)
    meta.write(0, 0, json.dumps({"version": META_VERSION, "sheets": sheets}, ensure_ascii=False))
    for i, row in enumerate(snapshot, start=1):
        meta.write_row(i, 0, row)
    meta.hide()


def _labelled(review: pd.DataFrame, lang: str) -> pd.DataFrame:
    """Values shown with their label in the report's language (the import reads either)."""
    from crmlens.report.i18n import tr_value

    out = review.copy()
    for column in ("model_value", "current_value"):
        labels = {v: tr_value(str(v), lang) for v in out[column].dropna().unique()}
        out[column] = out[column].map(labels).astype(object)
    return out


def _labelled_choices(choices: dict[str, list[str]], lang: str) -> dict[str, list[str]]:
    from crmlens.report.i18n import tr_value

    return {k: [tr_value(str(v), lang) for v in values] for k, values in choices.items()}


def _fill_sheet(ws: Any, review: pd.DataFrame, headers: list[str], head: Any, choices) -> None:
    n = len(review)
    ws.set_column(0, len(headers) - 1, 18)
    ws.freeze_panes(1, 2)
    ws.autofilter(0, 0, max(n, 1), len(headers) - 1)
    allowed = sorted({c for field in review["field"].unique() for c in choices.get(field, [])})
    if n and allowed and len(",".join(allowed)) <= MAX_LIST_CHARS:
        j = len(SHOWN)
        ws.data_validation(1, j, n, j, {"validate": "list", "source": allowed})
    ws.write_row(0, 0, headers, head)
    frame = review[list(SHOWN)].astype(object).where(review[list(SHOWN)].notna(), None)
    for i, row in enumerate(frame.itertuples(index=False, name=None), start=1):
        ws.write_row(i, 0, row)


# ---- reading and importing -----------------------------------------------------------------------


@dataclass(frozen=True)
class ReviewRow:
    sheet: str
    row: int  # 1-based Excel row
    analysis: str
    entity_kind: str
    cells: dict[str, Any]  # column → value
    formulas: tuple[str, ...]  # columns holding a formula


def read_review(path: Path) -> tuple[list[ReviewRow], dict[tuple[str, str, str], tuple]]:
    """The filled-in rows of every review sheet, and the snapshot (sheet, entity, field) →
    (stamp, model value) of what was exported."""
    import openpyxl

    try:
        wb = openpyxl.load_workbook(path, read_only=True, data_only=False)
    except Exception as exc:  # not a workbook, damaged, missing
        raise CrmlensError("error.review_unreadable", path=str(path), reason=str(exc)[:200])
    try:
        if META_SHEET not in wb.sheetnames:
            raise CrmlensError("error.review_not_crmlens", path=str(path))
        meta_rows = list(wb[META_SHEET].iter_rows(values_only=True))
        meta = json.loads(meta_rows[0][0])
        snapshot = {(r[0], r[1], r[2]): (int(r[3]), r[4]) for r in meta_rows[1:]}
        rows = []
        for sheet in meta["sheets"]:
            if sheet["sheet"] not in wb.sheetnames:
                raise CrmlensError("error.review_not_crmlens", path=str(path))
            rows += _filled_rows(wb[sheet["sheet"]], sheet, path)
        return rows, snapshot
    finally:
        wb.close()


def _filled_rows(ws: Any, sheet: dict, path: Path) -> list[ReviewRow]:
    lines = ws.iter_rows()
    header = [c.value for c in next(lines, [])]
    where = {}
    for column, text in sheet["headers"].items():
        if text not in header:
            raise CrmlensError("error.review_columns", path=str(path), column=text)
        where[column] = header.index(text)
    out = []
    for i, line in enumerate(lines, start=2):
        cells = {c: (line[j] if j < len(line) else None) for c, j in where.items()}
        wanted = ("entity_id", "field", *EDITABLE)
        formulas = tuple(c for c in wanted if cells[c] is not None and cells[c].data_type == "f")
        cell_values = {c: (None if cell is None else cell.value) for c, cell in cells.items()}
        if not formulas and all(_blank(cell_values[c]) for c in EDITABLE):
            continue  # nothing filled in
        out.append(
            ReviewRow(
                sheet["sheet"], i, sheet["analysis"], sheet["entity_kind"], cell_values, formulas
            )
        )
    return out


def _blank(value: Any) -> bool:
    return value is None or (isinstance(value, str) and not value.strip())


def changes_from(
    rows: list[ReviewRow], snapshot: dict, config: CrmlensConfig, path: Path, today: dt.date
) -> list[Change]:
    """Every row checked; all problems at once (``ReviewRejected``), else one change per row."""
    problems: list[tuple[int, str, dict]] = []
    changes: list[Change] = []
    first_row: dict[tuple, int] = {}
    for row in rows:
        change, row_problems = _checked(row, snapshot, config, today, first_row)
        problems += row_problems
        if change is not None and not row_problems:
            changes.append(change)
    if problems:
        raise ReviewRejected(str(path), sorted(problems, key=lambda p: (p[0], p[1])))
    return changes


def _checked(row: ReviewRow, snapshot, config, today, first_row) -> tuple[Change | None, list]:
    cells, n = row.cells, row.row
    if row.formulas:
        return None, [(n, "error.review_row.formula", {"columns": ", ".join(row.formulas)})]
    entity, field_name = str(cells["entity_id"] or "").strip(), str(cells["field"] or "").strip()
    exported = snapshot.get((row.sheet, entity, field_name))
    if exported is None:
        return None, [(n, "error.review_row.unknown_id", {"entity": entity, "field": field_name})]
    problems = []
    key = (row.analysis, entity, field_name)
    if key in first_row:
        problems.append(
            (n, "error.review_row.duplicate", {"entity": entity, "first": first_row[key]})
        )
    first_row.setdefault(key, n)
    _spec, field = values.field_of(row.analysis, field_name)
    value = values.normalise(field, cells["new_value"], config)
    if value is None:
        allowed = ", ".join(values.allowed_values(field, config)) or field.kind
        shown = "" if cells["new_value"] is None else str(cells["new_value"])
        problems.append((n, "error.review_row.invalid_value", {"value": shown, "allowed": allowed}))
    reason = None if _blank(cells["reason"]) else str(cells["reason"]).strip()
    if reason is None:
        problems.append((n, "error.review_row.blank_reason", {}))
    try:
        expires = values.expiry(cells["expires"], today)
    except CrmlensError as exc:
        problems.append((n, "error.review_row.expiry", {"value": exc.params.get("value")}))
        expires = None
    if problems:
        return None, problems
    stamp, model_value = exported
    change = Change(
        row.analysis,
        row.entity_kind,
        entity,
        field_name,
        SET,
        value,
        reason,
        expires,
        model_value,
        expected=stamp,
        row=n,
    )
    return change, []


def import_workbook(
    path: Path,
    config: CrmlensConfig,
    store: OverrideStore,
    by: str,
    *,
    force: bool = False,
    today: dt.date | None = None,
) -> tuple[int, int]:
    """Validate every row, then append the changes in one transaction.  Returns (appended,
    filled rows)."""
    today = today or dt.date.today()
    rows, snapshot = read_review(Path(path))
    changes = changes_from(rows, snapshot, config, Path(path), today)
    if force:
        changes = [_unchecked(c) for c in changes]
    written = store.append(changes, by=by, source="workbook", today=today)
    return len(written), len(changes)


def _unchecked(change: Change) -> Change:
    from dataclasses import replace

    return replace(change, expected=None)
