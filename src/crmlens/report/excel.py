"""``action_plan.xlsx``: a plan-summary sheet (the same totals the report prints, from the
``plan_summary`` table), one sheet per analysis with actions, names, owners, due dates and a
status column, and a sheet with the method notes in the reader's language.  Frozen header,
filters, sensible widths; due dates are date cells, ratios percent, money currency, scores two
decimals (the units' column formats); every code is written as text in the chosen language."""

from __future__ import annotations

import datetime as dt
import io
from pathlib import Path
from collections.abc import Callable, Mapping
from typing import Any

import numpy as np
import pandas as pd
import xlsxwriter

from crmlens.analyses.base import AnalysisResult
from crmlens.report.document import pii_columns
from crmlens.report.i18n import column_label, t, tr_codes, tr_value
from crmlens.report.views import ROW_UNIT, AnalysisViews, views_of
from crmlens.report.xlsx_rows import SheetBody, sheet_body, pack

XML_ROWS_FROM = 1_000  # sheets this long get their rows as XML by column (xlsx_rows)

STATUS_VALUES = ("open", "in_progress", "done", "blocked")
ACTION_COLUMNS = ("action", "owner_role", "status")  # the action-row contract: always translated
CODE_COLUMNS = ("detail",)  # '; '-joined items that may be catalog keys (reason codes)
DATE_COLUMNS = ("due_date",)
NUMBER_FORMATS = {"pct": "0.0%", "num": "#,##0.00", "int": "#,##0", "p": "0.000"}
CURRENCY_FORMATS = {"en": '"$"#,##0', "zh": '#,##0" 美元"'}


def number_format(spec: str, lang: str) -> str | None:
    """The Excel number format of a column format (``report.views`` specs)."""
    return CURRENCY_FORMATS[lang] if spec == "usd" else NUMBER_FORMATS.get(spec)


def unique_headers(labels: list[str]) -> list[str]:
    """Column labels made unique (a repeated label gets " (2)", " (3)"…): a filter on a
    workbook with two "Priority" columns picks the wrong one."""
    seen: dict[str, int] = {}
    out = []
    for label in labels:
        seen[label] = seen.get(label, 0) + 1
        out.append(label if seen[label] == 1 else f"{label} ({seen[label]})")
    return out


def _translated(col: pd.Series, lang: str, kind: str, scope: str | None = None) -> pd.Series:
    """Labels for the distinct values of a column (work per distinct value, not per row); the
    ``scope`` unit's own ``value.<scope>.<value>`` first, as in the report's tables."""
    if kind == "list":  # '; '-joined names, translated item by item
        labels = {
            v: "; ".join(tr_value(x, lang, scope) for x in str(v).split("; ") if x)
            for v in col.dropna().unique()
        }
    elif kind == "codes":
        labels = {v: tr_codes(str(v), lang) for v in col.dropna().unique()}
    else:
        labels = {v: tr_value(str(v), lang, scope) for v in col.dropna().unique()}
    return col.map(labels).astype(object)


def _dates(col: pd.Series) -> pd.Series:
    """ISO date text → date cells (None where missing)."""
    codes, distinct = pd.factorize(col)  # each distinct date converted once (-1: missing)
    text = pd.Series(np.asarray(distinct, dtype=object)).astype(str)
    values = pd.to_datetime(text, errors="coerce", format="ISO8601")
    cells = [None if pd.isna(v) else v.to_pydatetime() for v in values] + [None]
    return pd.Series(np.asarray(cells, dtype=object)[codes], index=col.index, dtype=object)


def _cell_kind(c: str, views: AnalysisViews) -> str:
    spec = views.format_of(c)
    if c in DATE_COLUMNS:
        return "date"
    if c in CODE_COLUMNS or spec == "codes":
        return "codes"
    if c in ACTION_COLUMNS or spec == "t":
        return "t"
    return spec


ActionFrame = tuple[pd.DataFrame, list[str], int]


def action_frame(r: AnalysisResult, lang: str, include_pii: bool, max_rows: int) -> ActionFrame:
    """The sheet as a frame (translated labels, date cells, a 'what to do' sentence per action),
    the Excel number format of each column, and the plan's full row count."""
    plan = r.tables.get("action_plan")
    if plan is None:
        return pd.DataFrame(), [], 0
    total = len(plan)
    plan = plan.head(max_rows)  # already in priority order
    pii = pii_columns()
    cols = [c for c in plan.columns if include_pii or c not in pii]
    views = views_of(r.analysis)
    out = pd.DataFrame(index=plan.index)
    formats = []
    for c in cols:
        kind = _cell_kind(c, views)
        if kind == "date":
            out[c] = _dates(plan[c])
        elif kind in ("t", "list", "codes"):
            out[c] = _translated(plan[c], lang, kind, r.analysis)
        else:
            out[c] = plan[c].astype(object).where(plan[c].notna(), None)
        formats.append(number_format(kind, lang) or ("yyyy-mm-dd" if kind == "date" else ""))
    out["action_text"] = _action_texts(plan, lang)
    formats.append("")
    out.columns = unique_headers([column_label(c, lang, r.analysis) for c in out.columns])
    return out, formats, total


def _action_texts(plan: pd.DataFrame, lang: str) -> list[str]:
    """The 'what to do' sentence of each action, built once per distinct (action, quantity,
    detail) and repeated by group number (100,000 rows: a few hundred sentences)."""
    qty_col = plan["quantity"] if "quantity" in plan.columns else pd.Series(pd.NA, index=plan.index)
    keys = pd.DataFrame(
        {
            "action": plan["action"].astype(object).to_numpy(),
            "quantity": qty_col.to_numpy(),
            "detail": plan["detail"].astype(object).fillna("").to_numpy(),
        }
    )
    if keys.empty:
        return []
    group = keys.groupby(list(keys.columns), sort=False, dropna=False).ngroup().to_numpy()
    texts = [
        t(
            action + ".text",
            lang,
            quantity=None if pd.isna(qty) else int(qty),
            detail=tr_codes(detail, lang),
        )
        for action, qty, detail in keys.drop_duplicates().itertuples(index=False)
    ]
    return np.asarray(texts, dtype=object)[group].tolist()


def unit_cell_formats(r: AnalysisResult, frame: pd.DataFrame, lang: str) -> dict[int, list[str]]:
    """The number format of each row's cell in the action sheet's ``unit`` columns (figures of
    different units, e.g. a share and an NPS), by the column's position in ``frame``."""
    plan = r.tables.get("action_plan")
    views = views_of(r.analysis)
    columns = (
        [c for c in plan.columns if views.format_of(c) == ROW_UNIT] if plan is not None else []
    )
    labels = list(frame.columns)
    out = {}
    for c in columns:
        label = column_label(c, lang, r.analysis)
        if label in labels:  # the sheet's header of the column
            specs = views.cell_formats(r, plan.head(len(frame)), c)
            out[labels.index(label)] = [number_format(spec, lang) or "" for spec in specs]
    return out


def plan_summary_frame(results: dict[str, AnalysisResult], lang: str) -> pd.DataFrame:
    """Every analysis' plan in totals, as the report's "what to do" prints them."""
    rows = []
    for name, r in results.items():
        summary = r.tables.get("plan_summary")
        for p in summary.itertuples(index=False) if summary is not None else ():
            rows.append(
                {
                    t("col.analysis_title", lang): t(f"analysis.{name}.title", lang),
                    t("col.milestone", lang): t("report.milestone", lang, days=p.milestone_days),
                    t("col.due_date", lang): dt.datetime.fromisoformat(str(p.due_date)),
                    t("col.action", lang): tr_value(str(p.action), lang),
                    t("col.owner_role", lang): "; ".join(
                        tr_value(x, lang) for x in str(p.owner_role).split("; ")
                    ),
                    t("col.entities", lang): int(p.entities),
                    t("col.quantity_total", lang): None if pd.isna(p.quantity) else int(p.quantity),
                }
            )
    frame = pd.DataFrame(rows).astype(object)
    return frame.where(frame.notna(), None)  # an action without a size: an empty cell


def method_rows(results: dict[str, AnalysisResult], lang: str) -> list[list[str]]:
    """The method notes of the report, one sentence per row (no codes, no English in zh)."""
    from crmlens.report.blocks import Bullets, Para

    rows = []
    for name, r in results.items():
        fn = views_of(name).method_notes
        for block in fn(r, lang) if fn else []:
            texts = block.items if isinstance(block, Bullets) else [block.text]
            if isinstance(block, (Bullets, Para)):
                rows += [[t(f"analysis.{name}.title", lang), text] for text in texts]
    return rows


class _Sheets:
    """Formats shared by the sheets of one workbook."""

    def __init__(self, wb: xlsxwriter.Workbook, lang: str) -> None:
        self.wb, self.lang = wb, lang
        self.head = wb.add_format(
            {"bold": True, "bg_color": "#DCE6F1", "border": 1, "text_wrap": True, "valign": "top"}
        )
        self.wrap = wb.add_format({"text_wrap": True, "valign": "top"})
        self._formats: dict[tuple[str, bool], Any] = {}
        self.bodies: dict[int, SheetBody] = {}  # sheet number → rows put in when packing

    def format(self, num_format: str, wrap: bool) -> Any:
        key = (num_format, wrap)
        if key not in self._formats:
            props: dict[str, Any] = {"valign": "top"} if wrap or num_format else {}
            if num_format:
                props["num_format"] = num_format
            if wrap:
                props["text_wrap"] = True
            self._formats[key] = self.wb.add_format(props) if props else None
        return self._formats[key]

    def table(
        self,
        name: str,
        frame: pd.DataFrame,
        formats: list[str],
        cell_formats: dict[int, list[str]] | None = None,
    ) -> Any:
        """A sheet with a frozen, filtered header and per-column widths and number formats
        (``cell_formats``: column position → each row's format, for figures of different units
        in one column); rows are streamed in order (constant-memory mode)."""
        ws = self.wb.add_worksheet(name[:31])
        headers = list(frame.columns)
        n = len(frame)
        column_formats = []
        for j, h in enumerate(headers):
            sample = frame.iloc[:200, j].dropna().astype(str).str.len()
            width = int(min(60, max(10, len(h) + 2, sample.max() if len(sample) else 0)))
            column_formats.append(self.format(formats[j] if formats else "", width >= 40))
            ws.set_column(j, j, width, column_formats[j])
        ws.freeze_panes(1, 0)
        ws.autofilter(0, 0, max(n, 1), max(len(headers) - 1, 0))
        status = t("col.status", self.lang)
        if status in headers and n:
            j = headers.index(status)
            source = [tr_value(s, self.lang) for s in STATUS_VALUES]
            ws.data_validation(1, j, n, j, {"validate": "list", "source": source})
        ws.write_row(0, 0, headers, self.head)
        body = None if cell_formats else self._body(frame, column_formats)
        if body is not None:
            self.bodies[len(self.wb.worksheets())] = body  # xlsxwriter numbers sheets from 1
        else:
            for i, row in enumerate(frame.itertuples(index=False, name=None), start=1):
                ws.write_row(i, 0, row)
                for j, row_formats in (cell_formats or {}).items():
                    if row[j] is not None:  # the row is still open: the cell gets its format
                        ws.write(i, j, row[j], self.format(row_formats[i - 1], False))
        return ws

    def _body(self, frame: pd.DataFrame, column_formats: list[Any]) -> SheetBody | None:
        """A long sheet's rows as XML by column (:mod:`crmlens.report.xlsx_rows`); None for a
        short one or one with values that module leaves to xlsxwriter."""
        if len(frame) < XML_ROWS_FROM:
            return None
        # the index xlsxwriter gives a format in the sheet XML (assigned on first use)
        styles = [f._get_xf_index() if f is not None else None for f in column_formats]
        date_style = self.wb.default_date_format._get_xf_index()
        return sheet_body(frame, styles, date_style)


def write_action_plan(
    results: dict[str, AnalysisResult],
    path: Path,
    lang: str,
    include_pii: bool = False,
    max_rows: int = 100_000,
    frames: Mapping[str, Callable[[], ActionFrame]] | None = None,
) -> None:
    """The action-plan workbook.  ``frames``: an analysis' action sheet already prepared by
    ``action_frame`` (``run`` prepares each one while the next analysis computes)."""
    # CRM text is data, never a formula or a link: "=HYPERLINK(…)" in an account name stays text
    # (no spreadsheet formula injection), and no per-string formula/URL sniffing on 100,000 rows
    packed = io.BytesIO()  # long sheets' rows are added when the file is packed (xlsx_rows)
    wb = xlsxwriter.Workbook(
        packed,
        {
            "nan_inf_to_errors": True,
            "constant_memory": True,
            "strings_to_formulas": False,
            "strings_to_urls": False,
            "default_date_format": "yyyy-mm-dd",
        },
    )
    sheets = _Sheets(wb, lang)
    summary = plan_summary_frame(results, lang)
    if len(summary):
        formats = ["", "", "yyyy-mm-dd", "", "", "#,##0", "#,##0"]
        sheets.table(t("sheet.plan", lang), summary, formats)
    for name, r in results.items():
        prepared = (frames or {}).get(name)
        frame, formats, total = (
            prepared() if prepared else action_frame(r, lang, include_pii, max_rows)
        )
        if frame.empty and not total:
            continue
        cells = unit_cell_formats(r, frame, lang)
        ws = sheets.table(t(f"sheet.{name}", lang), frame, formats, cells)
        if total > len(frame):
            ws.write(
                len(frame) + 1, 0, t("report.excel_truncated", lang, shown=len(frame), total=total)
            )
    from crmlens.overrides.workbook import write_review_sheets  # results with a review table

    write_review_sheets(wb, results, lang, sheets.head, max_rows)
    rules = wb.add_worksheet(t("sheet.rules", lang)[:31])
    rules.write_row(0, 0, [t("col.analysis_title", lang), t("col.method_note", lang)], sheets.head)
    for row, cells in enumerate(method_rows(results, lang), start=1):
        rules.write_row(row, 0, cells, sheets.wrap)
    rules.freeze_panes(1, 0)
    rules.set_column(0, 0, 28)
    rules.set_column(1, 1, 120, sheets.wrap)
    wb.close()
    pack(packed, path, sheets.bodies)
