"""Write the report folder atomically (:class:`crmlens.outputs.AtomicFolder`: a marked
temporary sibling folder renamed into place; only a crmlens report folder or an empty one is
replaced).  Layout::

    report.html  report.md  charts/*.png  summary.json  action_plan.xlsx
    tables/<analysis>/<table>.csv|.parquet
    results/<analysis>/   (re-renderable with `report --from`)
"""

from __future__ import annotations

import datetime as dt
import json
import os
import pickle
import subprocess
import sys
from pathlib import Path
from concurrent.futures import ThreadPoolExecutor
from typing import Iterable

from crmlens import __version__
from crmlens.analyses.base import AnalysisResult, json_safe, flat_frame
from crmlens.child import popen_tied
from crmlens.errors import OutputError
from crmlens.outputs import AtomicFolder
from crmlens.progress import Stopwatch
from crmlens.report.charts import to_png
from crmlens.report.document import ChartBlock, build_document
from crmlens.report.escape import csv_safe_frame
from crmlens.report.excel import write_action_plan
from crmlens.report.html import render_html
from crmlens.report.markdown import render_markdown
from crmlens.report.privacy import for_saving


def summary(
    results: dict[str, AnalysisResult], profile: dict | None, lang: str, generated: str
) -> dict:
    return {
        "crmlens_version": __version__,
        "generated": generated,
        "lang": lang,
        "analyses": {
            name: {k: v for k, v in r.to_json_dict().items() if k != "tables"}
            | {"tables": {n: len(df) for n, df in r.tables.items()}}
            | plan_totals(r)
            for name, r in results.items()
        },
        "data_quality": json_safe(profile) if profile else None,
    }


def plan_totals(r: AnalysisResult) -> dict:
    """The plan in totals (the ``plan_summary`` rows the report and the workbook print)."""
    plan = r.tables.get("plan_summary")
    if plan is None:
        return {}
    rows = plan.astype(object).where(plan.notna(), None).to_dict(orient="records")
    return {"plan": json_safe(rows)}


PARALLEL_EXCEL_ROWS = 20_000  # smaller workbooks take about a second: not worth a process


def _start_excel(
    results: dict[str, AnalysisResult], path: Path, lang: str, include_pii: bool, max_rows: int
) -> subprocess.Popen | None:
    """A big action-plan workbook (cell-by-cell XML in pure Python: ~16 s for 100,000 rows) is
    written by a second Python process while this one writes everything else; only the action
    plans and rules travel to it (a pickle inside the temporary report folder).  None when the
    workbook is small: the caller writes it inline."""
    rows = sum(
        min(len(r.tables["action_plan"]), max_rows)
        for r in results.values()
        if "action_plan" in r.tables
    )
    if rows < PARALLEL_EXCEL_ROWS:
        return None
    light = {
        name: AnalysisResult(
            name,
            {},
            {k: v for k, v in r.tables.items() if k in ("action_plan", "plan_summary")},
            method=r.method,
        )
        for name, r in results.items()
    }
    job = path.parent / ".action_plan.job"
    job.write_bytes(
        pickle.dumps(
            {
                "results": light,
                "path": path,
                "lang": lang,
                "include_pii": include_pii,
                "max_rows": max_rows,
            },
            protocol=pickle.HIGHEST_PROTOCOL,
        )
    )
    env = os.environ | {
        "PYTHONPATH": os.pathsep.join(p for p in sys.path if p)
    }  # finds crmlens as this process does
    try:
        args = [sys.executable, "-m", "crmlens.report.excel", str(job), str(os.getpid())]
        quiet = dict.fromkeys(("stdin", "stdout", "stderr"), subprocess.DEVNULL)
        return popen_tied(args, env=env, **quiet)  # stops when this process dies
    except OSError:
        job.unlink(missing_ok=True)
        return None


def _finish_excel(
    proc: subprocess.Popen,
    results: dict[str, AnalysisResult],
    path: Path,
    lang: str,
    include_pii: bool,
    max_rows: int,
) -> None:
    """Wait for the workbook process; if it could not do its job (an interpreter that cannot run
    ``-m crmlens…``, a killed process), write the workbook here: same file, only slower.  A real
    problem with the data then surfaces from this process as usual."""
    proc.wait()
    (path.parent / ".action_plan.job").unlink(missing_ok=True)
    if proc.returncode != 0:
        path.unlink(missing_ok=True)
        write_action_plan(results, path, lang, include_pii, max_rows)


def write_report(
    results: dict[str, AnalysisResult],
    out: Path,
    *,
    lang: str = "en",
    include_pii: bool = False,
    top_n: int = 20,
    profile: dict | None = None,
    png: bool = True,
    excel_max_rows: int = 100_000,
    since_last: dict | None = None,
    alerts: list[dict] | None = None,
    inputs: Iterable[str | Path | None] = (),
) -> Path:
    """Write the report folder under the output rules of :mod:`crmlens.outputs` (replaces only
    a report folder crmlens wrote, or an empty one; never overlaps ``inputs``)."""
    with AtomicFolder(out, "report", inputs) as folder:
        _write_files(
            folder.path,
            results,
            lang=lang,
            include_pii=include_pii,
            top_n=top_n,
            profile=profile,
            png=png,
            excel_max_rows=excel_max_rows,
            since_last=since_last,
            alerts=alerts,
        )
    return Path(out)


def _write_files(
    tmp: Path,
    results: dict[str, AnalysisResult],
    *,
    lang: str,
    include_pii: bool,
    top_n: int,
    profile: dict | None,
    png: bool,
    excel_max_rows: int,
    since_last: dict | None,
    alerts: list[dict] | None,
) -> None:
    """The exports whose cost grows with the data (the workbook in a second process, the tables
    and saved results in a thread) are written while this thread builds the document, whose cost
    does not; every stage is timed and announced as ``render.<stage>``."""
    excel = None
    watch = Stopwatch("render.")
    with ThreadPoolExecutor(max_workers=1, thread_name_prefix="crmlens-tables") as pool:
        try:
            excel = _start_excel(
                results, tmp / "action_plan.xlsx", lang, include_pii, excel_max_rows
            )
            tables = pool.submit(_write_tables, tmp, results, include_pii, profile)
            generated = dt.datetime.now().isoformat(timespec="seconds")
            doc = build_document(
                results,
                lang,
                include_pii=include_pii,
                top_n=top_n,
                profile=profile,
                generated=generated,
                since_last=since_last,
                alerts=alerts,
            )
            watch.lap("document")
            pngs = _write_pngs(tmp, doc) if png else {}
            watch.lap("charts_png")
            (tmp / "report.html").write_text(render_html(doc, pngs), encoding="utf-8")
            watch.lap("html")
            chart_files = {chart_id: f"charts/{chart_id}.png" for chart_id in pngs}
            (tmp / "report.md").write_text(render_markdown(doc, chart_files), encoding="utf-8")
            watch.lap("markdown")
            summ = _summary_with_changes(results, profile, lang, generated, since_last, alerts)
            (tmp / "summary.json").write_text(
                json.dumps(summ, ensure_ascii=False, indent=2), encoding="utf-8"
            )
            watch.lap("summary")
            tables.result()
            watch.lap("tables_wait")
            if excel is None:
                write_action_plan(
                    results, tmp / "action_plan.xlsx", lang, include_pii, excel_max_rows
                )
            else:
                _finish_excel(
                    excel, results, tmp / "action_plan.xlsx", lang, include_pii, excel_max_rows
                )
            watch.lap("excel_wait" if excel is not None else "excel")
        except BaseException:
            if excel is not None and excel.poll() is None:
                excel.kill()  # it stops writing into tmp before tmp goes
                excel.wait()
            raise  # the pool waits for the tables thread before tmp goes


def _write_pngs(tmp: Path, doc) -> dict[str, bytes]:
    """charts/<id>.png for the Markdown report; the same images, by chart id, for the HTML's
    view without JavaScript."""
    (tmp / "charts").mkdir()
    pngs: dict[str, bytes] = {}
    for s in doc.sections:
        for b in s.blocks:
            if isinstance(b, ChartBlock):
                pngs[b.chart.id] = to_png(b.chart)
                (tmp / "charts" / f"{b.chart.id}.png").write_bytes(pngs[b.chart.id])
    return pngs


def _summary_with_changes(
    results: dict[str, AnalysisResult],
    profile: dict | None,
    lang: str,
    generated: str,
    since_last: dict | None,
    alerts: list[dict] | None,
) -> dict:
    summ = summary(results, profile, lang, generated)
    if alerts is not None:
        summ["alerts"] = alerts
    if since_last is not None:
        summ["since_last_run"] = {
            "previous_run": since_last["previous_run"],
            "previous_as_of": since_last["previous_as_of"],
            "metric_deltas": json_safe(since_last["metric_deltas"].to_dict(orient="records")),
            "lists": {
                k: json_safe(v.to_dict(orient="records")) for k, v in since_last["lists"].items()
            },
        }
    return summ


def _write_tables(
    tmp: Path, results: dict[str, AnalysisResult], include_pii: bool, profile: dict | None
) -> None:
    """tables/<analysis>/<table>.csv|.parquet and results/ (run in a thread: it reads the
    results, never changes them)."""
    for name, r in results.items():
        saved = for_saving(r, include_pii)  # personal data only with --include-pii
        folder = tmp / "tables" / name
        folder.mkdir(parents=True)
        for tname, df in saved.tables.items():
            flat = flat_frame(df)
            csv_safe_frame(flat).to_csv(folder / f"{tname}.csv", index=False)  # no formula cells
            flat.to_parquet(folder / f"{tname}.parquet", index=False)
        saved.save(tmp / "results" / name)
    if profile is not None:
        (tmp / "results" / "data_quality.json").write_text(
            json.dumps(json_safe(profile), ensure_ascii=False, indent=2), encoding="utf-8"
        )


def load_results(folder: Path) -> tuple[dict[str, AnalysisResult], dict | None]:
    base = Path(folder) / "results"
    if not base.is_dir():
        raise OutputError("error.results_missing", path=str(folder))
    results = {
        p.name: AnalysisResult.load(p)
        for p in sorted(base.iterdir())
        if (p / "result.json").exists()
    }
    if not results:
        raise OutputError("error.results_missing", path=str(folder))
    dq = base / "data_quality.json"
    profile = json.loads(dq.read_text(encoding="utf-8")) if dq.exists() else None
    return results, profile
