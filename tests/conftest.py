from __future__ import annotations

import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).parent))

from crmlens.synth import generate  # noqa: E402


@pytest.fixture(scope="session")
def gen_db(tmp_path_factory):
    """A small generated DuckDB dataset (3,000 accounts, seed 7), shared by the session."""
    path = tmp_path_factory.mktemp("gen") / "small.duckdb"
    generate(path, 3000, 7)
    return path


@pytest.fixture(scope="session")
def gen_db_other(tmp_path_factory):
    """A second generated dataset with another seed and size."""
    path = tmp_path_factory.mktemp("gen2") / "other.duckdb"
    generate(path, 7000, 11)
    return path
