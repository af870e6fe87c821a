"""The one place where crmlens decides whether it may write an output, and writes it atomically.

Rules (every command: run, monitor, report, generate, bench, demo):

- A folder output replaces only a folder crmlens wrote itself for the same purpose (it carries
  the marker file ``.crmlens-output``: JSON with tool, version, kind) or an empty folder.  A
  non-empty foreign folder, or a file where a folder is expected, is refused.
- A file output (generated DuckDB/SQLite dataset, bench JSON) replaces only a file crmlens wrote
  (a ``_crmlens_generated`` table in a database, a ``crmlens_version`` key in JSON).
- The output must not be, lie inside, or contain an input (the source, the history store…);
  Ibis URLs are exempt.  The current folder (or one holding it) is never replaced.
- Everything is first written into a hidden temporary sibling folder ``.<name>.<random>`` that
  carries ``.crmlens-partial`` (the writer's pid and start time) and is then renamed into place.
  Any failure removes it; a later writer in the same parent removes those whose writer died.

Every refusal is a :class:`OutputError` raised before anything is written.
"""

from __future__ import annotations

import json
import os
import shutil
import socket
import sqlite3
import tempfile
from pathlib import Path
from typing import Iterable

import psutil

from crmlens import __version__
from crmlens.errors import OutputError

MARKER = ".crmlens-output"
PARTIAL = ".crmlens-partial"
GENERATED_TABLE = "_crmlens_generated"
Inputs = Iterable[str | Path | None]
SQLITE_MAGIC = b"SQLite format 3\x00"
DUCKDB_MAGIC = b"DUCK"


def marker(kind: str) -> dict:
    return {"tool": "crmlens", "version": __version__, "kind": kind}


def _read_json(path: Path) -> dict | None:
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    return data if isinstance(data, dict) else None


def is_own_folder(path: Path, kind: str) -> bool:
    data = _read_json(Path(path) / MARKER)
    return bool(data) and data.get("tool") == "crmlens" and data.get("kind") == kind


def _has_generated_table(path: Path, head: bytes) -> bool:
    query = "SELECT count(*) FROM {} WHERE name = ?"
    try:
        if head.startswith(SQLITE_MAGIC):
            db = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
            try:
                found = db.execute(query.format("sqlite_master"), [GENERATED_TABLE]).fetchone()
                return found[0] > 0
            finally:
                db.close()
        if head[8:12] == DUCKDB_MAGIC:
            import duckdb

            con = duckdb.connect(str(path), read_only=True)
            try:
                tables = "(SELECT table_name AS name FROM information_schema.tables)"
                return con.execute(query.format(tables), [GENERATED_TABLE]).fetchone()[0] > 0
            finally:
                con.close()
    except Exception:  # locked, damaged or foreign: not provably ours
        return False
    return False


def is_own_file(path: Path) -> bool:
    """A dataset crmlens generated (marker table) or a JSON file crmlens wrote."""
    try:
        with open(path, "rb") as fh:
            head = fh.read(16)
    except OSError:
        return False
    if head.lstrip().startswith(b"{"):
        data = _read_json(path)
        return bool(data) and "crmlens_version" in data
    return _has_generated_table(path, head)


def _inside(child: Path, parent: Path) -> bool:
    return child == parent or parent in child.parents


def check_apart(out: Path, inputs: Inputs) -> None:
    """Refuse an output that is, lies inside or contains one of the inputs (symlinks resolved)."""
    target = Path(out).resolve()
    for item in inputs:
        if item is None or "://" in str(item):
            continue
        source = Path(item).resolve()
        if _inside(target, source) or _inside(source, target):
            raise OutputError("error.output_overlaps_input", path=str(out), source=str(item))


def _check_replaceable(out: Path, shown: Path) -> None:
    if _inside(Path.cwd().resolve(), out) or os.path.ismount(out):
        raise OutputError("error.output_cwd", path=str(shown))


def check_folder(out: str | Path, kind: str, inputs: Inputs = ()) -> Path:
    """The resolved folder crmlens may write ``out`` as, or OutputError (nothing written)."""
    shown = Path(out)
    target = shown.resolve()
    if target.is_dir():
        _check_replaceable(target, shown)
    check_apart(shown, inputs)
    if not target.exists():
        return target
    if not target.is_dir():
        raise OutputError("error.output_not_folder", path=str(shown))
    if not is_own_folder(target, kind) and any(target.iterdir()):
        raise OutputError("error.output_foreign", path=str(shown))
    return target


def check_file(out: str | Path, inputs: Inputs = ()) -> Path:
    shown = Path(out)
    check_apart(shown, inputs)
    target = shown.resolve()
    if target.is_dir():
        raise OutputError("error.output_not_file", path=str(shown))
    if target.exists() and not is_own_file(target):
        raise OutputError("error.output_foreign_file", path=str(shown))
    return target


def write_error(out: str | Path, exc: OSError) -> OutputError:
    """A failed write, named by the output and the cause (e.g. "No space left on device")."""
    return OutputError("error.output_dir", path=str(out), reason=exc.strerror or str(exc))


def claim_folder(out: str | Path, kind: str, inputs: Inputs = ()) -> Path:
    """A working folder crmlens keeps and adds to (bench datasets, the demo): the same rules as
    an output folder; created (with the marker) when new."""
    target = check_folder(out, kind, inputs)
    try:
        target.mkdir(parents=True, exist_ok=True)
        if not is_own_folder(target, kind):
            (target / MARKER).write_text(json.dumps(marker(kind)), encoding="utf-8")
    except OSError as exc:
        raise write_error(out, exc) from None
    return target


def _process_started(pid: int) -> float | None:
    try:
        proc = psutil.Process(pid)
        if proc.status() == psutil.STATUS_ZOMBIE:
            return None
        return proc.create_time()
    except psutil.Error:
        return None


def _writer_alive(info: dict) -> bool:
    """Whether the writer of a temporary folder may still be writing.  A marker from another
    host (a shared filesystem) or one that cannot be read counts as alive: never swept."""
    if info.get("host", socket.gethostname()) != socket.gethostname():
        return True
    try:
        pid, when = int(info.get("pid", -1)), float(info.get("started", 0))
    except (TypeError, ValueError):
        return True
    started = _process_started(pid)
    return started is not None and abs(started - when) < 1.0


def sweep_stale(parent: Path) -> list[Path]:
    """Remove the temporary folders in ``parent`` left by crmlens writers that died (kill -9,
    power loss): hidden folders carrying ``.crmlens-partial`` whose writer is gone.  Nothing else
    is touched."""
    removed = []
    try:
        entries = [p for p in Path(parent).iterdir() if p.name.startswith(".")]
    except OSError:
        return removed
    for entry in entries:
        if entry.is_symlink() or not entry.is_dir():
            continue
        info = _read_json(entry / PARTIAL)
        if info and info.get("tool") == "crmlens" and not _writer_alive(info):
            shutil.rmtree(entry, ignore_errors=True)
            removed.append(entry)
    return removed


def _make_parents(folder: Path) -> list[Path]:
    created = []
    for p in reversed([folder, *folder.parents]):
        if not p.exists():
            p.mkdir()
            created.append(p)
    return created


def _remove_empty(folders: list[Path]) -> None:
    for p in reversed(folders):
        try:
            p.rmdir()
        except OSError:
            break


def _partial_folder(target: Path) -> Path:
    tmp = Path(tempfile.mkdtemp(prefix=f".{target.name}.", dir=target.parent))
    me = psutil.Process()
    info = {
        "tool": "crmlens",
        "version": __version__,
        "pid": me.pid,
        "started": me.create_time(),
        "host": socket.gethostname(),
    }
    (tmp / PARTIAL).write_text(json.dumps(info), encoding="utf-8")
    return tmp


class _Atomic:
    """Shared life cycle: temporary sibling folder → commit (rename into place) or abort.
    As a context manager, any OSError becomes ``error.output_dir`` naming the output and the
    cause (e.g. "No space left on device") after everything temporary was removed."""

    # an OSError inside the block is about this output (False: the caller's block also does
    # other work, e.g. `run` computes while it writes, and names its own write errors)
    os_errors_are_ours = True

    def __init__(self, target: Path, shown: Path) -> None:
        self.out = target
        self.shown = shown
        self.tmp: Path | None = None
        self.created: list[Path] = []
        try:
            self.created = _make_parents(target.parent)
            sweep_stale(target.parent)
            self.tmp = _partial_folder(target)
        except OSError as exc:
            self.abort()
            raise self.error(exc) from None

    def error(self, exc: OSError) -> OutputError:
        return write_error(self.shown, exc)

    def abort(self) -> None:
        if self.tmp is not None:
            shutil.rmtree(self.tmp, ignore_errors=True)
            self.tmp = None
        _remove_empty(self.created)

    def _swap(self, new: Path) -> None:
        """Put ``new`` at the output path; what was there (ours, checked) goes."""
        if not self.out.exists():
            os.replace(new, self.out)
            return
        old = _partial_folder(self.out)  # marked: a writer killed mid-swap leaves nothing stale
        try:
            os.replace(self.out, old / "previous")
            os.replace(new, self.out)
        except OSError:  # put the previous output back: a failed swap never loses it
            if not self.out.exists() and (old / "previous").exists():
                os.replace(old / "previous", self.out)
            shutil.rmtree(old, ignore_errors=True)
            raise
        shutil.rmtree(old, ignore_errors=True)

    def commit(self) -> None:
        raise NotImplementedError

    def __enter__(self):
        return self

    def __exit__(self, kind, exc, tb) -> bool:
        if exc is None:
            try:
                self.commit()
            except OSError as error:
                self.abort()
                raise self.error(error) from None
            except BaseException:  # e.g. the output stopped being ours meanwhile: nothing left
                self.abort()
                raise
            return False
        self.abort()
        if isinstance(exc, OSError) and self.os_errors_are_ours:
            raise self.error(exc) from None
        return False


class AtomicFolder(_Atomic):
    """Write a folder output: ``with AtomicFolder(out, "report", inputs) as f:`` write into
    ``f.path``; on success it carries the marker and replaces ``out``."""

    def __init__(self, out: str | Path, kind: str, inputs: Inputs = ()) -> None:
        self.kind = kind
        super().__init__(check_folder(out, kind, inputs), Path(out))
        self.path: Path = self.tmp
        umask = os.umask(0)
        os.umask(umask)
        os.chmod(self.path, 0o777 & ~umask)  # mkdtemp makes 0700; outputs are normal folders

    def commit(self) -> None:
        check_folder(self.out, self.kind)  # again: something may have been put there meanwhile
        (self.path / MARKER).write_text(json.dumps(marker(self.kind)), encoding="utf-8")
        (self.path / PARTIAL).unlink()
        self._swap(self.path)
        self.tmp = None


class AtomicFile(_Atomic):
    """Write a file output: write ``f.path`` (inside the temporary folder, with any side files
    such as a database's WAL); on success it replaces ``out``."""

    def __init__(self, out: str | Path, inputs: Inputs = ()) -> None:
        super().__init__(check_file(out, inputs), Path(out))
        self.path: Path = self.tmp / self.out.name

    def commit(self) -> None:
        check_file(self.out)  # again: a file may have been put there meanwhile
        os.replace(self.path, self.out)
        shutil.rmtree(self.tmp, ignore_errors=True)
        self.tmp = None


def write_text(out: str | Path, text: str) -> Path:
    """A small text file (e.g. bench JSON), under the file rules, atomically."""
    with AtomicFile(out) as f:
        f.path.write_text(text, encoding="utf-8")
    return f.out
