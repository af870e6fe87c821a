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
