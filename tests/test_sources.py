"""Every source kind reads the same generated data to the same results; mapping; read-only."""

import hashlib
import shutil

import duckdb
import pytest

from crmlens.analyses import REGISTRY
from crmlens.cli import main
from crmlens.config import CrmlensConfig
from crmlens.sources import open_source
from crmlens.synth import generate
from golden_digest import assert_same_results, run_digests

HEADLINE = [
    "key_accounts",
    "revenue_threshold",
    "high_risk",
    "strong_risk",
    "contacts_to_add",
    "executives_to_add",
    "fail_density_red_line",
    "fail_decision_red_line",
    "fail_coverage_red_line",
    "contacts_orphan",
    "median_density",
]


@pytest.fixture(scope="module")
def formats(tmp_path_factory):
    base = tmp_path_factory.mktemp("fmts")
    paths = {
        "duckdb": base / "d.duckdb",
        "sqlite": base / "d.sqlite",
        "parquet": base / "pq",
        "csv": base / "csv",
    }
    for fmt, p in paths.items():
        generate(p, 2500, 9, fmt)
    return paths


def headline(path, cfg=None):
    r = REGISTRY["contact_coverage"].run(
        open_source(path, (cfg or CrmlensConfig()).source), cfg or CrmlensConfig()
    )
    return {k: r.metric(k) for k in HEADLINE}


def test_all_source_kinds_agree(formats):
    """Every registered analysis: each metric, finding, recommendation, method value and a hash
    of every table (values and dtypes) is the same from SQLite, Parquet and CSV as from DuckDB."""
    on_duckdb = run_digests(str(formats["duckdb"]))
    for fmt in ("sqlite", "parquet", "csv"):
        assert_same_results(run_digests(str(formats[fmt])), on_duckdb)


def test_ibis_url_source(formats):
    assert headline(f"duckdb://{formats['duckdb']}?read_only=True") == headline(formats["duckdb"])


def test_table_and_column_mapping(formats, tmp_path):
    src = duckdb.connect(str(formats["duckdb"]), read_only=True)
    dst = tmp_path / "renamed.duckdb"
    out = duckdb.connect(str(dst))
    acc = src.sql("SELECT * FROM salesforce__customer_360_view").to_arrow_table()
    con = src.sql("SELECT * FROM salesforce__contact_enhanced").to_arrow_table()
    out.register("a", acc)
    out.register("c", con)
    out.execute("CREATE TABLE accounts AS SELECT * RENAME (annual_revenue AS revenue_usd) FROM a")
    out.execute("CREATE TABLE people AS SELECT * RENAME (title AS job_title) FROM c")
    out.close()
    src.close()
    cfg = CrmlensConfig.model_validate(
        {
            "source": {
                "tables": {
                    "salesforce__customer_360_view": "accounts",
                    "salesforce__contact_enhanced": "people",
                },
                "columns": {
                    "salesforce__customer_360_view": {"annual_revenue": "revenue_usd"},
                    "salesforce__contact_enhanced": {"title": "job_title"},
                },
            }
        }
    )
    assert headline(dst, cfg) == headline(formats["duckdb"])


def digest(path):
    h = hashlib.sha256()
    files = [path] if path.is_file() else sorted(p for p in path.rglob("*") if p.is_file())
    for f in files:
        h.update(f.name.encode())
        h.update(f.read_bytes())
    return h.hexdigest()


@pytest.mark.parametrize("fmt", ["duckdb", "sqlite", "csv"])
def test_source_is_byte_identical_after_commands(formats, tmp_path, fmt):
    src = tmp_path / formats[fmt].name
    (shutil.copytree if formats[fmt].is_dir() else shutil.copy2)(formats[fmt], src)
    before = digest(src)
    assert main(["doctor", "--source", str(src)]) == 0
    assert main(["run", "--source", str(src), "--out", str(tmp_path / "rep"), "--no-png"]) == 0
    assert digest(src) == before
    assert sorted(p.name for p in src.parent.iterdir()) == sorted([src.name, "rep"])


def test_every_duckdb_connection_has_crmlens_session_settings(tmp_path):
    """Each kind of source crmlens opens on DuckDB gets the same settings: no progress bar on
    the user's terminal, and the allocator's background threads that hand memory a large query
    freed back to the system (at 1M accounts 0.5 GB stayed with the process without them)."""
    import pandas as pd

    from crmlens.sources.memory import open_frames

    frames = {"t": pd.DataFrame({"a": [1, 2]})}
    db = tmp_path / "x.duckdb"
    with duckdb.connect(str(db)) as con:
        con.execute("CREATE TABLE t AS SELECT 1 AS a")
    (tmp_path / "folder").mkdir()
    (tmp_path / "folder" / "t.csv").write_text("a\n1\n")
    for data in (open_frames(frames), open_source(db), open_source(tmp_path / "folder")):
        settings = data.backend.raw_sql(
            "SELECT current_setting('enable_progress_bar'), "
            "current_setting('allocator_background_threads')"
        ).fetchone()
        assert settings == (False, True), data.kind
