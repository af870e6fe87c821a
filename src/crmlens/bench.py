"""``crmlens bench``: wall time and peak memory of one analysis (an analysis unit that ships a
``benchmark`` module: a pandas baseline and the columns it reads) on generated data of several
sizes, against (a) that plain pandas implementation of the same method and (b) two floors on the
same data — the scan floor (the columns the analysis reads, scanned once by DuckDB and reduced to
one row) and the read floor (the same columns fetched into Python as Arrow).  Every measured run is
its own fresh process, so memory peaks are the step's own.  Prints a table and writes JSON.
Timings are measurements, never test assertions."""

from __future__ import annotations

import datetime as dt
import gc
import json
import multiprocessing as mp
import os
import platform
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from concurrent.futures import ProcessPoolExecutor
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Callable

import duckdb
import psutil

from crmlens import __version__
from crmlens.config import default_config
from crmlens.outputs import claim_folder, write_text


@dataclass
class Measure:
    accounts: int
    contacts: int
    step: str
    seconds: float  # median of the runs
    peak_rss_mb: float  # highest of the runs
    rss_growth_mb: float
    runs: int = 1
    samples: list[float] = field(default_factory=list)  # seconds of every run, in order


class _Sampler:
    def __init__(self) -> None:
        self.proc = psutil.Process()
        self.peak = self.proc.memory_info().rss
        self._stop = threading.Event()
        self._t = threading.Thread(target=self._run, daemon=True)

    def _run(self) -> None:
        while not self._stop.is_set():
            self.peak = max(self.peak, self.proc.memory_info().rss)
            time.sleep(0.01)

    def __enter__(self) -> "_Sampler":
        self._t.start()
        return self

    def __exit__(self, *exc) -> None:
        self._stop.set()
        self._t.join()
        self.peak = max(self.peak, self.proc.memory_info().rss)


def measure(step: str, accounts: int, contacts: int, fn: Callable[[], object]) -> Measure:
    gc.collect()
    start = psutil.Process().memory_info().rss
    with _Sampler() as s:
        t0 = time.perf_counter()
        fn()
        secs = time.perf_counter() - t0
    return Measure(
        accounts,
        contacts,
        step,
        round(secs, 3),
        round(s.peak / 2**20, 1),
        round((s.peak - start) / 2**20, 1),
        samples=[round(secs, 3)],
    )


def measure_command(
    step: str, accounts: int, contacts: int, args: list[str]
) -> tuple[Measure, str]:
    """Wall time and peak memory of a whole command (interpreter start, imports, every child
    process it starts: their memory is summed, sampled every 10 ms); and what it printed."""
    from crmlens.cli import user_environment  # crmlens sets its own process defaults

    env = user_environment() | {"PYTHONPATH": os.pathsep.join(p for p in sys.path if p)}
    with tempfile.TemporaryFile() as printed:
        t0 = time.perf_counter()
        proc = subprocess.Popen(args, stdout=printed, stderr=subprocess.DEVNULL, env=env)
        peak = _tree_peak(proc)
        secs = time.perf_counter() - t0
        printed.seek(0)
        text = printed.read().decode("utf-8", "replace")
    if proc.returncode != 0:
        raise RuntimeError(f"{step} exited with {proc.returncode}")
    row = Measure(
        accounts, contacts, step, round(secs, 3), round(peak / 2**20, 1), round(peak / 2**20, 1)
    )
    row.samples = [row.seconds]
    return row, text


def _tree_peak(proc: subprocess.Popen) -> int:
    """The highest summed RSS of ``proc`` and its descendants until it exits."""
    peak = 0
    root = psutil.Process(proc.pid)
    while proc.poll() is None:
        total = 0
        try:
            for p in [root, *root.children(recursive=True)]:
                total += p.memory_info().rss
        except psutil.Error:
            pass  # a process ended while being read
        peak = max(peak, total)
        time.sleep(0.01)
    return peak


def end_to_end(path: Path, accounts: int, contacts: int) -> tuple[Measure, Measure, dict]:
    """The headline-only pandas script (:mod:`crmlens.bench_script`) and ``crmlens run`` of the
    same analyses (every unit that ships a headline script; full report, PNGs, workbook) on the
    same data, each as the command a user runs."""
    from crmlens.bench_script import headline_modules

    names = list(headline_modules())
    script, printed = measure_command(
        "pandas_headline_script",
        accounts,
        contacts,
        [sys.executable, "-m", "crmlens.bench_script", str(path), *names],
    )
    with tempfile.TemporaryDirectory() as tmp:
        run, _ = measure_command(
            "crmlens_run_end_to_end",
            accounts,
            contacts,
            [sys.executable, "-m", "crmlens.cli", "run", *names, "-s", str(path)]
            + ["-o", str(Path(tmp) / "report"), "--as-of", E2E_AS_OF],
        )
    return script, run, json.loads(printed)


E2E_AS_OF = "2026-01-05"


def _end_to_end_rows(
    path: Path, accounts: int, contacts: int, repeat: int
) -> tuple[list[Measure], dict]:
    """``repeat`` interleaved runs of the script and of crmlens; the summary rows and the ratio
    of their median times and highest peaks."""
    scripts, runs = [], []
    for _ in range(repeat):
        script, run, numbers = end_to_end(path, accounts, contacts)
        scripts.append(script)
        runs.append(run)
    script, run = summarise(scripts), summarise(runs)
    return [script, run], {
        "crmlens_over_script_time": round(run.seconds / script.seconds, 2),
        "crmlens_over_script_memory": round(run.peak_rss_mb / script.peak_rss_mb, 2),
        "script_headlines": numbers,
    }


def summarise(runs: list[Measure]) -> Measure:
    """One row for repeated runs of a step: median time, highest peak memory, every sample."""
    first = runs[0]
    return Measure(
        first.accounts,
        first.contacts,
        first.step,
        round(statistics.median(r.seconds for r in runs), 3),
        max(r.peak_rss_mb for r in runs),
        max(r.rss_growth_mb for r in runs),
        len(runs),
        [r.seconds for r in runs],
    )


def target(name: str | None = None):
    """The analysis spec being benchmarked and its baseline module (default: the first
    registered analysis that ships one)."""
    import importlib

    from crmlens.analyses import REGISTRY
    from crmlens.errors import AnalysisError

    able = [s for s in REGISTRY.values() if s.benchmark]
    spec = next((s for s in able if name in (None, s.name)), None)
    if spec is None:
        raise AnalysisError(
            "error.bench_unknown", name=name or "-", allowed=", ".join(s.name for s in able)
        )
    return spec, importlib.import_module(spec.benchmark)


def _floor_columns(analysis: str) -> dict[str, tuple[str, ...]]:
    return target(analysis)[1].FLOOR_COLUMNS


def scan_floor(path: str, analysis: str) -> None:
    """Every column the analysis reads, scanned once and reduced to one row (no transfer)."""
    from crmlens.schema.contracts import CONTRACTS

    con = duckdb.connect(path, read_only=True)
    for table, cols in _floor_columns(analysis).items():
        types = {c.name: c.type for c in CONTRACTS[table].columns}
        aggs = ", ".join(
            f"sum({c})"
            if types.get(c) in ("float", "int")
            else f"sum({c}::INT)"
            if types.get(c) == "bool"
            else f"max({c})"
            for c in cols
        )
        con.execute(f"SELECT {aggs} FROM {table}").fetchall()
    con.close()


def read_floor(path: str, analysis: str) -> None:
    """The same columns fetched into this process as Arrow tables (what any Python tool pays to
    hold the inputs, before computing anything)."""
    con = duckdb.connect(path, read_only=True)
    for table, cols in _floor_columns(analysis).items():
        rel = con.sql(f"SELECT {', '.join(cols)} FROM {table}")  # a relation: no extra copy
        rows = (getattr(rel, "to_arrow_table", None) or rel.arrow)()  # DuckDB 1.x: arrow()
        if hasattr(rows, "read_all"):  # a reader: the rows are fetched when read
            rows.read_all()
    con.close()


def _compute(path: Path, analysis: str):
    from crmlens.sources import open_source

    cfg = default_config()
    data = open_source(path, cfg.source, cfg.engine.duckdb_memory_limit)
    try:
        return target(analysis)[0].run(data, cfg)
    finally:
        data.close()


def _step(step: str, path: str, accounts: int, seed: int, analysis: str) -> tuple[dict, dict]:
    """Run one measured step (in a fresh process: see ``_isolated``); returns the measure and
    what the step reports (stage timings, headline numbers)."""
    import pandas  # noqa: F401  (libraries are loaded before any clock starts)
    import pyarrow  # noqa: F401

    info: dict = {}
    p = Path(path)
    contacts = 0
    if step != "generate":
        con = duckdb.connect(path, read_only=True)
        contacts = con.execute("SELECT count(*) FROM salesforce__contact_enhanced").fetchone()[0]
        con.close()
    if step == "generate":
        from crmlens.synth import generate

        fn = lambda: generate(p, accounts, seed)  # noqa: E731
    elif step == "scan_floor":
        fn = lambda: scan_floor(path, analysis)  # noqa: E731
    elif step == "read_floor":
        fn = lambda: read_floor(path, analysis)  # noqa: E731
    elif step == "crmlens_compute":
        import crmlens.analyses  # noqa: F401  (imports are not what is measured)
        import crmlens.sources  # noqa: F401

        def fn() -> None:
            r = _compute(p, analysis)
            info.update(
                stages=r.provenance["stage_seconds"],
                **{k: r.metric(k) for k in target(analysis)[1].AGREEMENT},
            )
    elif step == "crmlens_render":
        from crmlens.progress import listening
        from crmlens.report.writer import write_report

        result = _compute(p, analysis)  # not timed
        tmp = tempfile.TemporaryDirectory()
        stages = info.setdefault("render_stages", {})

        def fn() -> None:
            with listening(lambda stage, secs: stages.update({stage: round(secs, 3)})):
                write_report({analysis: result}, Path(tmp.name) / "r")
    elif step == "pandas_baseline":
        module = target(analysis)[1]
        fn = lambda: info.update(module.baseline(path, default_config()))  # noqa: E731
    else:
        raise ValueError(step)
    return asdict(measure(step, accounts, contacts, fn)), info


def _isolated(
    step: str, path: Path, accounts: int, seed: int, analysis: str
) -> tuple[Measure, dict]:
    """Each measured step runs in a fresh interpreter (spawned; imports happen before the clock
    starts), so its peak memory is its own and nothing an earlier step allocated or cached in
    the process is reused.  Spawning re-imports the caller's ``__main__``: call ``run_bench``
    from the CLI or from a script guarded by ``if __name__ == "__main__"``."""
    with ProcessPoolExecutor(max_workers=1, mp_context=mp.get_context("spawn")) as pool:
        m, info = pool.submit(_step, step, str(path), accounts, seed, analysis).result()
    return Measure(**m), info


def run_bench(
    sizes: list[int],
    folder: Path,
    seed: int = 1,
    pandas_max: int = 1_000_000,
    render: bool = True,
    repeat: int = 3,
    progress: Callable[[str], None] = lambda s: None,
    analysis: str | None = None,
    end_to_end_max: int = 1_000_000,
) -> dict:
    """Per size: the two floors and crmlens compute run ``repeat`` times, interleaved (so a slow
    moment of a shared machine hits all three), medians reported; render and the pandas baseline
    run once (the baseline takes minutes at 1M accounts); up to ``end_to_end_max`` accounts the
    headline-only pandas script and ``crmlens run`` of both analyses run ``repeat`` times each,
    interleaved.  Every run is its own process."""
    analysis = target(analysis)[0].name
    agree_keys = target(analysis)[1].AGREEMENT
    folder = claim_folder(folder, "bench")
    rows: list[Measure] = []
    stages: dict[int, dict] = {}
    render_stages: dict[int, dict] = {}
    agreement: dict[int, dict] = {}
    e2e: dict[int, dict] = {}
    for n in sizes:
        path = folder / f"accounts-{n}.duckdb"
        if not path.exists():
            progress(f"generate {n:,}")  # step names are identifiers (as in bench.json)
            rows.append(_isolated("generate", path, n, seed, analysis)[0])
        runs: dict[str, list[Measure]] = {"scan_floor": [], "read_floor": [], "crmlens_compute": []}
        infos = []
        for i in range(repeat):
            progress(f"floors + crmlens {n:,} ({i + 1}/{repeat})")
            for step in runs:
                m, info = _isolated(step, path, n, seed, analysis)
                runs[step].append(m)
            infos.append(info)
        rows += [summarise(r) for r in runs.values()]
        median_run = sorted(range(repeat), key=lambda i: runs["crmlens_compute"][i].seconds)[
            repeat // 2
        ]
        stages[n] = infos[median_run]["stages"]
        if render:
            progress(f"render {n:,}")
            m, info = _isolated("crmlens_render", path, n, seed, analysis)
            rows.append(m)
            render_stages[n] = info["render_stages"]
        if render and n <= end_to_end_max:
            progress(f"end to end {n:,}")
            pair, e2e[n] = _end_to_end_rows(path, n, runs["crmlens_compute"][0].contacts, repeat)
            rows += pair
        if n <= pandas_max:
            progress(f"pandas {n:,}")
            m, base = _isolated("pandas_baseline", path, n, seed, analysis)
            rows.append(m)
            agreement[n] = {k: {"pandas": base[k], "crmlens": infos[0][k]} for k in agree_keys}
    ratios = []
    for n in sizes:
        by = {r.step: r for r in rows if r.accounts == n}
        c, f, rf, p = (
            by.get("crmlens_compute"),
            by.get("scan_floor"),
            by.get("read_floor"),
            by.get("pandas_baseline"),
        )
        ratios.append(
            {
                "accounts": n,
                "contacts": c.contacts if c else None,
                "pandas_over_crmlens": round(p.seconds / c.seconds, 1) if p and c else None,
                "crmlens_over_floor": round(c.seconds / f.seconds, 1) if c and f else None,
                "crmlens_over_read_floor": round(c.seconds / rf.seconds, 1) if c and rf else None,
                "baseline_agrees": all(v["pandas"] == v["crmlens"] for v in agreement[n].values())
                if n in agreement
                else None,
            }
        )
    return {
        "crmlens_version": __version__,
        "analysis": analysis,
        "when": dt.datetime.now().isoformat(timespec="seconds"),
        "repeat": repeat,
        "machine": {
            "cpus": os.cpu_count(),
            "ram_gb": round(psutil.virtual_memory().total / 2**30, 1),
            "python": platform.python_version(),
            "duckdb": duckdb.__version__,
        },
        "measures": [asdict(r) for r in rows],
        "ratios": ratios,
        "crmlens_stage_seconds": {str(n): v for n, v in stages.items()},
        "render_stage_seconds": {str(n): v for n, v in render_stages.items()},
        "end_to_end": {str(n): v for n, v in e2e.items()},
        "baseline_agreement": {str(n): v for n, v in agreement.items()},
    }


def write_json(result: dict, out: Path) -> None:
    write_text(out, json.dumps(result, indent=2))
