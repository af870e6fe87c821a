"""Rendering as fast as the analysis: the Vega bundle, font subsets and chart PNGs are built once
and found again by content in the user cache folder; the headline-only pandas script `crmlens
bench` compares `crmlens run` with computes the same headline numbers as crmlens."""

import datetime as dt
from contextlib import contextmanager

import pytest

from crmlens import bench_script
from crmlens.analyses import REGISTRY
from crmlens.config import CrmlensConfig
from crmlens.report import cache, charts, fonts, html, png
from crmlens.sources import open_source


@pytest.fixture
def cache_folder(tmp_path, monkeypatch):
    folder = tmp_path / "cache"
    monkeypatch.setenv("CRMLENS_CACHE_DIR", str(folder))
    html.vega_bundle.cache_clear()
    fonts._subset_css.cache_clear()
    yield folder
    html.vega_bundle.cache_clear()
    fonts._subset_css.cache_clear()


def test_vega_bundle_is_built_once_then_read_from_the_cache(cache_folder, monkeypatch):
    import vl_convert

    calls = []
    monkeypatch.setattr(vl_convert, "javascript_bundle", lambda: calls.append(1) or "bundle();")
    assert html.vega_bundle() == "bundle();"
    html.vega_bundle.cache_clear()  # a new process
    assert html.vega_bundle() == "bundle();" and calls == [1]
    assert len(list(cache_folder.glob("vega-bundle-*.bin"))) == 1


def test_font_subset_is_built_once_per_character_set(cache_folder, monkeypatch):
    if fonts.cjk_font_path() is None:
        pytest.skip("no CJK font installed")
    built = []
    real = fonts._build_subset_css
    monkeypatch.setattr(fonts, "_build_subset_css", lambda *a: built.append(a[1]) or real(*a))
    first = fonts.subset_font_css("客户覆盖 abc")
    fonts._subset_css.cache_clear()
    assert fonts.subset_font_css("覆盖客户 xyz") == first  # same characters: from the cache
    assert fonts.subset_font_css("投资") != first
    assert built == ["".join(sorted("客户覆盖")), "投资"] and first.startswith("@font-face")


def test_chart_png_is_drawn_once_per_spec(cache_folder, monkeypatch):
    import vl_convert

    drawn = []
    monkeypatch.setattr(vl_convert, "vegalite_to_png", lambda spec, scale: drawn.append(1) or b"P")
    chart = charts.Chart("c", "t", {"mark": "bar", "data": {"values": [{"a": 1}]}})
    drawer = png.PngDrawer()  # nothing submitted: drawn in this process
    assert drawer.png(chart) == drawer.png(chart) == b"P" and drawn == [1]
    other = charts.Chart("c", "t", {"mark": "bar", "data": {"values": [{"a": 2}]}})
    assert drawer.png(other) == b"P" and drawn == [1, 1]


def test_unwritable_cache_still_builds(tmp_path, monkeypatch):
    blocker = tmp_path / "file"
    blocker.write_text("not a folder")
    monkeypatch.setenv("CRMLENS_CACHE_DIR", str(blocker / "sub"))
    assert cache.cached_text("x", "k", lambda: "value") == "value"


def test_cache_keeps_the_newest_entries_of_a_kind(cache_folder, monkeypatch):
    monkeypatch.setattr(cache, "KEEP_PER_KIND", 2)
    for i in range(4):
        cache.cached_bytes("k", str(i), lambda: b"x", keep=2)
    assert len(list(cache_folder.glob("k-*.bin"))) == 2


def test_headline_script_matches_crmlens(gen_db):
    """The script is a fair opponent: it reproduces crmlens's headline numbers."""
    cfg = CrmlensConfig()
    data = open_source(gen_db)
    day = dt.date(2026, 1, 5)
    cc = REGISTRY["contact_coverage"].run(data, cfg, as_of=day)
    mm = REGISTRY["investment_mismatch"].run(data, cfg, as_of=day)
    script = bench_script.headlines(str(gen_db), cfg=cfg)
    for name in ("key_accounts", "high_risk"):
        assert script["contact_coverage"][name] == cc.metric(name)
    for name in ("base_customers", "top_priority", "mismatched"):
        assert script["investment_mismatch"][name] == mm.metric(name)


def test_bench_compares_crmlens_run_with_the_headline_script(tmp_path):
    from crmlens.bench import run_bench

    res = run_bench([1200], tmp_path, seed=3, repeat=1, pandas_max=0)
    steps = [m["step"] for m in res["measures"]]
    assert steps[-3:] == ["crmlens_render", "pandas_headline_script", "crmlens_run_end_to_end"]
    e2e = res["end_to_end"]["1200"]
    assert e2e["crmlens_over_script_time"] > 0 and e2e["crmlens_over_script_memory"] > 0
    assert e2e["script_headlines"]["contact_coverage"]["key_accounts"] > 0
    render = res["render_stage_seconds"]["1200"]
    assert {"render.document", "render.html", "render.charts_png"} <= set(render)


def _tiny_chart(value: int) -> charts.Chart:
    spec = {
        "mark": "bar",
        "data": {"values": [{"k": "a", "v": value}, {"k": "b", "v": 2}]},
        "encoding": {
            "x": {"field": "k", "type": "nominal"},
            "y": {"field": "v", "type": "quantitative"},
        },
    }
    return charts.Chart(f"c{value}", "t", spec)


def test_worker_process_draws_the_same_png_as_this_process(tmp_path, monkeypatch):
    pytest.importorskip("vl_convert")
    monkeypatch.setenv("CRMLENS_CACHE_DIR", str(tmp_path / "worker"))
    with png.PngDrawer() as drawer:
        drawer.submit([_tiny_chart(1), _tiny_chart(3)])
        assert len(drawer._jobs) == 2 and drawer._worker is not None  # handed to the worker
        drawn = [drawer.png(_tiny_chart(1)), drawer.png(_tiny_chart(3))]
    assert drawer._worker is None  # closed on exit
    monkeypatch.setenv("CRMLENS_CACHE_DIR", str(tmp_path / "here"))
    here = png.PngDrawer()
    assert drawn == [here.png(_tiny_chart(1)), here.png(_tiny_chart(3))]
    assert drawn[0].startswith(b"\x89PNG") and drawn[0] != drawn[1]
    with png.PngDrawer() as cached:  # everything cached: no process is started
        cached.submit([_tiny_chart(1)])
        assert cached._worker is None and cached.png(_tiny_chart(1)) == drawn[0]


@contextmanager
def _killed_worker(tmp_path, monkeypatch, chart: charts.Chart):
    """A drawer whose worker process was killed right after ``chart`` was handed to it."""
    import os
    import signal

    pytest.importorskip("vl_convert")
    monkeypatch.setenv("CRMLENS_CACHE_DIR", str(tmp_path / "c"))
    with png.PngDrawer() as drawer:
        drawer.submit([chart])
        os.kill(drawer._worker.proc.pid, signal.SIGKILL)
        yield drawer


def test_a_dead_worker_does_not_lose_a_chart(tmp_path, monkeypatch):
    with _killed_worker(tmp_path, monkeypatch, _tiny_chart(5)) as drawer:
        assert drawer.png(_tiny_chart(5)).startswith(b"\x89PNG")  # drawn here instead
        drawer.submit([_tiny_chart(6)])  # no new worker after a broken one
        assert drawer.png(_tiny_chart(6)).startswith(b"\x89PNG")


def test_chart_font_is_the_sc_face_without_layout_tables_built_once(cache_folder, monkeypatch):
    from fontTools.ttLib import TTFont

    if fonts.cjk_font_path() is None:
        pytest.skip("no CJK font installed")
    fonts._chart_font_dir.cache_clear()
    folder = fonts.chart_font_dir()
    assert folder.parent == cache_folder and [p.suffix for p in folder.iterdir()] == [".otf"]
    font = TTFont(str(next(folder.iterdir())))
    assert font["name"].getDebugName(1) == fonts.CJK_FAMILY
    assert not {"GSUB", "GPOS", "vmtx"} & set(font.keys())
    assert ord("客") in font.getBestCmap() and ord("A") in font.getBestCmap()
    fonts._chart_font_dir.cache_clear()
    monkeypatch.setattr(fonts, "_face_number", lambda src: 1 / 0)  # building again would fail
    assert fonts.chart_font_dir() == folder  # found in the cache
    fonts._chart_font_dir.cache_clear()


def test_background_work_runs_at_a_lower_priority():
    import os
    import threading

    if not hasattr(os, "setpriority"):
        pytest.skip("no thread priorities here")
    seen = {}

    def work():
        before = os.getpriority(os.PRIO_PROCESS, threading.get_native_id())
        png.lower_priority()
        seen["now"] = os.getpriority(os.PRIO_PROCESS, threading.get_native_id())
        seen["before"] = before

    thread = threading.Thread(target=work)
    thread.start()
    thread.join()
    assert seen["now"] == max(seen["before"], png.BACKGROUND_NICENESS)
    assert os.getpriority(os.PRIO_PROCESS, threading.get_native_id()) == seen["before"]


def test_a_run_failing_after_its_first_analysis_leaves_nothing_behind(
    gen_db, tmp_path, monkeypatch
):
    """`run` writes each analysis' exports and draws its charts while the next one computes: an
    error in between waits for that work, stops the drawing process and removes the
    temporary folder (the output folder is never created)."""
    import psutil

    from crmlens.report.writer import ReportOptions, ReportWriter

    monkeypatch.setenv("CRMLENS_CACHE_DIR", str(tmp_path / "cache"))  # charts not cached: drawn
    result = REGISTRY["contact_coverage"].run(
        open_source(gen_db), CrmlensConfig(), as_of=dt.date(2026, 1, 5)
    )
    started: list = []

    class Recorded(png._Worker):
        def __init__(self) -> None:
            super().__init__()
            started.append(self)

    monkeypatch.setattr(png, "_Worker", Recorded)
    out = tmp_path / "report"
    with pytest.raises(RuntimeError, match="second analysis failed"):
        with ReportWriter(out, ReportOptions(png=True)) as writer:
            writer.add(result)
            drawer = writer._drawer
            writer._charts[result.analysis].result()  # its charts are with the drawing process
            raise RuntimeError("second analysis failed")
    assert not out.exists() and list(tmp_path.iterdir()) == [tmp_path / "cache"]
    assert drawer._worker is None
    assert started and all(w.proc.returncode is not None for w in started)  # reaped: no zombie
    assert not _drawing_processes(psutil)


def _drawing_processes(psutil) -> list:
    """This process' live children that draw charts.  Other tests' finished children may linger
    as zombies (their command line cannot be read): they are not running, so they do not count."""
    found = []
    for child in psutil.Process().children(recursive=True):
        try:
            if child.status() != psutil.STATUS_ZOMBIE and "crmlens.report.png" in " ".join(
                child.cmdline()
            ):
                found.append(child)
        except (psutil.ZombieProcess, psutil.NoSuchProcess):
            continue
    return found


def test_a_spec_the_worker_cannot_draw_raises_as_before(tmp_path, monkeypatch):
    pytest.importorskip("vl_convert")
    monkeypatch.setenv("CRMLENS_CACHE_DIR", str(tmp_path / "c"))
    bad = charts.Chart("bad", "t", {"mark": "no-such-mark", "data": {"values": [{"a": 1}]}})
    with png.PngDrawer() as drawer:
        drawer.submit([bad, _tiny_chart(7)])
        with pytest.raises(Exception) as caught:
            drawer.png(bad)
        assert not isinstance(caught.value, png.WorkerGone)
        assert drawer.png(_tiny_chart(7)).startswith(b"\x89PNG")  # the worker goes on


def test_a_library_script_without_a_main_guard_runs_once(gen_db, tmp_path):
    """The drawing process is `python -m crmlens.report.png`, not multiprocessing: a user's
    script calling write_report at top level is never run a second time in a child."""
    import os
    import subprocess
    import sys
    import textwrap

    script = tmp_path / "user_script.py"
    script.write_text(
        textwrap.dedent(
            f"""
            from pathlib import Path
            with open({str(tmp_path / "ran.txt")!r}, "a") as marker:
                marker.write("ran\\n")
            from crmlens import api
            res = api.run({str(gen_db)!r}, ["contact_coverage"], as_of="2026-01-05")
            res.write_report({str(tmp_path / "out")!r}, lang="en", png=True)
            """
        )
    )
    env = {**os.environ, "CRMLENS_CACHE_DIR": str(tmp_path / "cache")}
    subprocess.run([sys.executable, str(script)], check=True, env=env, timeout=300)
    assert (tmp_path / "ran.txt").read_text() == "ran\n"
    assert len(list((tmp_path / "out" / "charts").glob("*.png"))) >= 3


def test_charts_handed_over_after_the_worker_died_never_wait_forever(tmp_path, monkeypatch):
    import threading

    with _killed_worker(tmp_path, monkeypatch, _tiny_chart(11)) as drawer:
        first = drawer._jobs[png.spec_text(_tiny_chart(11).spec)]
        assert isinstance(first.exception(timeout=60), png.WorkerGone)
        drawer.submit([_tiny_chart(12)])  # the worker is known dead: fails at once, or not sent
        got = {}
        thread = threading.Thread(target=lambda: got.update(p=drawer.png(_tiny_chart(12))))
        thread.start()
        thread.join(timeout=60)
        assert not thread.is_alive() and got["p"].startswith(b"\x89PNG")


def test_the_command_line_allocates_arrow_memory_through_the_system_allocator():
    """`crmlens` sets Arrow's allocator before pyarrow loads (mimalloc, its default, cost ~0.8 s
    of system time at 1M accounts); a user's own choice is kept."""
    import os
    import subprocess
    import sys

    code = (
        "import crmlens.cli as c\n"
        "c.main = lambda: print(__import__('pyarrow').default_memory_pool().backend_name) or 0\n"
        "c.entry()\n"
    )
    env = {k: v for k, v in os.environ.items() if k != "ARROW_DEFAULT_MEMORY_POOL"}
    for chosen, expected in ((None, "system"), ("jemalloc", "jemalloc")):
        if chosen:
            env["ARROW_DEFAULT_MEMORY_POOL"] = chosen
        out = subprocess.run(
            [sys.executable, "-c", code], env=env, capture_output=True, text=True, timeout=120
        )
        assert out.returncode == 0 and out.stdout.strip() == expected, out.stderr


def test_programs_started_by_crmlens_get_the_users_environment(monkeypatch):
    """`bench`'s pandas baseline runs as the user would run it: without the allocator setting
    crmlens gave its own process (it lowered the script's peak by ~0.1 GB at 1M accounts)."""
    from crmlens import cli

    monkeypatch.setattr(cli, "_SET_HERE", set())
    monkeypatch.delenv("ARROW_DEFAULT_MEMORY_POOL", raising=False)
    cli.process_defaults()
    assert cli.os.environ["ARROW_DEFAULT_MEMORY_POOL"] == "system"
    assert "ARROW_DEFAULT_MEMORY_POOL" not in cli.user_environment()
    monkeypatch.setattr(cli, "_SET_HERE", set())
    monkeypatch.setenv("ARROW_DEFAULT_MEMORY_POOL", "jemalloc")  # the user's own choice
    cli.process_defaults()
    assert cli.user_environment()["ARROW_DEFAULT_MEMORY_POOL"] == "jemalloc"


def test_workbook_rows_made_ahead_come_in_order_and_errors_reach_the_writer():
    """The sheet XML is built by a second thread while the writer compresses: the same blocks
    in the same order; an error while building is raised in the writer; a writer that stops
    early (e.g. a full disk) stops the thread instead of leaving it blocked."""
    import threading

    from crmlens.report.xlsx_rows import _ahead

    blocks = [str(i).encode() for i in range(50)]
    assert list(_ahead(iter(blocks), depth=2)) == blocks

    def failing():
        yield b"a"
        raise ValueError("bad cell")

    with pytest.raises(ValueError, match="bad cell"):
        list(_ahead(failing()))
    before = threading.active_count()
    rows = _ahead(iter(blocks), depth=1)
    assert next(rows) == b"0"
    rows.close()  # the writer gave up after one block
    assert threading.active_count() == before


def test_run_imports_every_analysis_before_the_first_computes(gen_db):
    """`run` imports each analysis' module (scipy, scikit-learn…) before the first analysis
    computes: an import beside the first result's export threads took twice as long."""
    import subprocess
    import sys

    code = (
        "import datetime as dt, sys\n"
        "from crmlens.analyses.spec import AnalysisSpec\n"
        "from crmlens.config import CrmlensConfig\n"
        "from crmlens.runner import run\n"
        "seen, computed = [], AnalysisSpec.run\n"
        "loaded = 'crmlens.analyses.investment_mismatch.analysis'\n"
        "def spy(self, *args, **kwargs):\n"
        "    seen.append((self.name, loaded in sys.modules))\n"
        "    return computed(self, *args, **kwargs)\n"
        "AnalysisSpec.run = spy\n"
        f"run({str(gen_db)!r}, ['contact_coverage', 'investment_mismatch'], CrmlensConfig(),\n"
        "    dt.date(2026, 1, 5))\n"
        "print(seen)\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=300)
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip() == "[('contact_coverage', True), ('investment_mismatch', True)]"
