"""``crmlens bench``: wall time and peak memory of contact coverage on generated data of several
sizes, against (a) a plain pandas implementation of the same method and (b) the scan floor — the
minimal DuckDB query that reads the same columns once — measured in the same process on the same
data.  Prints a table and writes JSON.  Timings are measurements, never test assertions."""

from __future__ import annotations

import datetime as dt
import gc
import json
import os
import platform
import tempfile
import threading
import time
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Callable

import duckdb
import psutil

from crmlens import __version__
from crmlens.config import CrmlensConfig

ACC, CON = "salesforce__customer_360_view", "salesforce__contact_enhanced"


@dataclass
class Measure:
    accounts: int
    contacts: int
    step: str
    seconds: float
    peak_rss_mb: float
    rss_growth_mb: float


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
    return Measure(accounts, contacts, step, round(secs, 3), round(s.peak / 2**20, 1), round((s.peak - start) / 2**20, 1))


def scan_floor(path: str) -> None:
    con = duckdb.connect(path, read_only=True)
    con.execute(f"SELECT count(account_id), sum(annual_revenue), sum(number_of_employees), count(industry_normalized), "
                f"count(company_size_category), count(account_name) FROM {ACC}").fetchall()
    con.execute(f"SELECT count(account_id), count(title), count(department), sum(is_deleted::INT), count(contact_id) FROM {CON}").fetchall()
    con.close()


def run_bench(sizes: list[int], folder: Path, seed: int = 1, pandas_max: int = 1_000_000, render: bool = True,
              progress: Callable[[str], None] = lambda s: None) -> dict:
    from crmlens.analyses import REGISTRY
    from crmlens.bench_pandas import contact_coverage_pandas
    from crmlens.report.writer import write_report
    from crmlens.sources import open_source
    from crmlens.synth import generate

    cfg = CrmlensConfig()
    folder.mkdir(parents=True, exist_ok=True)
    rows: list[Measure] = []
    for n in sizes:
        path = folder / f"accounts-{n}.duckdb"
        if not path.exists():
            progress(f"generate {n:,}")  # step names are identifiers (as in bench.json)
            rows.append(measure("generate", n, 0, lambda: generate(path, n, seed)))
        con = duckdb.connect(str(path), read_only=True)
        m = con.execute(f"SELECT count(*) FROM {CON}").fetchone()[0]
        con.close()
        progress(f"scan floor {n:,}")
        rows.append(measure("scan_floor", n, m, lambda: scan_floor(str(path))))
        progress(f"crmlens {n:,}")
        holder: dict = {}
        rows.append(measure("crmlens_compute", n, m, lambda: holder.update(r=REGISTRY["contact_coverage"].run(open_source(path, cfg.source, cfg.engine.duckdb_memory_limit), cfg))))
        if render:
            with tempfile.TemporaryDirectory() as tmp:
                rows.append(measure("crmlens_render", n, m, lambda: write_report({"contact_coverage": holder["r"]}, Path(tmp) / "r")))
        holder.clear()
        if n <= pandas_max:
            progress(f"pandas {n:,}")
            rows.append(measure("pandas_baseline", n, m, lambda: contact_coverage_pandas(str(path), cfg)))
    ratios = []
    for n in sizes:
        by = {r.step: r for r in rows if r.accounts == n}
        c, f, p = by.get("crmlens_compute"), by.get("scan_floor"), by.get("pandas_baseline")
        ratios.append({"accounts": n, "contacts": c.contacts if c else None,
                       "pandas_over_crmlens": round(p.seconds / c.seconds, 2) if p and c else None,
                       "crmlens_over_floor": round(c.seconds / f.seconds, 1) if c and f else None})
    return {"crmlens_version": __version__, "when": dt.datetime.now().isoformat(timespec="seconds"),
            "machine": {"cpus": os.cpu_count(), "ram_gb": round(psutil.virtual_memory().total / 2**30, 1), "python": platform.python_version(),
                        "duckdb": duckdb.__version__},
            "measures": [asdict(r) for r in rows], "ratios": ratios}


def write_json(result: dict, out: Path) -> None:
    out.parent.mkdir(parents=True, exist_ok=True)
    tmp = out.with_suffix(out.suffix + ".tmp")
    tmp.write_text(json.dumps(result, indent=2), encoding="utf-8")
    os.replace(tmp, out)
