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
import shutil
from pathlib import Path
from concurrent.futures import Future, ThreadPoolExecutor
from contextlib import ExitStack
from dataclasses import dataclass
from typing import TYPE_CHECKING, Callable, Iterable

from crmlens import __version__
from crmlens.analyses.base import AnalysisResult, json_safe
from crmlens.errors import OutputError
from crmlens.outputs import AtomicFolder
from crmlens.progress import Stopwatch
from crmlens.report.png import PngDrawer, lower_priority

if TYPE_CHECKING:  # pragma: no cover
    from crmlens.report.excel import ActionFrame

# The renderers (Altair, xlsxwriter, Jinja, Arrow's CSV writer) are imported where they are
# used: `run` imports this module before the analyses, not their ~1 s of imports before its
# first query.


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
    options = ReportOptions(lang, include_pii, top_n, png, excel_max_rows)
    with ReportWriter(out, options, inputs) as writer:
        return writer.finish(results, profile, since_last=since_last, alerts=alerts)


@dataclass(frozen=True)
class ReportOptions:
    lang: str = "en"
    include_pii: bool = False
    top_n: int = 20
    png: bool = True
    excel_max_rows: int = 100_000


class ReportWriter:
    """A report folder written while the analyses run: ``add(result)`` as each analysis is
    computed starts its exports (tables/ and results/, and its workbook sheet's cells, in a
    thread: Arrow writes the tables mostly without the interpreter lock) and its chart PNGs
    (``png.PngDrawer``, a second process), so they are written while the next analysis
    computes; ``finish(results, …)`` then writes the workbook (in another export thread), the
    document, HTML, Markdown and summary, waits for the exports and returns the folder.
    Leaving the ``with`` block without ``finish`` (an error) waits for the threads and removes
    the temporary folder: nothing half-written is left.

    Every stage after the analyses is timed and announced as ``render.<stage>``."""

    def __init__(
        self, out: Path, options: ReportOptions, inputs: Iterable[str | Path | None] = ()
    ) -> None:
        self.out, self.options, self.inputs = Path(out), options, list(inputs)
        self._exports: list[Future] = []
        self._frames: dict[str, Callable[[], ActionFrame]] = {}  # workbook sheets, prepared
        self._charts: dict[str, Future] = {}  # captioned charts, built
        self._added: set[str] = set()

    def __enter__(self) -> "ReportWriter":
        with ExitStack() as stack:
            self._folder = stack.enter_context(AtomicFolder(self.out, "report", self.inputs))
            self._folder.os_errors_are_ours = False  # the analyses run inside this block too
            self.path = self._folder.path
            self._drawer = stack.enter_context(PngDrawer()) if self.options.png else None
            # exited first: on an error the threads finish before the drawer and tmp go; three
            # threads so the workbook need not wait for the last analysis' tables (1M: -0.6 s)
            self._pool = stack.enter_context(
                ThreadPoolExecutor(
                    max_workers=3, thread_name_prefix="crmlens-exports", initializer=lower_priority
                )
            )
            self._stack = stack.pop_all()
        return self

    def __exit__(self, kind, exc, tb) -> bool | None:
        if exc is not None:  # exports not started yet would only be deleted: cancel them
            self._pool.shutdown(wait=True, cancel_futures=True)
        return self._stack.__exit__(kind, exc, tb)

    def add(self, r: AnalysisResult) -> None:
        """Start building a computed result's charts (and drawing them), its workbook sheet and
        its tables, in that order (the drawing process waits for the charts)."""
        if r.analysis in self._added:
            return
        self._added.add(r.analysis)
        opts = self.options
        self._charts[r.analysis] = self._pool.submit(self._prepare_charts, r)
        self._frames[r.analysis] = self._pool.submit(
            _action_frame, r, opts.lang, opts.include_pii, opts.excel_max_rows
        ).result
        self._exports.append(self._pool.submit(_write_tables, self.path, r, opts.include_pii))

    def _prepare_charts(self, r: AnalysisResult) -> list:
        """The result's captioned charts, handed to the drawing process (a thread's work: it
        reads the result, never changes it)."""
        from crmlens.report.sections import captioned_charts

        shown = captioned_charts(r, self.options.lang)
        if self._drawer is not None:
            self._drawer.submit(chart for chart, _ in shown)
        return shown

    def finish(
        self,
        results: dict[str, AnalysisResult],
        profile: dict | None = None,
        *,
        since_last: dict | None = None,
        alerts: list[dict] | None = None,
    ) -> Path:
        try:
            return self._finish(results, profile, since_last, alerts)
        except OSError as exc:  # writing the report failed: name the output and the cause
            raise self._folder.error(exc) from None

    def _finish(
        self,
        results: dict[str, AnalysisResult],
        profile: dict | None,
        since_last: dict | None,
        alerts: list[dict] | None,
    ) -> Path:
        from crmlens.report.document import ChartBlock, build_document
        from crmlens.report.excel import write_action_plan
        from crmlens.report.html import render_html
        from crmlens.report.markdown import render_markdown

        opts, tmp = self.options, self.path
        watch = Stopwatch("render.")
        for r in results.values():
            self.add(r)
        if profile is not None:
            (tmp / "results").mkdir(exist_ok=True)
            (tmp / "results" / "data_quality.json").write_text(
                json.dumps(json_safe(profile), ensure_ascii=False, indent=2), encoding="utf-8"
            )
        workbook = self._pool.submit(
            write_action_plan,
            results,
            tmp / "action_plan.xlsx",
            opts.lang,
            opts.include_pii,
            opts.excel_max_rows,
            self._frames,
        )
        generated = dt.datetime.now().isoformat(timespec="seconds")
        doc = build_document(
            results,
            opts.lang,
            include_pii=opts.include_pii,
            top_n=opts.top_n,
            profile=profile,
            generated=generated,
            since_last=since_last,
            alerts=alerts,
            charts={name: job.result() for name, job in self._charts.items()},
        )
        watch.lap("document")
        charts = [b.chart for s in doc.sections for b in s.blocks if isinstance(b, ChartBlock)]
        if self._drawer is not None:
            self._drawer.submit(charts)  # any not handed over yet
            pngs = _write_pngs(tmp, charts, self._drawer)
        else:
            pngs = {}
        watch.lap("charts_png")
        (tmp / "report.html").write_text(render_html(doc, pngs), encoding="utf-8")
        watch.lap("html")
        chart_files = {chart_id: f"charts/{chart_id}.png" for chart_id in pngs}
        (tmp / "report.md").write_text(render_markdown(doc, chart_files), encoding="utf-8")
        watch.lap("markdown")
        summ = _summary_with_changes(results, profile, opts.lang, generated, since_last, alerts)
        (tmp / "summary.json").write_text(
            json.dumps(summ, ensure_ascii=False, indent=2), encoding="utf-8"
        )
        watch.lap("summary")
        for job in self._exports:
            job.result()
        watch.lap("tables_wait")
        workbook.result()
        watch.lap("excel_wait")
        return self.out


def _action_frame(r: AnalysisResult, lang: str, include_pii: bool, max_rows: int) -> "ActionFrame":
    """``excel.action_frame``, imported in the thread: the import (xlsxwriter, the views) takes
    ~0.4 s that the next analysis need not wait for."""
    from crmlens.report.excel import action_frame

    return action_frame(r, lang, include_pii, max_rows)


def _write_pngs(tmp: Path, charts: list, drawer: PngDrawer) -> dict[str, bytes]:
    """charts/<id>.png for the Markdown report; the same images, by chart id, for the HTML's
    view without JavaScript."""
    (tmp / "charts").mkdir()
    pngs: dict[str, bytes] = {}
    for chart in charts:
        pngs[chart.id] = drawer.png(chart)
        (tmp / "charts" / f"{chart.id}.png").write_bytes(pngs[chart.id])
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


def _write_tables(tmp: Path, r: AnalysisResult, include_pii: bool) -> None:
    """tables/<analysis>/<table>.csv|.parquet and results/<analysis>/ (run in a thread: it
    reads the result, never changes it)."""
    from crmlens.report.csv_export import write_csv
    from crmlens.report.privacy import for_saving

    saved = for_saving(r, include_pii)  # personal data only with --include-pii
    folder = tmp / "tables" / r.analysis
    folder.mkdir(parents=True)
    written = saved.save(tmp / "results" / r.analysis)  # the same Parquet files as tables/
    for tname, table in written.items():
        _same_file(tmp / "results" / r.analysis / f"{tname}.parquet", folder / f"{tname}.parquet")
        write_csv(table, folder / f"{tname}.csv")  # no formula cells (csv_export)


def _same_file(src: Path, dst: Path) -> None:
    """``dst`` with ``src``'s content: a hard link (the 1M run's tables are 44 MB of Parquet),
    a copy where the file system has none."""
    try:
        os.link(src, dst)
    except OSError:
        shutil.copyfile(src, dst)


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
