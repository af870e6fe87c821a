"""``action_plan.xlsx``: one sheet per analysis with actions, owners, due dates and a status column;
a sheet with the thresholds and rules used.  Frozen header, filters, sensible widths."""

from __future__ import annotations

import json
import pickle
import sys
from pathlib import Path

import pandas as pd
import xlsxwriter

from crmlens.analyses.base import AnalysisResult
from crmlens.report.document import pii_columns
from crmlens.report.i18n import column_label, t, tr_codes, tr_value
from crmlens.report.views import views_of

STATUS_VALUES = ("open", "in_progress", "done", "blocked")


ACTION_COLUMNS = ("action", "owner_role", "status")  # the action-row contract: always translated


def _action_frame(
    r: AnalysisResult, lang: str, include_pii: bool, max_rows: int
) -> tuple[pd.DataFrame, int]:
    """The sheet as a frame: translated labels and a 'what to do' sentence per action.
    Work is done per distinct value (labels, sentences), not per row."""
    plan = r.tables.get("action_plan")
    if plan is None:
        return pd.DataFrame(), 0
    total = len(plan)
    plan = plan.head(max_rows)  # already in priority order
    pii = pii_columns()
    cols = [c for c in plan.columns if include_pii or c not in pii]
    views = views_of(r.analysis)
    out = pd.DataFrame(index=plan.index)
    for c in cols:
        col = plan[c]
        if c in ACTION_COLUMNS or views.format_of(c) == "t":
            labels = {v: tr_value(str(v), lang) for v in col.dropna().unique()}
            out[c] = col.map(labels)
        elif views.format_of(c) == "list":  # '; '-joined names, translated item by item
            labels = {
                v: "; ".join(tr_value(x, lang) for x in str(v).split("; ") if x)
                for v in col.dropna().unique()
            }
            out[c] = col.map(labels)
        else:
            out[c] = col.astype(object).where(col.notna(), None)
    qty_col = plan["quantity"] if "quantity" in plan.columns else pd.Series(pd.NA, index=plan.index)
    keys = list(
        zip(plan["action"].astype(object), qty_col, plan["detail"].astype(object).fillna(""))
    )
    cache: dict = {}
    for k in set(keys):
        action, qty, detail = k
        cache[k] = t(
            action + ".text",
            lang,
            quantity=None if pd.isna(qty) else int(qty),
            detail=tr_codes(detail, lang),
        )
    out["action_text"] = [cache[k] for k in keys]
    out.columns = [column_label(c, lang, r.analysis) for c in out.columns]
    return out, total


def write_action_plan(
    results: dict[str, AnalysisResult],
    path: Path,
    lang: str,
    include_pii: bool = False,
    max_rows: int = 100_000,
) -> None:
    # CRM text is data, never a formula or a link: "=HYPERLINK(…)" in an account name stays text
    # (no spreadsheet formula injection), and no per-string formula/URL sniffing on 100,000 rows
    wb = xlsxwriter.Workbook(
        str(path),
        {
            "nan_inf_to_errors": True,
            "constant_memory": True,
            "strings_to_formulas": False,
            "strings_to_urls": False,
        },
    )
    head = wb.add_format(
        {"bold": True, "bg_color": "#DCE6F1", "border": 1, "text_wrap": True, "valign": "top"}
    )
    wrap = wb.add_format({"text_wrap": True, "valign": "top"})
    for name, r in results.items():
        frame, total = _action_frame(r, lang, include_pii, max_rows)
        if frame.empty and not total:
            continue
        ws = wb.add_worksheet(t(f"sheet.{name}", lang)[:31])
        headers = list(frame.columns)
        n = len(frame)
        # constant_memory mode streams rows in order: column formats, filters and validation first
        for j, h in enumerate(headers):
            sample = frame.iloc[:200, j].dropna().astype(str).str.len()
            width = int(min(60, max(10, len(h) + 2, sample.max() if len(sample) else 0)))
            ws.set_column(j, j, width, wrap if width >= 40 else None)
        ws.freeze_panes(1, 0)
        ws.autofilter(0, 0, max(n, 1), len(headers) - 1)
        status = t("col.status", lang)
        if status in headers and n:
            j = headers.index(status)
            ws.data_validation(
                1,
                j,
                n,
                j,
                {"validate": "list", "source": [tr_value(s, lang) for s in STATUS_VALUES]},
            )
        ws.write_row(0, 0, headers, head)
        for i, row in enumerate(frame.itertuples(index=False, name=None), start=1):
            ws.write_row(i, 0, row)
        if total > n:
            ws.write(n + 1, 0, t("report.excel_truncated", lang, shown=n, total=total))
    from crmlens.overrides.workbook import write_review_sheets  # results with a review table

    write_review_sheets(wb, results, lang, head, max_rows)
    rules = wb.add_worksheet(t("sheet.rules", lang)[:31])
    rules.write_row(
        0, 0, [t("col.analysis", lang), t("col.rule", lang), t("col.value", lang)], head
    )
    row = 1
    for name, r in results.items():
        for k, v in r.method.items():
            text = (
                tr_value(v, lang) if isinstance(v, str) else v
            )  # method codes in the reader's language
            rules.write_row(
                row,
                0,
                [
                    name,
                    k,
                    text if isinstance(v, (int, float, str)) else json.dumps(v, ensure_ascii=False),
                ],
            )
            row += 1
    rules.freeze_panes(1, 0)
    rules.set_column(0, 1, 28)
    rules.set_column(2, 2, 100, wrap)
    wb.close()


def main(argv: list[str]) -> int:
    """``python -m crmlens.report.excel JOB``: write the workbook described by a pickled job (the
    keyword arguments of ``write_action_plan``).  Used by the report writer to build a big
    workbook in a second process; a fresh interpreter, so nothing of the caller's ``__main__`` is
    re-imported.  An optional second argument is the parent's pid: the process stops when that
    parent dies (it must never keep writing into a report folder nobody will finish)."""
    if len(argv) > 1:
        from crmlens.child import exit_with_parent

        exit_with_parent(int(argv[1]))
    job = pickle.loads(Path(argv[0]).read_bytes())
    write_action_plan(**job)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
