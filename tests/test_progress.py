"""Progress you can see: every stage (the runner, each analysis unit's laps, each render step) is
announced with its time; on a terminal one line is rewritten in place, in a log every stage is
one timestamped line."""

import datetime as dt
import io
import os
import pty
import re
import subprocess
import sys

from crmlens.analyses import REGISTRY
from crmlens.config import CrmlensConfig
from crmlens.progress import StageDisplay, Stopwatch, listening
from crmlens.report.i18n import t
from crmlens.report.writer import write_report
from crmlens.sources import open_source

STAMPED = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d (\S+) — \d+\.\d\d s$")


class Terminal(io.StringIO):
    def isatty(self) -> bool:
        return True


def test_plain_stream_gets_one_timestamped_line_per_stage():
    stream = io.StringIO()
    with StageDisplay(stream, lambda key, **p: t(key, "en", **p)):
        watch = Stopwatch("demo.")
        watch.lap("first")
        watch.lap("second")
    lines = stream.getvalue().splitlines()
    assert [STAMPED.match(line).group(1) for line in lines] == ["demo.first", "demo.second"]
    assert "\r" not in stream.getvalue()


def test_terminal_line_is_rewritten_in_place_then_the_stages_are_listed():
    stream = Terminal()
    with StageDisplay(stream, lambda key, **p: t(key, "zh", **p), expected=2):
        watch = Stopwatch()
        watch.lap("first")
        during = stream.getvalue()
        watch.lap("second")
    text = stream.getvalue()
    assert during.startswith("\r\x1b[2K[") and "\n" not in during  # one line, redrawn
    assert "[##########..........] 1/2" in during and "first — 耗时" in during
    final = text.rsplit("\r\x1b[2K", 1)[1].splitlines()
    assert final[0].startswith("first — 耗时") and final[1].startswith("second — 耗时")
    assert final[2].startswith("全部完成")


def test_units_runner_and_writer_announce_their_stages(gen_db, tmp_path):
    seen = []
    with listening(lambda stage, seconds: seen.append(stage)):
        data = open_source(gen_db)
        result = REGISTRY["contact_coverage"].run(data, CrmlensConfig(), as_of=dt.date(2026, 1, 5))
        write_report({"contact_coverage": result}, tmp_path / "r", png=False)
    assert seen[: len(result.provenance["stage_seconds"])] == [
        f"contact_coverage.{s}" for s in result.provenance["stage_seconds"]
    ]
    render = [s for s in seen if s.startswith("render.")]
    assert render[:3] == ["render.document", "render.charts_png", "render.html"]
    assert "render.tables_wait" in render and render[-1] in ("render.excel", "render.excel_wait")


def _run_cli(gen_db, out, stderr) -> subprocess.CompletedProcess:
    args = [sys.executable, "-m", "crmlens.cli", "run", "contact_coverage", "-s", str(gen_db)]
    args += ["-o", str(out), "--no-png", "--as-of", "2026-01-05"]
    return subprocess.run(args, stdout=subprocess.PIPE, stderr=stderr, env=os.environ, timeout=300)


def test_cli_run_prints_stages_in_a_log_and_on_a_terminal(gen_db, tmp_path):
    logged = _run_cli(gen_db, tmp_path / "log", subprocess.PIPE)
    assert logged.returncode == 0
    lines = logged.stderr.decode().splitlines()
    stages = [STAMPED.match(line).group(1) for line in lines]
    assert stages[:3] == ["validate", "fingerprint", "imports"]
    assert "contact_coverage.engine.key_accounts" in stages and "render.html" in stages

    leader, follower = pty.openpty()
    try:
        on_tty = _run_cli(gen_db, tmp_path / "tty", follower)
        os.close(follower)
        follower = -1
        shown = b""
        while True:
            try:
                chunk = os.read(leader, 65536)
            except OSError:
                break
            if not chunk:
                break
            shown += chunk
    finally:
        os.close(leader)
        if follower >= 0:
            os.close(follower)
    assert on_tty.returncode == 0
    text = shown.decode()
    assert "\r\x1b[2K[" in text and "render.html — " in text and "Done in" in text
    assert not re.search(r"^\d{4}-\d\d-\d\dT", text, re.M)  # no log lines on a terminal
