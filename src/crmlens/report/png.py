"""Chart PNGs (``charts/<id>.png`` and the HTML's images for readers without JavaScript).

vl-convert draws a chart in 0.1–0.9 s and holds the interpreter lock while it does, so drawing
in a thread would stall everything else.  ``PngDrawer`` draws in one second process instead:
``crmlens run`` hands it each analysis' charts as soon as that analysis is computed, so the
charts are drawn while the next analysis, the document and the exports are computed on the
other core (at 1,000,000 accounts: 12 charts, ~2 s of drawing, off the critical path).  The
process starts only when a chart is not in the cache; if it cannot start or dies, the chart is
drawn here as before.

Every PNG is cached by its spec (``cache.cached_bytes``): a report rendered again draws only the
charts that changed.  Only the spec's JSON text crosses to the process, never data.
"""

from __future__ import annotations

import json
import os
import queue
import struct
import subprocess
import sys
import threading
from concurrent.futures import CancelledError, Future

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


class WorkerGone(Exception):
    """The drawing process ended or could not be reached."""


class _Worker:
    """One ``python -m crmlens.report.png`` process: spec texts go to its stdin, PNGs come back
    on its stdout (a status byte and a length before each).  A plain child process, not
    ``multiprocessing``: that would re-import the caller's main script in the child, running a
    user's un-guarded script (``res.write_report(...)`` at top level) a second time."""

    def __init__(self) -> None:
        self.proc = subprocess.Popen(
            # -P: the current folder (often the data's) is not put on the child's import path
            [sys.executable, "-P", "-m", "crmlens.report.png"],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.DEVNULL,
        )
        self.jobs: queue.Queue = queue.Queue()
        self.lock = threading.Lock()
        self.dead = False  # the process ended: jobs fail at once instead of waiting forever
        self.thread = threading.Thread(target=self._serve, name="crmlens-png", daemon=True)
        self.thread.start()

    def submit(self, text: str) -> Future:
        job: Future = Future()
        with self.lock:
            if self.dead:
                job.set_exception(WorkerGone("the drawing process ended"))
            else:
                self.jobs.put((text, job))
        return job

    def _serve(self) -> None:
        while (item := self.jobs.get()) is not None:
            text, job = item
            if not job.set_running_or_notify_cancel():
                continue
            try:
                job.set_result(self._ask(text))
            except (OSError, ValueError, WorkerGone) as exc:
                job.set_exception(WorkerGone(str(exc)))
                with self.lock:
                    self.dead = True
                self._fail_waiting()
                return
            except RuntimeError as exc:  # this spec failed; the process goes on
                job.set_exception(exc)

    def _ask(self, text: str) -> bytes:
        data = text.encode("utf-8")
        self.proc.stdin.write(struct.pack(">I", len(data)) + data)
        self.proc.stdin.flush()
        head = _read_exactly(self.proc.stdout, 5)
        body = _read_exactly(self.proc.stdout, struct.unpack(">I", head[1:])[0])
        if head[0] != 0:
            raise RuntimeError(body.decode("utf-8", "replace"))
        return body

    def _fail_waiting(self) -> None:
        while True:
            try:
                item = self.jobs.get_nowait()
            except queue.Empty:
                return
            if item is not None and item[1].set_running_or_notify_cancel():
                item[1].set_exception(WorkerGone("the drawing process ended"))

    def close(self) -> None:
        with self.lock:
            self.dead = True
            while True:  # charts not started are not drawn
                try:
                    item = self.jobs.get_nowait()
                except queue.Empty:
                    break
                if item is not None:
                    item[1].cancel()
            self.jobs.put(None)
        try:
            self.proc.stdin.close()  # the process ends at the end of its input
            self.proc.wait(timeout=10)
        except (OSError, ValueError, subprocess.TimeoutExpired):
            self.proc.kill()
            self.proc.wait()
        self.thread.join()


def _read_exactly(stream, n: int) -> bytes:
    data = stream.read(n)
    if data is None or len(data) < n:
        raise WorkerGone("the drawing process ended")
    return data


class PngDrawer:
    """Draws chart PNGs in one worker process; ``png(chart)`` returns a chart's PNG (waiting
    for the worker, or drawing here when the chart was never handed over or the worker failed:
    a spec that cannot be drawn then raises here, as before)."""

    def __init__(self) -> None:
        self._worker: _Worker | None = None
        self._broken = False
        self._jobs: dict[str, Future] = {}
        self._lock = threading.Lock()  # charts are handed over from several export threads

    def __enter__(self) -> "PngDrawer":
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    def submit(self, charts) -> None:
        """Start drawing ``charts`` (the ones not cached yet) in the worker process."""
        for chart in charts:
            text = spec_text(chart.spec)
            if cached_path(KIND, _key(text)).exists():
                continue
            with self._lock:
                if text in self._jobs:
                    continue
                worker = self._start()
                if worker is None:
                    return
                self._jobs[text] = worker.submit(text)

    def png(self, chart) -> bytes:
        text = spec_text(chart.spec)
        with self._lock:
            job = self._jobs.get(text)
        if job is not None:
            try:
                return job.result()
            except WorkerGone:  # the worker died (e.g. killed): draw here
                self._broken = True
            except (RuntimeError, CancelledError):
                pass  # drawn here: raises the real error for a spec that cannot be drawn
        return draw(text)

    def close(self) -> None:
        with self._lock:
            self._broken = True  # closed: charts asked for later are drawn here
            worker, self._worker = self._worker, None
        if worker is not None:
            worker.close()

    def _start(self) -> _Worker | None:
        """The worker (started on first use); None once it failed or was closed.  Called with
        ``_lock`` held."""
        if self._broken or (self._worker is not None and self._worker.dead):
            self._broken = True
            return None
        if self._worker is None:
            try:
                self._worker = _Worker()
            except OSError:  # no processes here: draw in this one
                self._broken = True
        return self._worker


def _serve_stdin() -> None:
    """The drawing process: answer each spec on stdin with its PNG on stdout.  Anything else
    that would print to stdout (the JavaScript runtime's warnings) goes to stderr."""
    out = os.fdopen(os.dup(1), "wb")
    os.dup2(2, 1)
    _warm()
    source = sys.stdin.buffer
    while True:
        head = source.read(4)
        if len(head) < 4:
            return
        text = source.read(struct.unpack(">I", head)[0]).decode("utf-8")
        try:
            status, body = 0, draw(text)
        except Exception as exc:  # noqa: BLE001 — reported to the run, which draws it itself
            status, body = 1, repr(exc).encode("utf-8")
        out.write(bytes([status]) + struct.pack(">I", len(body)) + body)
        out.flush()


if __name__ == "__main__":
    _serve_stdin()
