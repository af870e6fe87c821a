"""Every registered analysis gives the same results on PostgreSQL as on DuckDB, through a role
that may only SELECT, and the database is unchanged afterwards (no table, view or temporary
schema left behind).

Needs a server: ``CRMLENS_TEST_POSTGRES_URL`` names a superuser connection (``.ci/run`` starts
one with ``.ci/start-postgres``) and the ``postgres`` extra (psycopg).  The test creates its own
database and role and drops both at the end."""

from __future__ import annotations

import os
import subprocess
import sys
from urllib.parse import urlsplit, urlunsplit

import pytest

from crmlens.config import CrmlensConfig
from golden_digest import assert_same_results, run_digests

try:
    import psycopg
except ImportError:
    psycopg = None
ADMIN_URL = os.environ.get("CRMLENS_TEST_POSTGRES_URL", "")
needs_server = pytest.mark.skipif(
    psycopg is None or not ADMIN_URL,
    reason="no PostgreSQL: install the postgres extra and set CRMLENS_TEST_POSTGRES_URL "
    "(.ci/start-postgres)",
)
DATABASE, READER = f"crmlens_parity_{os.getpid()}", f"crmlens_reader_{os.getpid()}"
PG_TYPES = {
    "string": "text",
    "large_string": "text",
    "int64": "bigint",
    "int32": "integer",
    "int16": "smallint",
    "int8": "smallint",
    "double": "double precision",
    "float": "real",
    "bool": "boolean",
    "date32[day]": "date",
}
CATALOG_OBJECTS = """
    SELECT n.nspname, c.relname, c.relkind FROM pg_class c
    JOIN pg_namespace n ON n.oid = c.relnamespace
    WHERE n.nspname NOT IN ('pg_catalog', 'information_schema', 'pg_toast')
    UNION ALL SELECT nspname, '', 'namespace' FROM pg_namespace
    ORDER BY 1, 2, 3"""


def with_database(url: str, database: str, user: str | None = None) -> str:
    parts = urlsplit(url)
    netloc = parts.netloc if user is None else f"{user}@{parts.netloc.split('@')[-1]}"
    return urlunsplit((parts.scheme, netloc, "/" + database, parts.query, ""))


def pg_type(arrow_type) -> str:
    text = str(arrow_type)
    if text.startswith("timestamp"):
        return "timestamptz" if "tz=" in text else "timestamp"
    if text.startswith("decimal"):
        return "numeric"
    return PG_TYPES[text]


def load_duckdb_file(path, url: str) -> None:
    """Copy every table of a DuckDB file into the Postgres database at ``url`` (COPY)."""
    import duckdb

    source = duckdb.connect(str(path), read_only=True)
    with psycopg.connect(url, autocommit=True) as pg:
        for (name,) in source.execute("SELECT table_name FROM duckdb_tables()").fetchall():
            table = source.sql(f'SELECT * FROM "{name}"').to_arrow_table()
            columns = ", ".join(f'"{f.name}" {pg_type(f.type)}' for f in table.schema)
            pg.execute(f'CREATE TABLE "{name}" ({columns})')
            with pg.cursor().copy(f'COPY "{name}" FROM STDIN') as copy:
                for row in table.to_pylist():
                    copy.write_row(list(row.values()))
    source.close()


@pytest.fixture(scope="module")
def warehouse(tmp_path_factory):
    """(DuckDB file, read-only role URL, admin URL of the test database)."""
    from crmlens.synth import generate

    path = tmp_path_factory.mktemp("pg") / "data.duckdb"
    generate(path, 1500, 3)
    with psycopg.connect(ADMIN_URL, autocommit=True) as admin:
        admin.execute(f"CREATE DATABASE {DATABASE}")
        admin.execute(f"CREATE ROLE {READER} LOGIN")
    admin_url = with_database(ADMIN_URL, DATABASE)
    load_duckdb_file(path, admin_url)
    with psycopg.connect(admin_url, autocommit=True) as db:
        db.execute(f"REVOKE ALL ON DATABASE {DATABASE} FROM PUBLIC")  # no TEMP for anyone
        db.execute(f"GRANT CONNECT ON DATABASE {DATABASE} TO {READER}")
        db.execute(f"GRANT USAGE ON SCHEMA public TO {READER}")
        db.execute(f"GRANT SELECT ON ALL TABLES IN SCHEMA public TO {READER}")
    yield path, with_database(ADMIN_URL, DATABASE, READER), admin_url
    with psycopg.connect(ADMIN_URL, autocommit=True) as admin:
        admin.execute(f"DROP DATABASE IF EXISTS {DATABASE} WITH (FORCE)")
        admin.execute(f"DROP ROLE IF EXISTS {READER}")


def catalog(url: str) -> list[tuple]:
    with psycopg.connect(url) as db:
        return db.execute(CATALOG_OBJECTS).fetchall()


@needs_server
def test_every_analysis_same_on_postgres_as_on_duckdb_and_database_unchanged(warehouse):
    path, reader_url, admin_url = warehouse
    before = catalog(admin_url)
    choices = CrmlensConfig.model_validate({"segmentation": {"rfm_source": "customer360"}})
    assert_same_results(run_digests(reader_url, choices), run_digests(str(path), choices))
    assert catalog(admin_url) == before  # no table, view, temp table or pg_temp schema left


@needs_server
def test_session_is_read_only_even_for_a_role_that_could_write(warehouse):
    from crmlens.sources import open_source

    _, _, admin_url = warehouse
    data = open_source(admin_url)
    assert data.kind == "postgres"
    with pytest.raises(Exception, match="read-only transaction"):
        data.backend.raw_sql("CREATE TABLE crmlens_should_not_exist (a int)")
    data.close()
    assert ("public", "crmlens_should_not_exist", "r") not in catalog(admin_url)


@needs_server
def test_cli_doctor_and_run_on_postgres_hide_the_password(warehouse, tmp_path):
    _, reader_url, _ = warehouse
    parts = urlsplit(reader_url)
    with_password = urlunsplit(
        (parts.scheme, parts.netloc.replace("@", ":s3cret@"), parts.path, "", "")
    )  # trust authentication ignores the password; it must never be shown
    for command in (["doctor"], ["run", "-o", str(tmp_path / "out")]):
        cli = subprocess.run(
            [sys.executable, "-m", "crmlens.cli", *command, "-s", with_password],
            capture_output=True,
            text=True,
        )
        assert cli.returncode == 0, cli.stdout + cli.stderr
        assert "s3cret" not in cli.stdout + cli.stderr
    assert "s3cret" not in (tmp_path / "out" / "summary.json").read_text(encoding="utf-8")


def test_without_the_driver_the_message_names_the_extra(monkeypatch):
    from crmlens.errors import SourceError
    from crmlens.sources import open_source

    monkeypatch.setitem(sys.modules, "psycopg", None)  # importing it fails
    with pytest.raises(SourceError) as caught:
        open_source("postgresql://reader:secret@127.0.0.1:1/crm")
    assert caught.value.code == "error.postgres_missing"
