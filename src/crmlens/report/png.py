"""Chart PNGs (``charts/<id>.png`` and the HTML's images for readers without JavaScript).

vl-convert draws a chart in 0.1–0.9 s and holds the interpreter lock while it does, so drawing
in a thread would stall everything else.  ``PngDrawer`` draws in one second process instead:
``crmlens run`` hands it each analysis' charts as soon as that analysis is computed, so the
charts are drawn while the next analysis, the document and the exports are computed on the
other core (at 1,000,000 accounts: 12 charts, ~5 s of drawing, off the critical path).  The
process starts only when a chart is not in the cache; if it cannot start or dies, the chart is
drawn here as before.

Every PNG is cached by its spec (``cache.cached_bytes``): a report rendered again draws only the
charts that changed.  Only the spec's JSON text crosses to the process, never data.
"""

from __future__ import annotations

import json
import os
from concurrent.futures import Future, ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from multiprocessing import get_context

from crmlens.report.cache import cached_bytes, cached_path, content_key
from crmlens.report.fonts import chart_font_dir, register_cjk_font

PNG_CACHE_ENTRIES = 256  # about twenty reports of charts
KIND = "chart-png"


def spec_text(spec: dict) -> str:
    """The spec as the JSON text that names its cache entry and is sent to the drawing process."""
    return json.dumps(spec, sort_keys=True, default=str)


def _key(text: str) -> str:
    import vl_convert as vlc

    return content_key(vlc.__version__, str(chart_font_dir()), text)


def draw(text: str) -> bytes:
    """The PNG of the spec ``text`` (cached; drawn at twice the spec's size for sharp text)."""
    import vl_convert as vlc

    def build() -> bytes:
        register_cjk_font()
        return vlc.vegalite_to_png(json.loads(text), scale=2)

    return cached_bytes(KIND, _key(text), build, keep=PNG_CACHE_ENTRIES)


BACKGROUND_NICENESS = 10


def lower_priority() -> None:
    """Let the calling thread (and a process's first thread) yield the cores to the analyses:
    the exports and the drawing are background work, the engine's queries are the critical
    path (1M accounts: ~0.5 s of the run's 17 s).  Linux niceness of this thread only; a no-op
    where the system has none."""
    import threading

    try:
        me = threading.get_native_id()
        now = os.getpriority(os.PRIO_PROCESS, me)
        os.setpriority(os.PRIO_PROCESS, me, max(now, BACKGROUND_NICENESS))  # never raised
    except (AttributeError, OSError):
        pass


def _warm() -> None:
    """The drawing process's start: vl-convert's JavaScript runtime starts on its first chart
    (~0.5 s), so draw a tiny one before any real chart arrives."""
    import vl_convert as vlc

    lower_priority()
    register_cjk_font()
    vlc.vegalite_to_svg({"mark": "point", "data": {"values": [{}]}})


class PngDrawer:
    """Draws chart PNGs in one worker process; ``png(chart)`` returns a chart's PNG (waiting
    for the worker, or drawing here when the chart was never handed over)."""

    def __init__(self) -> None:
        self._pool: ProcessPoolExecutor | None = None
        self._broken = False
        self._jobs: dict[str, Future] = {}

    def __enter__(self) -> "PngDrawer":
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    def submit(self, charts) -> None:
        """Start drawing ``charts`` (the ones not cached yet) in the worker process."""
        for chart in charts:
            text = spec_text(chart.spec)
            if text in self._jobs or cached_path(KIND, _key(text)).exists():
                continue
            pool = self._worker()
            if pool is None:
                return
            try:
                self._jobs[text] = pool.submit(draw, text)
            except BrokenProcessPool:
                self._broken = True
                return

    def png(self, chart) -> bytes:
        text = spec_text(chart.spec)
        job = self._jobs.get(text)
        if job is not None:
            try:
                return job.result()
            except BrokenProcessPool:  # the worker died (e.g. killed): draw here
                self._broken = True
        return draw(text)

    def close(self) -> None:
        self._broken = True  # closed: charts asked for later are drawn here
        if self._pool is not None:
            self._pool.shutdown(wait=True, cancel_futures=True)
            self._pool = None

    def _worker(self) -> ProcessPoolExecutor | None:
        if self._broken:
            return None
        if self._pool is None:
            try:
                self._pool = ProcessPoolExecutor(
                    max_workers=1, mp_context=get_context("spawn"), initializer=_warm
                )
            except (OSError, RuntimeError):  # no processes here: draw in this one
                self._broken = True
        return self._pool
