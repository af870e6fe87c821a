"""Every registered analysis gives the same results on local Spark as on DuckDB: each metric,
finding, recommendation, method value and a hash of every table (the golden-digest parts), so
an analysis added later is covered without touching this file.  Skipped where PySpark or Java is
missing; `.ci/run` installs the `spark` extra and runs it."""

import shutil

import pytest

from crmlens.config import CrmlensConfig
from golden_digest import assert_same_results, run_digests

pyspark = pytest.importorskip("pyspark")
pytestmark = [
    pytest.mark.spark,
    pytest.mark.skipif(shutil.which("java") is None, reason="Java is not installed"),
]


@pytest.fixture(scope="module")
def parquet_folder(tmp_path_factory):
    from crmlens.synth import generate

    out = tmp_path_factory.mktemp("spark") / "data"
    generate(out, 3000, 7, "parquet")
    return out


# segmentation also from the customer-360 scores: its engine part is checked too
CHOICES = {"segmentation": {"rfm_source": "customer360"}}


def test_every_analysis_same_on_spark_as_on_duckdb(parquet_folder):
    spark = CrmlensConfig.model_validate({"engine": {"name": "spark"}, **CHOICES})
    on_spark = run_digests(str(parquet_folder), spark)
    on_duckdb = run_digests(str(parquet_folder), CrmlensConfig.model_validate(CHOICES))
    assert_same_results(on_spark, on_duckdb)
