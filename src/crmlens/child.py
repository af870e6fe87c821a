"""Child processes that never outlive crmlens.

``popen_tied`` starts a child that the kernel stops when its parent dies (Linux
``prctl(PR_SET_PDEATHSIG, SIGKILL)``); ``exit_with_parent`` is the child's own fallback (other
systems, or a parent that died before the child started): a daemon thread that ends the child as
soon as its parent is no longer the process that started it.
"""

from __future__ import annotations

import ctypes
import os
import signal
import subprocess
import sys
import threading
import time

PR_SET_PDEATHSIG = 1


def _find_prctl():
    """Resolved once, here: between fork and exec nothing may load a library."""
    if not sys.platform.startswith("linux"):
        return None
    try:
        return ctypes.CDLL(None, use_errno=True).prctl
    except (OSError, AttributeError):
        return None  # the child's own watch (exit_with_parent) still applies


_PRCTL = _find_prctl()


def _die_with_parent() -> None:  # runs in the child between fork and exec
    _PRCTL(PR_SET_PDEATHSIG, signal.SIGKILL, 0, 0, 0)


def popen_tied(args: list[str], **kwargs) -> subprocess.Popen:
    """``subprocess.Popen`` for a child that the kernel kills when this process dies (Linux)."""
    if _PRCTL is not None:
        kwargs["preexec_fn"] = _die_with_parent
    return subprocess.Popen(args, **kwargs)


def _watch(parent_pid: int, interval: float) -> None:
    while os.getppid() == parent_pid:
        time.sleep(interval)
    os._exit(1)


def exit_with_parent(parent_pid: int, interval: float = 0.5) -> None:
    """Stop this process (exit 1, no clean-up) once ``parent_pid`` is no longer its parent."""
    if os.getppid() != parent_pid:
        os._exit(1)
    threading.Thread(target=_watch, args=(parent_pid, interval), daemon=True).start()
