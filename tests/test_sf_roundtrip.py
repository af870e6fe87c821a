"""Round trip: the same generated data as canonical tables and as a Salesforce Data Export gives
the same headline numbers for every analysis that can run on both.

The canonical side is the Parquet folder of the same seed (the canonical tables, byte for byte
the generator's).  Documented differences: ``contacts_deleted`` — the export reader drops
``IsDeleted`` rows (reported by doctor as ``sf.deleted_rows``), so the analysis sees none."""

import pytest

from crmlens.api import run
from crmlens.config import CrmlensConfig
from crmlens.sources import open_source
from crmlens.synth import generate

SEED, ACCOUNTS = 7, 2000
DERIVED_DIFFERENTLY = {("contact_coverage", "contacts_deleted")}


@pytest.fixture(scope="module")
def sources(tmp_path_factory):
    base = tmp_path_factory.mktemp("roundtrip")
    generate(base / "canonical", ACCOUNTS, SEED, "parquet")
    generate(base / "export", ACCOUNTS, SEED, "sf-export")
    config = CrmlensConfig.model_validate(
        {"source": {"salesforce_export": {"as_of": "2026-06-30"}}}
    )
    return base / "canonical", base / "export", config


def test_same_headline_numbers(sources):
    canonical, export, config = sources
    from_export = run(export, config=config)
    ran = list(from_export.results)
    assert "contact_coverage" in ran
    from_canonical = run(canonical, ran, config=config)
    a = from_canonical.metrics().set_index(["analysis", "metric"])["value"]
    b = from_export.metrics().set_index(["analysis", "metric"])["value"]
    assert set(a.index) == set(b.index)
    different = {key for key in a.index if str(a[key]) != str(b[key])}
    assert different == DERIVED_DIFFERENTLY
    deleted = open_source(export, config.source).notes
    dropped = {n["table"]: n["params"]["count"] for n in deleted if n["code"] == "sf.deleted_rows"}
    assert dropped["Contact"] == a[("contact_coverage", "contacts_deleted")]
    assert b[("contact_coverage", "contacts_deleted")] == 0


def fivetran_raw_file(export, path):
    """The export's objects as raw Fivetran tables: snake_case names, typed columns (as DuckDB
    infers them), ``_fivetran_synced``/``_fivetran_active``; one inactive history-mode copy of
    an account that must not be read."""
    import duckdb

    from crmlens.sources.layouts import snake

    con = duckdb.connect(str(path))
    for f in sorted(export.glob("*.csv")):
        columns = [c[0] for c in con.execute(f"DESCRIBE SELECT * FROM read_csv('{f}')").fetchall()]
        select = ", ".join(f'"{c}" AS "{snake(c)}"' for c in columns)
        con.execute(
            f'CREATE TABLE "{snake(f.stem)}" AS SELECT {select}, now() AS _fivetran_synced, '
            f"TRUE AS _fivetran_active FROM read_csv('{f}')"
        )
    con.execute(
        "INSERT INTO account SELECT * REPLACE (FALSE AS _fivetran_active, 'Old name' AS name) "
        "FROM account LIMIT 1"
    )
    con.close()
    return path


def test_raw_fivetran_tables_same_numbers(sources, tmp_path, capsys):
    canonical, export, config = sources
    raw = fivetran_raw_file(export, tmp_path / "fivetran.duckdb")
    data = open_source(raw, config.source)
    assert data.layout == "fivetran_raw"
    names = set(data.table("salesforce__customer_360_view").execute()["account_name"])
    assert "Old name" not in names  # inactive history-mode rows are not read
    assert not [n for n in data.notes if n["code"] == "sf.duplicate_ids"]
    a = run(canonical, ["contact_coverage"], config=config).metrics()
    b = run(raw, ["contact_coverage"], config=config).metrics()
    a, b = (m.set_index(["analysis", "metric"])["value"] for m in (a, b))
    different = {key for key in a.index if str(a[key]) != str(b[key])}
    assert different == DERIVED_DIFFERENTLY
    from crmlens.cli import main

    main(["doctor", "-s", str(raw)])
    assert "Layout recognised: raw Fivetran Salesforce tables" in capsys.readouterr().out
