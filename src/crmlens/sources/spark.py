"""Spark engine (extra ``spark``): the same Ibis expressions run on PySpark.

Folders of Parquet/CSV files are read by Spark itself (scales to a cluster); DuckDB and SQLite
files are read once through Arrow and registered as Spark temporary views (convenient for tests
and small data — large data should be handed to Spark as Parquet).  Needs Java 17;
``SPARK_LOCAL_IP`` defaults to 127.0.0.1 for local runs.
"""

from __future__ import annotations

import os
from pathlib import Path

from crmlens.config import EngineConfig, SourceMapping
from crmlens.errors import SourceError
from crmlens.sources.base import DUCKDB_MAGIC, SQLITE_MAGIC, Dataset, _first_line


def spark_session(cfg: EngineConfig):
    os.environ.setdefault("SPARK_LOCAL_IP", "127.0.0.1")
    try:
        from pyspark.sql import SparkSession
    except ImportError:
        raise SourceError("error.spark_missing") from None
    b = SparkSession.builder.master(cfg.spark_master).appName("crmlens")
    conf = {
        "spark.ui.enabled": "false",
        "spark.sql.shuffle.partitions": "8",
        "spark.sql.session.timeZone": "UTC",
    } | dict(cfg.spark_conf)
    for k, v in conf.items():
        b = b.config(k, v)
    return b.getOrCreate()


class SparkLoader:
    def __init__(self, location: Path, con, spark) -> None:
        self.location, self.con, self.spark = location, con, spark
        if location.is_dir():
            from crmlens.sources.folder import SUFFIXES

            self.files = {
                f.name[: -len(s)]: f
                for f in sorted(location.iterdir())
                for s in SUFFIXES
                if f.name.endswith(s)
            }
            self.db = None
        else:
            self.files = {}
            from crmlens.sources.base import open_source

            self.db = open_source(location)  # DuckDB or SQLite, read-only

    def names(self) -> list[str]:
        return list(self.files) if self.db is None else sorted(self.db.available())

    def __call__(self, name: str):
        try:
            if self.db is not None:
                return temp_view(
                    self.spark, self.con, name, self.db.table(name).to_pyarrow().to_pandas()
                )
            f = self.files[name]
            if f.name.endswith(".parquet"):
                return self.con.read_parquet(str(f), table_name=name)
            return self.con.read_csv(str(f), table_name=name, header=True, inferSchema=True)
        except SourceError:
            raise
        except Exception as exc:
            raise SourceError(
                "error.table_unreadable", table=name, reason=_first_line(exc)
            ) from None


def temp_view(spark, con, name: str, df):
    """Register a pandas frame as a Spark temporary view (Spark has no temporary tables)."""
    spark.createDataFrame(df).createOrReplaceTempView(name)
    return con.table(name)


def open_spark(location: str, mapping: SourceMapping, cfg: EngineConfig) -> Dataset:
    import ibis

    p = Path(location)
    if not p.exists():
        raise SourceError("error.source_missing", source=location)
    if p.is_file():
        head = p.read_bytes()[:16]
        if not (head.startswith(SQLITE_MAGIC) or head[8:12] == DUCKDB_MAGIC):
            raise SourceError("error.source_format", source=location)
    spark = spark_session(cfg)
    con = ibis.pyspark.connect(spark)
    return Dataset(
        con,
        "spark",
        location,
        mapping,
        loader=SparkLoader(p, con, spark),
        register_frame=lambda name, df: temp_view(spark, con, name, df),
    )
