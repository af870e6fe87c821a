"""DuckDB files written by DuckDB 1.5 and 2.0 give the same numbers; a file the installed DuckDB
cannot read names its storage version and writer; Ibis 12 works on DuckDB 2.x.

``tests/data/duckdb-<version>.duckdb.gz`` hold the same generated dataset (200 accounts, seed 5)
written by each DuckDB.  `.ci/run` runs this module on DuckDB 2.x (the main venv) and again on
DuckDB 1.5, so both branches of the version-dependent tests run in CI."""

from __future__ import annotations

import gzip
import shutil
import subprocess
import sys
import warnings
from pathlib import Path

import duckdb
import ibis
import pyarrow as pa
import pytest

from crmlens.errors import SourceError
from crmlens.sources import duckdb_compat, open_source
from golden_digest import assert_same_results, run_digests

DATA = Path(__file__).parent / "data"
INSTALLED_MAJOR = int(duckdb.__version__.split(".")[0])


def unpack(name: str, tmp_path):
    target = tmp_path / name.removesuffix(".gz")
    with gzip.open(DATA / name) as src, target.open("wb") as out:
        shutil.copyfileobj(src, out)
    return target


def test_header_names_storage_version_and_writer(tmp_path):
    old, new = (
        unpack("duckdb-1.5.6.duckdb.gz", tmp_path),
        unpack("duckdb-2.0.0.duckdb.gz", tmp_path),
    )
    assert duckdb_compat.read_header(old) == duckdb_compat.FileHeader(64, "v1.5.6")
    assert duckdb_compat.read_header(new) == duckdb_compat.FileHeader(69, "v2.0.0")
    assert duckdb_compat.read_header(DATA / "duckdb-1.5.6.duckdb.gz").storage_version is None


def test_file_written_by_duckdb_1_gives_the_same_numbers_as_by_duckdb_2(tmp_path):
    old, new = (
        unpack("duckdb-1.5.6.duckdb.gz", tmp_path),
        unpack("duckdb-2.0.0.duckdb.gz", tmp_path),
    )
    if INSTALLED_MAJOR < 2:
        pytest.skip("DuckDB 1.x cannot read a 2.x file (the next test checks the message)")
    assert_same_results(run_digests(str(new)), run_digests(str(old)), every=False)


@pytest.mark.skipif(INSTALLED_MAJOR >= 2, reason="DuckDB 2.x reads the file")
def test_file_too_new_for_the_installed_duckdb_gets_a_specific_message(tmp_path):
    new = unpack("duckdb-2.0.0.duckdb.gz", tmp_path)
    with pytest.raises(SourceError) as caught:
        open_source(new)
    assert caught.value.code == "error.duckdb_storage_version"
    assert caught.value.params["storage"] == "69" and caught.value.params["writer"] == "v2.0.0"
    cli = subprocess.run(
        [sys.executable, "-m", "crmlens.cli", "doctor", "-s", str(new)],
        capture_output=True,
        text=True,
    )
    assert cli.returncode == 2
    assert "storage version 69" in cli.stdout + cli.stderr
    assert "Traceback" not in cli.stderr


def test_ibis_backend_fetches_results_on_the_installed_duckdb(tmp_path):
    """Ibis 12 calls the connection's fetch_arrow_table / fetch_record_batch (removed in 2.0)."""
    path = unpack("duckdb-1.5.6.duckdb.gz", tmp_path)
    con = ibis.duckdb.connect(str(path), read_only=True)  # 2.x reads a 1.x file too
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        assert "salesforce__contact_enhanced" in con.list_tables()
        table = con.table("salesforce__contact_enhanced")
        batches = list(table.limit(5).to_pyarrow_batches(chunk_size=2))
    assert sum(b.num_rows for b in batches) == 5 and len(batches) == 3
    assert not [w for w in caught if "DB-API result" in str(w.message)]  # no extra-copy noise


class _ResultsWithoutFetch:
    """A stand-in for DuckDB 2.0's connection: only the new method names."""

    def to_arrow_table(self):
        return pa.table({"a": [1, 2, 3]})

    def to_arrow_reader(self, batch_size):
        return pa.RecordBatchReader.from_batches(
            pa.schema([("a", pa.int64())]),
            pa.table({"a": [1, 2, 3]}).to_batches(max_chunksize=batch_size),
        )


def test_install_adds_only_the_missing_aliases():
    added = duckdb_compat.install(_ResultsWithoutFetch)
    assert added == ["fetch_arrow_table", "fetch_record_batch"]
    results = _ResultsWithoutFetch()
    assert results.fetch_arrow_table()["a"].to_pylist() == [1, 2, 3]
    assert [b.num_rows for b in results.fetch_record_batch(rows_per_batch=2)] == [2, 1]
    assert duckdb_compat.install(_ResultsWithoutFetch) == []  # a second call changes nothing
    if INSTALLED_MAJOR < 2:  # DuckDB 1.x keeps its own methods untouched
        assert duckdb_compat.install() == []
