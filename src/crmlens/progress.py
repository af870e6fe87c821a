"""Stage progress: the analysis units (``Laps``), the runner and the report writer announce each
finished stage with its wall time; whoever listens shows or records it.

    with listening(callback):      # callback(stage, seconds)
        ...                        # every stage_done() in this thread reaches callback

:class:`StageDisplay` is the listener the CLI uses: on a terminal (its stream ``isatty()``) one
line rewritten in place (a bar of the stages done so far, the stage, the elapsed time), then the
stages and their times when the command ends; elsewhere (a cron log, a pipe) one plain
timestamped line per stage, written as it finishes.  Nothing here is user prose: stage names are
identifiers, the line templates come from the catalogs (through the ``text`` function the caller
passes: this module sits below every other layer and imports none).
"""

from __future__ import annotations

import contextlib
import datetime as dt
import threading
import time
from collections.abc import Callable, Iterator
from typing import TextIO

Listener = Callable[[str, float], None]
_LOCAL = threading.local()


def _listeners() -> list[Listener]:
    if not hasattr(_LOCAL, "listeners"):
        _LOCAL.listeners = []
    return _LOCAL.listeners


def stage_done(stage: str, seconds: float) -> None:
    """Tell every listener of this thread that ``stage`` finished after ``seconds``."""
    for listener in list(_listeners()):
        listener(stage, seconds)


@contextlib.contextmanager
def listening(listener: Listener) -> Iterator[None]:
    _listeners().append(listener)
    try:
        yield
    finally:
        _listeners().remove(listener)


class Stopwatch:
    """Times consecutive stages: ``lap(name)`` closes the stage that began at the previous lap
    (or at creation), records it in ``seconds`` and announces it."""

    def __init__(self, prefix: str = "") -> None:
        self.prefix = prefix
        self.seconds: dict[str, float] = {}
        self._last = time.perf_counter()

    def restart(self) -> None:
        self._last = time.perf_counter()

    def lap(self, name: str) -> float:
        now = time.perf_counter()
        spent = now - self._last
        self._last = now
        self.seconds[name] = round(self.seconds.get(name, 0.0) + spent, 3)
        stage_done(f"{self.prefix}{name}", spent)
        return spent


BAR_WIDTH = 20  # characters of the terminal bar


class StageDisplay:
    """Shows stages on ``stream`` (see the module docstring); use as a context manager around
    the work."""

    def __init__(self, stream: TextIO, text: Callable[..., str], *, expected: int = 0) -> None:
        self.stream = stream
        self.text = text  # text(key, **params): a catalog message in the command's language
        self.expected = expected  # stages expected (for the bar); 0 = unknown
        self.tty = bool(getattr(stream, "isatty", lambda: False)())
        self.done: list[tuple[str, float]] = []
        self._start = time.perf_counter()
        self._listening: contextlib.AbstractContextManager | None = None

    def __enter__(self) -> "StageDisplay":
        self._start = time.perf_counter()
        self._listening = listening(self.on_stage)
        self._listening.__enter__()
        return self

    def __exit__(self, *exc: object) -> None:
        assert self._listening is not None
        self._listening.__exit__(*exc)
        if self.tty:
            self.stream.write("\r\x1b[2K")  # the in-place line goes; the stages stay
            for stage, seconds in self.done:
                self.stream.write(self._line(stage, seconds) + "\n")
            total = time.perf_counter() - self._start
            self.stream.write(self.text("progress.total", seconds=round(total, 1)) + "\n")
            self.stream.flush()

    def _line(self, stage: str, seconds: float) -> str:
        return self.text("progress.stage", stage=stage, seconds=f"{seconds:.2f}")

    def on_stage(self, stage: str, seconds: float) -> None:
        self.done.append((stage, seconds))
        if self.tty:
            self.stream.write("\r\x1b[2K" + self._bar() + " " + self._line(stage, seconds))
        else:
            stamp = dt.datetime.now().isoformat(timespec="seconds")
            self.stream.write(f"{stamp} {self._line(stage, seconds)}\n")
        self.stream.flush()

    def _bar(self) -> str:
        """``[#####.....] 5/10  12.3 s`` (a count alone when the number of stages is unknown)."""
        elapsed = f"{time.perf_counter() - self._start:5.1f} s"
        if not self.expected:
            return f"[{len(self.done)}] {elapsed}"
        filled = min(BAR_WIDTH, round(BAR_WIDTH * len(self.done) / self.expected))
        bar = "#" * filled + "." * (BAR_WIDTH - filled)
        return f"[{bar}] {len(self.done)}/{self.expected} {elapsed}"
