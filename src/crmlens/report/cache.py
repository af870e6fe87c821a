"""A small on-disk cache for what the report builds from installed files and nothing else (the
Vega script bundle, CJK font subsets): built once, found again by content on every later render.

The folder is ``$CRMLENS_CACHE_DIR``, else ``$XDG_CACHE_HOME/crmlens``, else ``~/.cache/crmlens``
(the platform's user cache folder).  It holds only files crmlens made and names by the hash of
what they were built from, so a new crmlens, vl-convert or font version builds its own entry.
Entries are written atomically (a temporary file renamed into place), so processes rendering at
the same time never read half a file; when the folder cannot be written the value is built in
memory as before.  Nothing is ever downloaded.
"""

from __future__ import annotations

import hashlib
import os
import tempfile
from collections.abc import Callable
from pathlib import Path

KEEP_PER_KIND = 32  # entries of one kind kept (the oldest go): font subsets differ per report


def cache_dir() -> Path:
    explicit = os.environ.get("CRMLENS_CACHE_DIR")
    if explicit:
        return Path(explicit)
    base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(base) / "crmlens"


def content_key(*parts: object) -> str:
    digest = hashlib.sha256()
    for part in parts:
        digest.update(repr(part).encode("utf-8"))
        digest.update(b"\0")
    return digest.hexdigest()[:32]


def cached_text(kind: str, key: str, build: Callable[[], str]) -> str:
    """The text cached as ``<kind>-<key>``, built by ``build()`` (and stored) when absent."""
    return cached_bytes(kind, key, lambda: build().encode("utf-8")).decode("utf-8")


def cached_path(kind: str, key: str) -> Path:
    """Where the entry ``<kind>-<key>`` is (or would be) stored."""
    return cache_dir() / f"{kind}-{key}.bin"


def cached_bytes(
    kind: str, key: str, build: Callable[[], bytes], keep: int = KEEP_PER_KIND
) -> bytes:
    """The bytes cached as ``<kind>-<key>``, built by ``build()`` (and stored) when absent; at
    most ``keep`` entries of the kind are kept."""
    path = cached_path(kind, key)
    try:
        return path.read_bytes()
    except OSError:
        pass
    data = build()
    try:
        _store(path, data)
        _prune(path.parent, kind, keep)
    except OSError:
        pass  # a read-only home: the value still serves this process
    return data


def _store(path: Path, data: bytes) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    handle, tmp = tempfile.mkstemp(prefix=f".{path.stem}-", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(handle, "wb") as f:
            f.write(data)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def _prune(folder: Path, kind: str, keep: int) -> None:
    entries = sorted(folder.glob(f"{kind}-*.bin"), key=lambda p: p.stat().st_mtime, reverse=True)
    for old in entries[keep:]:
        old.unlink(missing_ok=True)
