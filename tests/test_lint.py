"""The code style CI enforces (issue #12): `ruff check` over src and tests passes with the
configuration in pyproject.toml (line length 100; pycodestyle errors/warnings and pyflakes)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).parents[1]


def test_ruff_check_passes():
    pytest.importorskip("ruff", reason="ruff is not installed (it is in the `test` extra)")
    proc = subprocess.run(
        [sys.executable, "-m", "ruff", "check", "--no-cache", "src", "tests"],
        cwd=ROOT,
        capture_output=True,
        text=True,
    )
    assert proc.returncode == 0, proc.stdout + proc.stderr
