"""Generator ↔ contracts agreement, determinism, messiness."""

import hashlib

import duckdb
import pytest

from crmlens.outputs import GENERATED_TABLE
from crmlens.schema.contracts import CONTRACTS, LOGICAL_TYPES
from crmlens.sources import open_source
from crmlens.sources.base import physical_family
from crmlens.synth import generate


def test_every_contract_column_generated_with_right_type(gen_db):
    data = open_source(gen_db)
    for name, spec in CONTRACTS.items():
        t = data.table(name)
        schema = t.schema()
        for col in spec.columns:
            assert col.name in schema, f"{name}.{col.name} not generated"
            assert physical_family(schema[col.name]) in LOGICAL_TYPES[col.type], (
                f"{name}.{col.name}: {schema[col.name]}"
            )
        assert int(t.count().execute()) > 0


def table_checksums(path) -> dict[str, str]:
    con = duckdb.connect(str(path), read_only=True)
    out = {}
    for (name,) in con.execute(
        "SELECT table_name FROM information_schema.tables ORDER BY 1"
    ).fetchall():
        rows = con.execute(f'SELECT * FROM "{name}" ORDER BY ALL').fetchall()
        out[name] = hashlib.sha256(repr(rows).encode()).hexdigest()
    con.close()
    return out


def test_same_seed_same_tables(tmp_path):
    a = generate(tmp_path / "a.duckdb", 1200, 5)
    b = generate(tmp_path / "b.duckdb", 1200, 5)
    generate(tmp_path / "c.duckdb", 1200, 6)
    assert a == b
    sa, sb, sc = (
        table_checksums(tmp_path / "a.duckdb"),
        table_checksums(tmp_path / "b.duckdb"),
        table_checksums(tmp_path / "c.duckdb"),
    )
    assert sa == sb
    assert set(sa) == set(CONTRACTS) | {GENERATED_TABLE}  # the six tables + crmlens' marker
    assert sa != sc


def test_messiness_present(gen_db):
    con = duckdb.connect(str(gen_db), read_only=True)
    q = lambda sql: con.execute(sql).fetchone()[0]  # noqa: E731
    acc, cts = "salesforce__customer_360_view", "salesforce__contact_enhanced"
    n = q(f"SELECT count(*) FROM {acc}")
    assert 0.25 < q(f"SELECT avg((annual_revenue IS NULL)::int) FROM {acc}") < 0.35
    assert 0.15 < q(f"SELECT avg((number_of_employees IS NULL)::int) FROM {acc}") < 0.25
    assert q(f"SELECT count(*) FROM {acc} WHERE number_of_employees BETWEEN 1 AND 5") > 0
    assert (
        q(
            f"SELECT count(*) FROM {acc} a WHERE NOT EXISTS"
            f" (SELECT 1 FROM {cts} c WHERE c.account_id = a.account_id)"
        )
        > 0.2 * n
    )
    assert (
        q(
            f"SELECT count(*) FROM {cts} c WHERE NOT EXISTS"
            f" (SELECT 1 FROM {acc} a WHERE c.account_id = a.account_id)"
        )
        > 0
    )
    assert q(f"SELECT count(*) FROM {cts} WHERE is_deleted") > 0
    assert 2.0 < q(f"SELECT count(*) FROM {cts}") / n < 3.0  # ~2.5 contacts per account
    assert (
        q(
            f"SELECT count(*) FROM {cts}"
            " WHERE title IN ('Director', 'Executive Assistant to the CEO', 'Inspector')"
        )
        > 0
    )
    assert q(f"SELECT count(*) FROM {cts} WHERE title = '首席执行官' OR department = '财务部'") > 0
    cv = "customer360__customer_value_analysis"
    assert (
        q(f"SELECT count(*) - count(DISTINCT lower(primary_email)) FROM {cv}") > 0
    )  # case-duplicates
    assert q(f"SELECT count(*) FROM {cv} WHERE acquisition_cost <= 0") > 0
    miss = q(
        "SELECT avg((product_adoption_rate IS NULL OR support_resolution_efficiency IS NULL)::int)"
        f" FROM {cv}"
    )
    assert 0.25 < miss < 0.42
    r = q(f"SELECT corr(customer_onboarding_score, product_adoption_rate) FROM {cv}")
    assert 0.15 < r < 0.45
    con.close()


@pytest.mark.parametrize("fmt", ["sqlite", "parquet", "csv"])
def test_other_formats_hold_the_same_rows(tmp_path, fmt):
    out = tmp_path / ("x.sqlite" if fmt == "sqlite" else "x")
    counts = generate(out, 1000, 3, fmt)
    d = generate(tmp_path / "x.duckdb", 1000, 3)
    assert counts == d
    data = open_source(out)
    for name, n in counts.items():
        assert int(data.table(name).count().execute()) == n


def test_failed_generation_leaves_nothing(tmp_path, monkeypatch):
    from crmlens.synth import generator

    def boom(*a, **k):
        raise RuntimeError("disk full")

    monkeypatch.setattr(generator, "customers_chunk", boom)
    with pytest.raises(RuntimeError):
        generate(tmp_path / "g.duckdb", 1000, 1)
    assert list(tmp_path.iterdir()) == []
