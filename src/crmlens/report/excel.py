"""``action_plan.xlsx``: one sheet per analysis with actions, owners, due dates and a status column;
a sheet with the thresholds and rules used.  Frozen header, filters, sensible widths."""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd
import xlsxwriter

from crmlens.analyses.base import AnalysisResult
from crmlens.report.document import PII_COLUMNS, format_cell
from crmlens.report.i18n import t, tr_value

STATUS_VALUES = ("open", "in_progress", "done", "blocked")


def _action_rows(r: AnalysisResult, lang: str, include_pii: bool) -> tuple[list[str], list[list]]:
    plan = r.tables.get("action_plan")
    if plan is None:
        return [], []
    cols = [c for c in plan.columns if include_pii or c not in PII_COLUMNS]
    headers = [t(f"col.{c}", lang) for c in cols] + [t("col.action_text", lang)]
    rows = []
    for rec in plan[cols].itertuples(index=False):
        d = rec._asdict()
        qty = d.get("quantity")
        text = t(d["action"] + ".text", lang, quantity=None if pd.isna(qty) else int(qty), detail=d.get("detail") or "")
        row = []
        for c in cols:
            v = d[c]
            if c in ("action", "tier", "risk_class", "owner_role", "status"):
                row.append(tr_value(str(v), lang))
            elif v is None or v is pd.NA or (isinstance(v, float) and pd.isna(v)):
                row.append(None)
            elif hasattr(v, "item"):
                row.append(v.item())
            else:
                row.append(v)
        rows.append(row + [text])
    return headers, rows


def write_action_plan(results: dict[str, AnalysisResult], path: Path, lang: str, include_pii: bool = False) -> None:
    wb = xlsxwriter.Workbook(str(path), {"nan_inf_to_errors": True})
    head = wb.add_format({"bold": True, "bg_color": "#DCE6F1", "border": 1, "text_wrap": True, "valign": "top"})
    wrap = wb.add_format({"text_wrap": True, "valign": "top"})
    for name, r in results.items():
        headers, rows = _action_rows(r, lang, include_pii)
        if not headers:
            continue
        ws = wb.add_worksheet(t(f"sheet.{name}", lang)[:31])
        ws.write_row(0, 0, headers, head)
        for i, row in enumerate(rows, start=1):
            ws.write_row(i, 0, row)
        ws.freeze_panes(1, 0)
        ws.autofilter(0, 0, max(len(rows), 1), len(headers) - 1)
        for j, h in enumerate(headers):
            sample = [len(str(x[j])) for x in rows[:200] if x[j] is not None]
            width = min(60, max(10, len(h) + 2, *(sample or [0])))
            ws.set_column(j, j, width, wrap if width >= 40 else None)
        status_col = headers.index(t("col.status", lang)) if t("col.status", lang) in headers else None
        if status_col is not None and rows:
            ws.data_validation(1, status_col, len(rows), status_col,
                               {"validate": "list", "source": [tr_value(s, lang) for s in STATUS_VALUES]})
    rules = wb.add_worksheet(t("sheet.rules", lang)[:31])
    rules.write_row(0, 0, [t("col.analysis", lang), t("col.rule", lang), t("col.value", lang)], head)
    row = 1
    for name, r in results.items():
        for k, v in r.method.items():
            rules.write_row(row, 0, [name, k, v if isinstance(v, (int, float, str)) else json.dumps(v, ensure_ascii=False)])
            row += 1
    rules.freeze_panes(1, 0)
    rules.set_column(0, 1, 28)
    rules.set_column(2, 2, 100, wrap)
    wb.close()


__all__ = ["write_action_plan", "format_cell"]
