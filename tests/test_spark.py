"""The same analyses on DuckDB and on local Spark give identical headline numbers.
Skipped where PySpark or Java is missing; `.ci/run` installs the `spark` extra and runs it."""

import shutil

import pytest

from crmlens.analyses import REGISTRY
from crmlens.config import CrmlensConfig
from crmlens.runner import open_dataset
from crmlens.synth import generate

pyspark = pytest.importorskip("pyspark")
pytestmark = [
    pytest.mark.spark,
    pytest.mark.skipif(shutil.which("java") is None, reason="Java is not installed"),
]


@pytest.fixture(scope="module")
def parquet_folder(tmp_path_factory):
    out = tmp_path_factory.mktemp("spark") / "data"
    generate(out, 3000, 7, "parquet")
    return out


def test_duckdb_and_spark_agree(parquet_folder):
    duck = CrmlensConfig()
    spark = CrmlensConfig.model_validate({"engine": {"name": "spark"}})
    d_data, s_data = (
        open_dataset(str(parquet_folder), duck),
        open_dataset(str(parquet_folder), spark),
    )
    assert s_data.kind == "spark"
    for name, analysis in REGISTRY.items():
        a = analysis.run(d_data, duck)
        b = analysis.run(s_data, spark)
        assert {k: m.value for k, m in a.metrics.items()} == {
            k: m.value for k, m in b.metrics.items()
        }, name
        ea, eb = a.tables["entities"], b.tables["entities"]
        assert list(ea["entity_id"]) == list(eb["entity_id"]) and list(ea["tier"]) == list(
            eb["tier"]
        )
