"""The portfolio review gives the same figures on DuckDB and on local Spark (hand fixture and a
generated dataset).  Skipped where PySpark or Java is missing."""

from __future__ import annotations

import datetime as dt
import shutil

import pytest

from crmlens.analyses import REGISTRY
from crmlens.config import CrmlensConfig
from crmlens.runner import open_dataset
from portfolio_reference import generate
from test_portfolio_review import fixture_frames

pyspark = pytest.importorskip("pyspark")
pytestmark = [
    pytest.mark.spark,
    pytest.mark.skipif(shutil.which("java") is None, reason="Java is not installed"),
]


@pytest.mark.parametrize(
    "frames", [fixture_frames, lambda: generate(11)], ids=["hand", "generated"]
)
def test_duckdb_and_spark_agree(tmp_path, frames):
    for name, frame in frames().items():
        frame.to_parquet(tmp_path / f"{name}.parquet", index=False)
    section = {"portfolio_review": {"as_of_source": "run"}}
    duck = CrmlensConfig.model_validate(section)
    spark = CrmlensConfig.model_validate({**section, "engine": {"name": "spark"}})
    as_of = dt.date(2025, 12, 31)
    spec = REGISTRY["portfolio_review"]
    a = spec.run(open_dataset(str(tmp_path), duck), duck, as_of=as_of)
    b = spec.run(open_dataset(str(tmp_path), spark), spark, as_of=as_of)
    assert {k: m.value for k, m in a.metrics.items()} == {k: m.value for k, m in b.metrics.items()}
    assert a.tables["cards"].equals(b.tables["cards"])
