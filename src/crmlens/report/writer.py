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
import shutil
from pathlib import Path
from concurrent.futures import ThreadPoolExecutor
from typing import Iterable

from crmlens import __version__
from crmlens.analyses.base import AnalysisResult, json_safe
from crmlens.errors import OutputError
from crmlens.outputs import AtomicFolder
from crmlens.progress import Stopwatch
from crmlens.report.charts import to_png
from crmlens.report.document import ChartBlock, build_document
from crmlens.report.csv_export import write_csv
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
    """The exports whose cost grows with the data (the tables and saved results, the workbook)
    are written in two threads while this thread builds the document, whose cost does not
    (threads, not a second process: the workbook's rows are written as XML by column in about
    two seconds at 100,000 accounts, less than a second interpreter with the analyses' imports
    would cost); every stage is timed and announced as ``render.<stage>``."""
    watch = Stopwatch("render.")
    with ThreadPoolExecutor(max_workers=2, thread_name_prefix="crmlens-exports") as pool:
        # on an error here the pool waits for both threads before tmp goes
        tables = pool.submit(_write_tables, tmp, results, include_pii, profile)
        workbook = pool.submit(
            write_action_plan,
            results,
            tmp / "action_plan.xlsx",
            lang,
            include_pii,
            excel_max_rows,
        )
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
        workbook.result()
        watch.lap("excel_wait")


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
        written = saved.save(tmp / "results" / name)  # the same Parquet files as tables/
        for tname, table in written.items():
            shutil.copyfile(
                tmp / "results" / name / f"{tname}.parquet", folder / f"{tname}.parquet"
            )
            write_csv(table, folder / f"{tname}.csv")  # no formula cells (csv_export)
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
