"""Two monitor runs at once on one history store both complete and leave one run for the date;
a run killed in the middle of its write leaves the store consistent."""

import datetime as dt
import os
import signal
import subprocess
import sys
import textwrap
import time

import duckdb

from helpers import account, contacts_for, write_duckdb


def source(tmp_path):
    accs = [account(f"A{i}", 100.0 + i, 100) for i in range(30)]
    cons = [
        c for i in range(30) for c in contacts_for(f"A{i}", [("CEO", "Sales"), ("Manager", "IT")])
    ]
    return write_duckdb(tmp_path / "src.duckdb", accs, cons)


def counts(path):
    con = duckdb.connect(str(path), read_only=True)
    out = {
        t: con.execute(f"SELECT count(*) FROM {t}").fetchone()[0]
        for t in ("runs", "metrics", "entities")
    }
    out["distinct_runs_in_metrics"] = con.execute(
        "SELECT count(DISTINCT run_id) FROM metrics"
    ).fetchone()[0]
    con.close()
    return out


def test_two_runs_at_once(tmp_path):
    src = source(tmp_path)
    hist = tmp_path / "h.duckdb"
    cmd = [
        sys.executable,
        "-m",
        "crmlens.cli",
        "monitor",
        "contact_coverage",  # its 6 key accounts are the entities counted below
        "--source",
        str(src),
        "--history",
        str(hist),
        "--no-png",
    ]
    env = dict(os.environ, CRMLENS_LANG="en")
    procs = [
        subprocess.Popen(
            cmd + ["--out", str(tmp_path / f"r{i}")],
            cwd=tmp_path,
            env=env,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for i in range(2)
    ]
    outs = [p.communicate(timeout=300) for p in procs]
    assert [p.returncode for p in procs] == [0, 0], outs
    c = counts(hist)
    assert (
        c["runs"] == 1 and c["distinct_runs_in_metrics"] == 1
    )  # one run per date: the later replaced the earlier
    assert c["metrics"] > 0 and c["entities"] == 6  # 6 key accounts (top 20% of 30)


def test_killed_run_leaves_store_consistent(tmp_path):
    src = source(tmp_path)
    hist = tmp_path / "h.duckdb"
    code = textwrap.dedent(f"""
        import sys, time
        from crmlens.config import CrmlensConfig
        from crmlens.monitor import history
        from crmlens.monitor.service import monitor
        class Slow(history.HistoryStore):
            def _insert_entities(self, con, frames):
                super()._insert_entities(con, frames)
                print("inside-transaction", flush=True)
                time.sleep(60)
        history.HistoryStore = Slow
        import crmlens.monitor.service as svc
        svc.HistoryStore = Slow
        monitor_config = {{"history": {str(hist)!r}, "alert_log": {str(tmp_path / "a.jsonl")!r}}}
        cfg = CrmlensConfig.model_validate({{"monitor": monitor_config}})
        monitor({str(src)!r}, cfg, analyses=["contact_coverage"])
    """)
    # one complete run first
    ok = subprocess.run(
        [
            sys.executable,
            "-m",
            "crmlens.cli",
            "monitor",
            "contact_coverage",
            "--source",
            str(src),
            "--history",
            str(hist),
            "--no-png",
            "--out",
            str(tmp_path / "r"),
        ],
        cwd=tmp_path,
        capture_output=True,
        text=True,
    )
    assert ok.returncode == 0, ok.stderr
    before = counts(hist)
    p = subprocess.Popen(
        [sys.executable, "-c", code],
        cwd=tmp_path,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    deadline = time.time() + 120
    line = ""
    while time.time() < deadline and "inside-transaction" not in line:
        line = p.stdout.readline()
        if not line and p.poll() is not None:
            raise AssertionError(p.stderr.read())
    os.kill(p.pid, signal.SIGKILL)
    p.wait()
    assert counts(hist) == before  # nothing of the killed run is visible
    tomorrow = (
        dt.date.today() + dt.timedelta(days=1)
    ).isoformat()  # a new date: recorded next to the first run
    again = subprocess.run(
        [
            sys.executable,
            "-m",
            "crmlens.cli",
            "monitor",
            "contact_coverage",
            "--source",
            str(src),
            "--history",
            str(hist),
            "--no-png",
            "--as-of",
            tomorrow,
            "--out",
            str(tmp_path / "r2"),
        ],
        cwd=tmp_path,
        capture_output=True,
        text=True,
    )
    assert again.returncode == 0, again.stderr
    after = counts(hist)
    assert after["runs"] == before["runs"] + 1 and after["entities"] == before["entities"] + 6
