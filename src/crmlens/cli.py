"""Command-line interface: parse → call one library function → render → exit code.

Errors print one translated line on stderr and exit non-zero; ``--debug`` shows the traceback.
Exit codes: 0 ok · 1 blocking data problems · 2 usage/config/source/output errors · 3 unexpected.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import sys
from pathlib import Path
from typing import Optional

import typer
import yaml
from rich.console import Console
from rich.progress import BarColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table
from rich.text import Text

from crmlens.config import CrmlensConfig, load_config
from crmlens.errors import CrmlensError, ValidationFailed
from crmlens.outputs import check_file, check_folder, claim_folder
from crmlens.report.escape import terminal_text
from crmlens.report.i18n import LANGS, t

app = typer.Typer(
    add_completion=False, no_args_is_help=True, help="crmlens — B2B customer analytics on CRM data."
)
config_app = typer.Typer(
    no_args_is_help=True, help="Show the effective configuration or its JSON Schema."
)
app.add_typer(config_app, name="config")
override_app = typer.Typer(
    no_args_is_help=True,
    help="Human overrides of analysis results (set, revoke, list, import, history).",
)
app.add_typer(override_app, name="override")

out = Console(soft_wrap=True)
err = Console(stderr=True, soft_wrap=True)  # messages stay one line, whatever the terminal width
STATE = {"debug": False, "lang": "en"}  # lang: the language of messages printed so far

ConfigOpt = typer.Option(
    None, "--config", "-c", help="YAML config file (see `crmlens config show`)."
)
LangOpt = typer.Option(None, "--lang", help="Language of messages and reports: en or zh.")
OUT_HELP = "Report folder: new, empty, or one crmlens wrote (then replaced atomically)."


def _env_lang() -> str | None:
    return os.environ.get("CRMLENS_LANG") or None


def _lang(lang: str | None, cfg: CrmlensConfig | None = None) -> str:
    """--lang > report.lang set in the config file > CRMLENS_LANG > en."""
    explicit = cfg is not None and "lang" in cfg.report.model_fields_set
    from_file = cfg.report.lang if explicit else None
    value = lang or from_file or _env_lang() or "en"
    if value not in LANGS:
        raise CrmlensError("error.lang_unknown", lang=value, allowed=", ".join(LANGS))
    STATE["lang"] = value
    return value


@app.callback()
def _main(debug: bool = typer.Option(False, "--debug", help="Show tracebacks on errors.")) -> None:
    STATE["debug"] = debug or STATE["debug"]


@app.command()
def generate(
    accounts: int = typer.Option(10_000, "--accounts", "-n", help="Number of accounts."),
    seed: int = typer.Option(42, "--seed", help="Random seed; same seed → identical tables."),
    out_path: Path = typer.Option(
        Path("crmlens-demo.duckdb"),
        "--out",
        "-o",
        help="Output file (duckdb/sqlite) or folder (parquet/csv/sf-export).",
    ),
    fmt: str = typer.Option(
        "duckdb", "--format", "-f", help="duckdb | sqlite | parquet | csv | sf-export"
    ),
    truth: bool = typer.Option(
        False, "--truth", help="Also write crmlens_truth__opportunity (planted win probabilities)."
    ),
    config: Optional[Path] = ConfigOpt,
    lang: Optional[str] = LangOpt,
) -> None:
    """Generate a synthetic CRM dataset (every canonical table) with realistic messiness."""
    from crmlens.synth import generate as gen

    cfg = load_config(config)
    lg = _lang(lang, cfg)
    with Progress(
        TextColumn("{task.description}"),
        BarColumn(),
        TextColumn("{task.completed:,}/{task.total:,}"),
        TimeElapsedColumn(),
        console=err,
        transient=True,
    ) as bar:
        task = bar.add_task(t("cli.generating", lg), total=accounts)
        counts = gen(
            out_path,
            accounts,
            seed,
            fmt,
            cfg.synth,
            progress=lambda done: bar.update(task, completed=done),
            truth=truth,
        )
    out.print(t("cli.generated", lg, path=str(out_path), format=fmt, seed=seed))
    for name, n in counts.items():
        out.print(f"  {name}: {n:,}")


@app.command()
def doctor(
    source: str = typer.Option(
        ..., "--source", "-s", help="DuckDB/SQLite file, CSV/Parquet folder or Ibis URL."
    ),
    analysis: list[str] = typer.Option(
        [], "--analysis", "-a", help="Check only what these analyses need (default: all)."
    ),
    config: Optional[Path] = ConfigOpt,
    lang: Optional[str] = LangOpt,
    as_json: bool = typer.Option(False, "--json", help="Print the data-quality profile as JSON."),
) -> None:
    """Validate a source: every problem at once, with reason codes; non-zero exit on blocking
    ones."""
    from crmlens.report.document import issue_text
    from crmlens.runner import applicable, resolve
    from crmlens.schema.validate import validate
    from crmlens.sources import open_source

    cfg = load_config(config)
    lg = _lang(lang, cfg)
    names = resolve(analysis)
    data = open_source(source, cfg.source)
    absent: dict[str, list[str]] = {}
    if not analysis or list(analysis) == ["all"]:  # unnamed: analyses lacking tables don't apply
        names, absent = applicable(data, names)
    profile = validate(data, set(names), cfg, every_table=not analysis)
    if profile.layout != "canonical" and not as_json:
        layout = t(f"value.layout.{profile.layout}", lg)
        out.print(t("cli.layout_recognised", lg, layout=layout))
    if as_json:
        typer.echo(json.dumps(profile.to_dict(), default=str, ensure_ascii=False, indent=2))
    else:
        from crmlens.sources.url import display_url

        table = Table(title=t("cli.doctor_title", lg, source=display_url(source)))
        for col in ("severity", "code", "table", "column", "message"):
            table.add_column(t(f"cli.col.{col}", lg))
        for i in profile.issues:
            cells = (
                t(f"value.{i.severity}", lg),
                i.code,
                i.table,
                i.column or "",
                issue_text(i.to_dict(), lg),
            )
            table.add_row(*(Text(terminal_text(c)) for c in cells))  # data, never markup or escapes
        if profile.issues:
            out.print(table)
        for name, n in profile.row_counts.items():
            out.print(f"  {name}: {n:,}")
        _print_model_tables(profile.model_tables, lg)
    for name, tables in absent.items():
        reason = t("run.not_applicable", lg, tables=", ".join(tables))
        err.print(t("cli.analysis_skipped", lg, analysis=name, reason=reason), markup=False)
    if profile.blocking:
        err.print(
            t(
                "cli.doctor_blocking",
                lg,
                count=len(profile.blocking),
                analyses=", ".join(sorted(profile.blocked_analyses())),
            )
        )
        raise typer.Exit(1)
    (err if as_json else out).print(t("cli.doctor_ok", lg, count=len(profile.issues)))


def _print_model_tables(tables: list[dict], lg: str) -> None:
    """Which model v2 tables the source holds and the analyses each enables (doctor)."""
    if not tables:
        return
    out.print(t("cli.model_tables", lg))
    for row in tables:
        if row["needed_by"] or row["read_by"]:
            users = t(
                "cli.model_table_users",
                lg,
                needed=", ".join(row["needed_by"]) or "-",
                read=", ".join(row["read_by"]) or "-",
            )
        else:
            users = t("cli.model_table_unused", lg)
        key = "cli.model_table_found" if row["rows"] is not None else "cli.model_table_missing"
        out.print(t(key, lg, table=row["table"], rows=row["rows"] or 0, analyses=users))


@app.command("analyses")
def list_analyses(lang: Optional[str] = LangOpt) -> None:
    """List registered analyses."""
    from crmlens.analyses import REGISTRY

    lg = _lang(lang)
    for name, a in REGISTRY.items():
        out.print(
            f"{name}\t{t(f'analysis.{name}.title', lg)}\t[{', '.join(s.name for s in a.requires)}]"
        )


def _with_engine(cfg: CrmlensConfig, engine: str) -> CrmlensConfig:
    if engine not in ("duckdb", "spark"):
        raise CrmlensError("error.usage", reason=f"--engine {engine}: expected duckdb or spark")
    return cfg.model_copy(update={"engine": cfg.engine.model_copy(update={"name": engine})})


def _as_of(value: Optional[str]) -> dt.date | None:
    if value is None:
        return None
    try:
        return dt.date.fromisoformat(value)
    except ValueError:
        raise CrmlensError("error.as_of", value=value) from None


@app.command()
def run(
    analyses: list[str] = typer.Argument(None, help="Analyses to run (default: all registered)."),
    source: str = typer.Option(
        ..., "--source", "-s", help="DuckDB/SQLite file, CSV/Parquet folder or Ibis URL."
    ),
    out_dir: Path = typer.Option(Path("crmlens-report"), "--out", "-o", help=OUT_HELP),
    config: Optional[Path] = ConfigOpt,
    lang: Optional[str] = LangOpt,
    as_of: Optional[str] = typer.Option(
        None, "--as-of", help="Reference date YYYY-MM-DD for due dates (default: today)."
    ),
    include_pii: bool = typer.Option(
        False, "--include-pii", help="Include personal data (emails, phones, names) in outputs."
    ),
    no_png: bool = typer.Option(
        False, "--no-png", help="Skip PNG chart rendering (HTML still has interactive charts)."
    ),
    engine: Optional[str] = typer.Option(
        None, "--engine", help="duckdb (default) or spark (needs the `spark` extra and Java)."
    ),
) -> None:
    """Run analyses on a source and write the report folder."""
    cfg = load_config(config)
    if engine:
        cfg = _with_engine(cfg, engine)
    lg = _lang(lang, cfg)
    day = _as_of(as_of) or dt.date.today()
    inputs = [source, cfg.monitor.history, cfg.monitor.alert_log, config]
    inputs.append(cfg.overrides.path(cfg.monitor))  # read by analyses with overrides
    check_folder(out_dir, "report", inputs)  # before any work: nothing is computed for nothing
    with _stages(lg):
        outcome, path = _run_and_render(
            source, analyses, cfg, day, out_dir, lg, include_pii, not no_png, inputs
        )
    out.print(t("cli.report_written", lg, path=str(path / "report.html")))
    _print_skipped(outcome, outcome.blocked, lg)
    if outcome.blocked:  # the report holds what could run; the blocked analyses fail the command
        raise typer.Exit(1)


def _stages(lg: str):
    """Each finished stage with its time on stderr (crmlens.progress.StageDisplay)."""
    from crmlens.progress import StageDisplay

    return StageDisplay(err.file, lambda key, **params: t(key, lg, **params))


def _run_and_render(source, analyses, cfg, day, out_dir, lg, include_pii, png, inputs):
    """`run`'s work: the analyses, the changes since the last monitor run, the report.  Each
    analysis' exports and charts start as soon as it is computed (``ReportWriter.add``), while
    the next one computes."""
    from crmlens.report.writer import ReportOptions, ReportWriter
    from crmlens.runner import run as run_all

    options = ReportOptions(
        lg, include_pii or cfg.report.include_pii, cfg.report.top_n, png, cfg.report.excel_max_rows
    )
    with ReportWriter(out_dir, options, inputs) as writer:
        outcome = run_all(source, analyses or [], cfg, day, on_result=writer.add)
        since = None
        if Path(
            cfg.monitor.history
        ).exists():  # read-only: `run` never records history (`monitor` does)
            from crmlens.monitor.changes import compute_changes
            from crmlens.monitor.history import HistoryStore
            from crmlens.monitor.service import since_last

            since = since_last(
                compute_changes(
                    outcome.results,
                    HistoryStore(cfg.monitor.history, cfg.monitor.lock_timeout),
                    day,
                )
            )
        path = writer.finish(outcome.results, outcome.profile.to_dict(), since_last=since)
    return outcome, path


def _print_skipped(outcome, blocked: dict, lg: str) -> None:
    """One line per skipped analysis; a blocked one is followed by its problems (code + text)."""
    for name, code in outcome.skipped.items():
        if name not in blocked:
            tables = ", ".join(sorted({i.table for i in outcome.problems.get(name, [])}))
            reason = t(code, lg, tables=tables, count=len(outcome.problems.get(name, [])))
            err.print(t("cli.analysis_skipped", lg, analysis=name, reason=reason), markup=False)
    groups: dict[tuple, list[str]] = {}  # analyses blocked by the same problems: one message
    for name, issues in blocked.items():
        key = tuple(sorted((i.code, i.table, i.column or "") for i in issues))
        groups.setdefault(key, []).append(name)
    for names in groups.values():
        issues = blocked[names[0]]
        line = t("cli.analysis_blocked", lg, analysis=", ".join(names), count=len(issues))
        err.print(line, markup=False)
        _print_problems({names[0]: issues}, lg)


def _print_problems(blocked: dict, lg: str) -> None:
    from crmlens.report.document import issue_text

    for issues in blocked.values():
        for issue in issues:
            err.print(
                terminal_text(f"  - [{issue.code}] " + issue_text(issue.to_dict(), lg)),
                markup=False,
            )


@app.command()
def report(
    from_dir: Path = typer.Option(..., "--from", help="A report folder written by `crmlens run`."),
    out_dir: Optional[Path] = typer.Option(
        None, "--out", "-o", help="Where to write (default: re-render in place)."
    ),
    lang: Optional[str] = LangOpt,
    include_pii: bool = typer.Option(
        False, "--include-pii", help="Include personal data in outputs."
    ),
    no_png: bool = typer.Option(False, "--no-png", help="Skip PNG chart rendering."),
    top_n: int = typer.Option(20, "--top", help="Rows in top-N tables."),
) -> None:
    """Re-render saved results (no recomputation), e.g. in another language."""
    from crmlens.report.privacy import pii_available
    from crmlens.report.writer import load_results, write_report

    lg = _lang(lang)
    in_place = out_dir is None or out_dir.resolve() == from_dir.resolve()
    inputs = [] if in_place else [from_dir]
    check_folder(out_dir or from_dir, "report", inputs)
    results, profile = load_results(from_dir)
    if include_pii and not pii_available(results):  # the folder was written without personal data
        err.print(t("cli.pii_unavailable", lg, path=terminal_text(from_dir)), markup=False)
    with _stages(lg):
        path = write_report(
            results,
            out_dir or from_dir,
            lang=lg,
            include_pii=include_pii,
            top_n=top_n,
            profile=profile,
            png=not no_png,
            inputs=inputs,
        )
    out.print(t("cli.report_written", lg, path=str(path / "report.html")))


@app.command()
def demo(
    accounts: int = typer.Option(
        20_000, "--accounts", "-n", help="Accounts in the synthetic demo dataset."
    ),
    seed: int = typer.Option(42, "--seed", help="Random seed."),
    workdir: Path = typer.Option(
        Path("crmlens-demo"), "--dir", help="Folder for demo.duckdb and the report."
    ),
    lang: Optional[str] = LangOpt,
    no_png: bool = typer.Option(False, "--no-png", help="Skip PNG chart rendering."),
) -> None:
    """Generate a demo dataset, run every registered analysis and write the report."""
    from crmlens.report.writer import write_report
    from crmlens.runner import run as run_all
    from crmlens.synth import generate as gen

    cfg = CrmlensConfig()
    lg = _lang(lang, cfg)
    claim_folder(workdir, "demo")
    db = workdir / "demo.duckdb"
    with err.status(t("cli.generating", lg)):
        gen(db, accounts, seed, "duckdb", cfg.synth)
    with err.status(t("cli.running", lg)):
        outcome = run_all(str(db), [], cfg)
    with err.status(t("cli.rendering", lg)):
        path = write_report(
            outcome.results,
            workdir / f"report-{lg}",
            lang=lg,
            top_n=cfg.report.top_n,
            profile=outcome.profile.to_dict(),
            png=not no_png,
        )
    out.print(
        t(
            "cli.demo_done",
            lg,
            db=str(db),
            path=str(path / "report.html"),
            analyses=", ".join(outcome.results),
        )
    )


HistoryOpt = typer.Option(
    None, "--history", help="History store (default: monitor.history of the config)."
)


@app.command()
def monitor(
    analyses: list[str] = typer.Argument(
        None, help="Analyses to monitor (default: all registered)."
    ),
    source: str = typer.Option(
        ..., "--source", "-s", help="DuckDB/SQLite file, CSV/Parquet folder or Ibis URL."
    ),
    rules: Optional[Path] = typer.Option(
        None, "--rules", "-r", help="Alert rules YAML (default: the bundled rules)."
    ),
    history: Optional[Path] = HistoryOpt,
    out_dir: Path = typer.Option(Path("crmlens-report"), "--out", "-o", help=OUT_HELP),
    config: Optional[Path] = ConfigOpt,
    lang: Optional[str] = LangOpt,
    as_of: Optional[str] = typer.Option(
        None, "--as-of", help="Date of this snapshot YYYY-MM-DD (backfill); default today."
    ),
    no_png: bool = typer.Option(False, "--no-png", help="Skip PNG chart rendering."),
) -> None:
    """Run all analyses, record history, evaluate alert rules, notify, write the report.
    Exit code 4 when a critical alert fired."""
    from crmlens.monitor.service import monitor as run_monitor

    cfg = load_config(config)
    lg = _lang(lang, cfg)
    # before anything is recorded: a refused --out must not leave a run in the history
    inputs = [source, history or cfg.monitor.history, cfg.monitor.alert_log, rules, config]
    inputs.append(cfg.overrides.path(cfg.monitor))
    check_folder(out_dir, "report", inputs)
    with _stages(lg):
        res = run_monitor(
            source,
            cfg,
            analyses=analyses or [],
            rules_path=rules,
            history=history,
            as_of=_as_of(as_of),
            out_dir=out_dir,
            lang=lg,
            png=not no_png,
        )
    for d in res.deliveries:
        if not d.delivered:
            message = t(
                "cli.delivery_queued",
                lg,
                channel=d.channel,
                attempts=d.attempts,
                error=d.error or "",
            )
            err.print(terminal_text(message), markup=False)
        elif d.earlier:
            out.print(t("cli.outbox_retried", lg, count=d.earlier, channel=d.channel), markup=False)
    if res.run is None:  # one headline, then the problems that blocked it
        message = t("cli.monitor_blocked", lg, analyses=", ".join(res.blocked), path=str(out_dir))
        err.print(terminal_text(message), markup=False)
        _print_problems(res.blocked, lg)
        raise typer.Exit(1)
    day = res.run.as_of.isoformat()
    if res.run.replaced:
        replaced = ", ".join(res.run.replaced)
        out.print(t("cli.monitor_replaced", lg, as_of=day, runs=replaced), markup=False)
    for a in res.alerts:
        line = f"[{t('value.' + a.severity, lg)}] {a.message[lg]} (@{a.owner})"
        out.print(terminal_text(line), markup=False)
    if res.run.already_queued:
        already = res.run.already_queued
        out.print(t("cli.alerts_already_sent", lg, count=already, as_of=day), markup=False)
    _print_skipped(res.outcome, {}, lg)
    out.print(
        t(
            "cli.monitor_done",
            lg,
            run=res.run.run_id,
            count=len(res.alerts),
            path=str(res.report / "report.html"),
        )
    )
    if res.critical:
        raise typer.Exit(4)


@app.command("history")
def history_cmd(
    history: Optional[Path] = HistoryOpt,
    config: Optional[Path] = ConfigOpt,
    lang: Optional[str] = LangOpt,
) -> None:
    """List recorded monitor runs."""
    from crmlens.monitor.history import HistoryStore

    cfg = load_config(config)
    lg = _lang(lang, cfg)
    runs = HistoryStore(history or cfg.monitor.history).runs()
    if runs.empty:
        out.print(t("cli.history_empty", lg, path=str(history or cfg.monitor.history)))
        return
    table = Table(title=t("cli.history_title", lg, count=len(runs)))
    for col in (
        "run_id",
        "as_of",
        "recorded_at",
        "analyses",
        "data_fingerprint",
        "config_hash",
        "version",
    ):
        table.add_column(col)
    for r in runs.itertuples(index=False):
        table.add_row(
            r.run_id,
            str(r.as_of)[:10],
            str(r.recorded_at),
            r.analyses,
            r.data_fingerprint,
            r.config_hash,
            r.version,
        )
    out.print(table)


@app.command("trend")
def trend_cmd(
    metric: str = typer.Argument(..., help="Metric name, e.g. density_pass_rate."),
    analysis: Optional[str] = typer.Option(
        None, "--analysis", "-a", help="Analysis the metric belongs to."
    ),
    history: Optional[Path] = HistoryOpt,
    config: Optional[Path] = ConfigOpt,
    lang: Optional[str] = LangOpt,
) -> None:
    """Show one metric over the recorded runs."""
    from crmlens.monitor.history import HistoryStore

    cfg = load_config(config)
    lg = _lang(lang, cfg)
    series = HistoryStore(history or cfg.monitor.history).metric_series(metric, analysis)
    if series.empty:
        raise CrmlensError("error.metric_unknown", metric=metric)
    table = Table(title=t("cli.trend_title", lg, metric=metric))
    for col in ("as_of", "run_id", "analysis", "value", "change"):
        table.add_column(col)
    prev = {}
    for r in series.itertuples(index=False):
        v = r.value if r.value == r.value else None
        p = prev.get(r.analysis)
        change = "" if v is None or p is None else f"{v - p:+,.4g}"
        table.add_row(
            str(r.as_of)[:10],
            r.run_id,
            r.analysis,
            r.text_value if v is None else f"{v:,.4g}",
            change,
        )
        prev[r.analysis] = v
    out.print(table)


@app.command()
def bench(
    sizes: str = typer.Option(
        "10000,100000,1000000",
        "--sizes",
        help="Comma-separated account counts (2.5 contacts each on average).",
    ),
    bench_dir: Path = typer.Option(
        Path("crmlens-bench"), "--dir", help="Where generated datasets are kept between runs."
    ),
    out_json: Path = typer.Option(
        Path("crmlens-bench/bench.json"), "--out", "-o", help="JSON file with every measurement."
    ),
    pandas_max: int = typer.Option(
        1_000_000, "--pandas-max", help="Largest size the pandas baseline runs on."
    ),
    no_render: bool = typer.Option(False, "--no-render", help="Measure compute only."),
    end_to_end_max: int = typer.Option(
        1_000_000,
        "--end-to-end-max",
        help="Largest size on which `crmlens run` is compared with a headline-only pandas script.",
    ),
    repeat: int = typer.Option(
        3,
        "--repeat",
        min=1,
        help="Runs of the floors and crmlens compute per size (medians are reported).",
    ),
    analysis: Optional[str] = typer.Option(
        None,
        "--analysis",
        "-a",
        help="Analysis to benchmark (default: the first that ships a pandas baseline).",
    ),
) -> None:
    """Benchmark an analysis against its pandas baseline and the DuckDB scan and read floors."""
    from crmlens.bench import run_bench, write_json

    try:
        ns = [int(x.replace("_", "")) for x in sizes.split(",") if x.strip()]
    except ValueError:
        raise CrmlensError("error.usage", reason=f"--sizes: {sizes}") from None
    lg = _lang(None)
    check_folder(bench_dir, "bench")
    check_file(out_json)  # before minutes of measuring
    res = run_bench(
        ns,
        bench_dir,
        pandas_max=pandas_max,
        render=not no_render,
        repeat=repeat,
        analysis=analysis,
        end_to_end_max=end_to_end_max,
        progress=lambda m: err.print(t("cli.bench_progress", lg, step=m)),
    )
    write_json(res, out_json)
    table = Table(title=t("cli.bench_title", lg))
    for col in ("accounts", "contacts", "step", "runs", "seconds", "peak_rss", "rss_growth"):
        table.add_column(t(f"cli.bench_col.{col}", lg), justify="right")
    for m in res["measures"]:
        table.add_row(
            f"{m['accounts']:,}",
            f"{m['contacts']:,}",
            m["step"],
            str(m["runs"]),
            f"{m['seconds']:.2f}",
            f"{m['peak_rss_mb']:,.0f}",
            f"{m['rss_growth_mb']:,.0f}",
        )
    out.print(table)
    for r in res["ratios"]:
        out.print(
            t(
                "cli.bench_ratio",
                lg,
                accounts=r["accounts"],
                pandas=r["pandas_over_crmlens"] or "—",
                floor=r["crmlens_over_floor"],
                read=r["crmlens_over_read_floor"],
            )
        )
        if r["baseline_agrees"] is False:
            err.print(t("cli.bench_baseline_differs", lg, accounts=r["accounts"]))
    for n, stages in res["crmlens_stage_seconds"].items():
        out.print(
            t(
                "cli.bench_stages",
                lg,
                accounts=int(n),
                stages=", ".join(f"{k} {v:.2f}" for k, v in stages.items()),
            )
        )
    _print_bench_render(res, lg)
    out.print(t("cli.bench_written", lg, path=str(out_json)))


# ---- override ----------------------------------------------------------------------------------

StoreOpt = typer.Option(
    None, "--store", help="Override store (default: overrides.store of the config)."
)
ByOpt = typer.Option(
    None, "--by", help="Who makes the change (default: the operating-system user)."
)
FieldOpt = typer.Option(..., "--field", help="The field overridden, e.g. segment.")
ReasonOpt = typer.Option(..., "--reason", help="Why (required, not blank).")


def _override_store(cfg: CrmlensConfig, store: Optional[Path]):
    from crmlens.overrides.store import OverrideStore

    return OverrideStore(store or cfg.overrides.path(cfg.monitor), cfg.monitor.lock_timeout)


def _by(by: Optional[str]) -> str:
    from crmlens.overrides.store import default_user

    return by.strip() if by and by.strip() else default_user()


@override_app.command("set")
def override_set(
    analysis: str = typer.Argument(..., help="The analysis (`crmlens analyses`)."),
    entity: str = typer.Argument(..., help="The entity id, e.g. an account id."),
    field: str = FieldOpt,
    value: str = typer.Option(..., "--value", help="The new value."),
    reason: str = ReasonOpt,
    expires: Optional[str] = typer.Option(
        None, "--expires", help="Last day the override applies, YYYY-MM-DD (default: never)."
    ),
    by: Optional[str] = ByOpt,
    store: Optional[Path] = StoreOpt,
    config: Optional[Path] = ConfigOpt,
    lang: Optional[str] = LangOpt,
) -> None:
    """Set an entity's value of a field (applied after the model on every later run)."""
    from crmlens.overrides import values
    from crmlens.overrides.store import SET, Change

    cfg = load_config(config)
    lg = _lang(lang, cfg)
    spec, spec_field = values.field_of(analysis, field)
    stored = values.normalise(spec_field, value, cfg)
    if stored is None:
        allowed = ", ".join(values.allowed_values(spec_field, cfg)) or spec_field.kind
        raise CrmlensError("error.override_value", value=value, field=field, allowed=allowed)
    change = Change(
        analysis,
        spec.entity.kind,
        entity,
        field,
        SET,
        stored,
        values.checked_reason(reason),
        values.expiry(expires, dt.date.today()),
    )
    _override_store(cfg, store).append([change], by=_by(by), source="cli")
    out.print(t("cli.override_set", lg, entity=entity, field=field, value=stored), markup=False)


@override_app.command("revoke")
def override_revoke(
    analysis: str = typer.Argument(..., help="The analysis (`crmlens analyses`)."),
    entity: str = typer.Argument(..., help="The entity id."),
    field: str = FieldOpt,
    reason: str = ReasonOpt,
    by: Optional[str] = ByOpt,
    store: Optional[Path] = StoreOpt,
    config: Optional[Path] = ConfigOpt,
    lang: Optional[str] = LangOpt,
) -> None:
    """Revoke the override in force (an appended event: the audit trail keeps both)."""
    from crmlens.overrides import values
    from crmlens.overrides.store import REVOKE, Change

    cfg = load_config(config)
    lg = _lang(lang, cfg)
    spec, _field = values.field_of(analysis, field)
    change = Change(
        analysis, spec.entity.kind, entity, field, REVOKE, None, values.checked_reason(reason)
    )
    _override_store(cfg, store).append([change], by=_by(by), source="cli")
    out.print(t("cli.override_revoked", lg, entity=entity, field=field), markup=False)


def _events_table(events, title: str, lg: str, columns: tuple[str, ...]) -> Table:
    table = Table(title=title)
    for col in columns:
        table.add_column(t(f"cli.override_col.{col}", lg))
    for row in events.itertuples(index=False):
        cells = ["" if _missing(getattr(row, c)) else str(getattr(row, c))[:19] for c in columns]
        table.add_row(*(Text(terminal_text(c)) for c in cells))
    return table


def _missing(value) -> bool:
    return value is None or value != value or str(value) in ("NaT", "None")


@override_app.command("list")
def override_list(
    analysis: Optional[str] = typer.Argument(None, help="Only this analysis."),
    as_of: Optional[str] = typer.Option(
        None, "--as-of", help="Date the overrides are in force, YYYY-MM-DD (default: today)."
    ),
    store: Optional[Path] = StoreOpt,
    config: Optional[Path] = ConfigOpt,
    lang: Optional[str] = LangOpt,
) -> None:
    """List the overrides in force; those expiring soon are marked."""
    cfg = load_config(config)
    lg = _lang(lang, cfg)
    day = _as_of(as_of) or dt.date.today()
    current = _override_store(cfg, store).current(day, analysis)
    if current.empty:
        out.print(t("cli.override_none", lg, as_of=day.isoformat()))
        return
    soon = day + dt.timedelta(days=cfg.overrides.expiry_warning_days)
    expires = current["expires"].map(lambda v: None if _missing(v) else v.date())
    flags = [t("cli.override_expiring", lg) if e is not None and e <= soon else "" for e in expires]
    columns = ("analysis", "entity_id", "field", "new_value", "reason", "changed_by")
    current = current.assign(expires=[f"{e or ''} {f}".strip() for e, f in zip(expires, flags)])
    title = t("cli.override_list_title", lg, count=len(current), as_of=day.isoformat())
    out.print(_events_table(current, title, lg, (*columns, "recorded_at", "expires")))
    expiring = sum(bool(f) for f in flags)
    if expiring:
        days = cfg.overrides.expiry_warning_days
        err.print(t("cli.override_expiring_count", lg, count=expiring, days=days), markup=False)


@override_app.command("history")
def override_history(
    analysis: Optional[str] = typer.Argument(None, help="Only this analysis."),
    entity: Optional[str] = typer.Option(None, "--entity", help="Only this entity id."),
    store: Optional[Path] = StoreOpt,
    config: Optional[Path] = ConfigOpt,
    lang: Optional[str] = LangOpt,
) -> None:
    """The audit trail: every change ever made, oldest first (nothing is ever deleted)."""
    cfg = load_config(config)
    lg = _lang(lang, cfg)
    events = _override_store(cfg, store).events(analysis, entity)
    columns = ("seq", "recorded_at", "action", "analysis", "entity_id", "field", "old_value")
    columns += ("new_value", "reason", "changed_by", "expires", "source")
    title = t("cli.override_history_title", lg, count=len(events))
    out.print(_events_table(events, title, lg, columns))


@override_app.command("import")
def override_import(
    book: Path = typer.Argument(..., help="An action_plan.xlsx with filled-in review sheets."),
    force: bool = typer.Option(
        False, "--force", help="Apply rows whose entity changed in the store since the export."
    ),
    by: Optional[str] = ByOpt,
    store: Optional[Path] = StoreOpt,
    config: Optional[Path] = ConfigOpt,
    lang: Optional[str] = LangOpt,
) -> None:
    """Import the review sheets of an exported workbook: every row is checked first; any problem
    or conflict and nothing is applied."""
    from crmlens.overrides.store import OverrideConflict
    from crmlens.overrides.workbook import ReviewRejected, import_workbook

    cfg = load_config(config)
    lg = _lang(lang, cfg)
    try:
        appended, filled = import_workbook(
            book, cfg, _override_store(cfg, store), _by(by), force=force
        )
    except ReviewRejected as exc:
        err.print(terminal_text(t(exc.code, lg, **exc.params)), markup=False)
        for row, code, params in exc.problems:
            line = t("cli.override_row", lg, row=row, problem=t(code, lg, **params))
            err.print(terminal_text(line), markup=False)
        raise typer.Exit(1) from None
    except OverrideConflict as exc:
        err.print(terminal_text(t(exc.code, lg, **exc.params)), markup=False)
        for c in exc.conflicts:
            err.print(terminal_text(t("cli.override_conflict_row", lg, **c)), markup=False)
        raise typer.Exit(1) from None
    out.print(t("cli.override_imported", lg, appended=appended, filled=filled, path=str(book)))


def _print_bench_render(res: dict, lg: str) -> None:
    """The render stages and the end-to-end comparison of `crmlens bench`."""
    for n, stages in res["render_stage_seconds"].items():
        listed = ", ".join(f"{k} {v:.2f}" for k, v in stages.items())
        out.print(t("cli.bench_render_stages", lg, accounts=int(n), stages=listed))
    for n, e2e in res["end_to_end"].items():
        by = {m["step"]: m for m in res["measures"] if m["accounts"] == int(n)}
        script, run = by["pandas_headline_script"], by["crmlens_run_end_to_end"]
        line = t(
            "cli.bench_end_to_end",
            lg,
            accounts=int(n),
            crmlens=f"{run['seconds']:.1f}",
            crmlens_mb=f"{run['peak_rss_mb']:,.0f}",
            pandas=f"{script['seconds']:.1f}",
            pandas_mb=f"{script['peak_rss_mb']:,.0f}",
            ratio=e2e["crmlens_over_script_time"],
        )
        out.print(line, markup=False)


@config_app.command("show")
def config_show(config: Optional[Path] = ConfigOpt) -> None:
    """Print the effective configuration (defaults merged with the file) as YAML."""
    from crmlens.monitor.notify import channel_label

    cfg = load_config(config)
    data = cfg.model_dump(mode="json")
    for hook in data["monitor"]["webhooks"]:  # webhook URLs carry secrets: never printed
        hook["url"] = channel_label(hook["url"])
    typer.echo(yaml.safe_dump(data, allow_unicode=True, sort_keys=False))


@config_app.command("schema")
def config_schema() -> None:
    """Print the configuration's JSON Schema."""
    typer.echo(json.dumps(CrmlensConfig.model_json_schema(), ensure_ascii=False, indent=2))


def _known_failure(exc: Exception) -> tuple[str, dict, int] | None:
    """Last resort for engine and OS exceptions that escaped the library: a catalog code, its
    parameters and the exit code (1 for values in the data, 2 for the machine or a path)."""
    import duckdb
    import pyarrow as pa

    reason = str(exc).strip().splitlines()[0][:300] if str(exc).strip() else type(exc).__name__
    if isinstance(exc, (MemoryError, duckdb.OutOfMemoryException)):
        return "error.out_of_memory", {"reason": reason}, 2
    if isinstance(
        exc,
        (OverflowError, duckdb.ConversionException, duckdb.OutOfRangeException, pa.ArrowInvalid),
    ):
        return "error.data_value", {"kind": type(exc).__name__, "reason": reason}, 1
    if isinstance(exc, OSError):
        path = exc.filename if exc.filename is not None else "-"
        return "error.os", {"path": str(path), "reason": exc.strerror or reason}, 2
    return None


def main(argv: list[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    STATE["debug"] = "--debug" in argv
    env = _env_lang()
    STATE["lang"] = env if env in LANGS else "en"  # until a command picks its language
    try:
        rc = app(
            args=argv, standalone_mode=False
        )  # click returns Exit codes instead of raising here
        return rc if isinstance(rc, int) else 0
    except typer.Exit as e:
        return e.exit_code
    except ValidationFailed as e:
        if STATE["debug"]:
            raise
        from crmlens.report.document import issue_text

        err.print(
            t("error.validation_failed", STATE["lang"], count=len(e.profile.blocking)), markup=False
        )
        for i in e.profile.blocking:
            err.print(
                terminal_text("  - " + f"[{i.code}] " + issue_text(i.to_dict(), STATE["lang"])),
                markup=False,
            )
        return 1
    except CrmlensError as e:
        if STATE["debug"]:
            raise
        err.print(terminal_text(t(e.code, STATE["lang"], **e.params)), markup=False)
        return 2
    except Exception as e:  # usage errors (typer's click exceptions) and anything unexpected
        if isinstance(e, typer.Abort):
            return 130
        if hasattr(e, "format_message") and hasattr(
            e, "exit_code"
        ):  # click/typer usage errors, whichever click
            err.print(
                terminal_text(t("error.usage", STATE["lang"], reason=e.format_message())),
                markup=False,
            )
            return 2
        if STATE["debug"]:
            raise
        known = _known_failure(e)
        if known is not None:
            err.print(terminal_text(t(known[0], STATE["lang"], **known[1])), markup=False)
            return known[2]
        reason = str(e).splitlines()[0][:300] if str(e) else ""
        err.print(
            terminal_text(
                t("error.unexpected", STATE["lang"], kind=type(e).__name__, reason=reason)
            ),
            markup=False,
        )
        return 3


PROCESS_DEFAULTS = {"ARROW_DEFAULT_MEMORY_POOL": "system"}  # read when pyarrow loads
_SET_HERE: set[str] = set()


def process_defaults() -> None:
    """Settings of a crmlens process (the command line, not the library: a script importing
    crmlens keeps its own), each unless the user chose otherwise.  Arrow allocates through the
    system allocator: its default (mimalloc) spent ~0.8 s more system time on a 1M-account run,
    16.0 s against 15.4 s mean of four runs each, at the same peak memory (docs/performance.md)."""
    for name, value in PROCESS_DEFAULTS.items():
        if name not in os.environ:
            os.environ[name] = value
            _SET_HERE.add(name)


def user_environment() -> dict[str, str]:
    """The environment without the settings :func:`process_defaults` added (what another
    program started from here, e.g. ``bench``'s pandas baseline, would get from the user)."""
    return {k: v for k, v in os.environ.items() if k not in _SET_HERE}


if __name__ == "__main__":  # pragma: no cover
    process_defaults()
    sys.exit(main())


def entry() -> None:
    """Console-script entry point."""
    process_defaults()
    sys.exit(main())
