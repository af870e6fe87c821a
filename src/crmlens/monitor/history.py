"""History store: a DuckDB file owned by crmlens (never the user's source).

Each run appends, in one transaction, its metadata, every scalar metric and every entity's state
(the ``entities`` table of each result).  A crash before COMMIT leaves nothing behind; DuckDB
allows one writer process at a time, so a second writer waits (with backoff) for the lock instead
of failing, up to ``lock_timeout`` seconds.
"""

from __future__ import annotations

import datetime as dt
import json
import time
import uuid
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Iterator

import duckdb
import pandas as pd

from crmlens import __version__
from crmlens.analyses.base import AnalysisResult
from crmlens.errors import CrmlensError

SCHEMA = [
    """CREATE TABLE IF NOT EXISTS runs (
        run_id VARCHAR PRIMARY KEY, recorded_at TIMESTAMP, as_of DATE, source VARCHAR,
        data_fingerprint VARCHAR, config_hash VARCHAR, version VARCHAR, analyses VARCHAR)""",
    """CREATE TABLE IF NOT EXISTS metrics (
        run_id VARCHAR, analysis VARCHAR, metric VARCHAR, value DOUBLE, text_value VARCHAR, unit VARCHAR)""",
    """CREATE TABLE IF NOT EXISTS entities (
        run_id VARCHAR, analysis VARCHAR, entity_id VARCHAR, entity_name VARCHAR, tier VARCHAR, attrs VARCHAR)""",
]


class HistoryLocked(CrmlensError):
    code = "error.history_locked"


@dataclass(frozen=True)
class Run:
    run_id: str
    as_of: dt.date
    recorded_at: dt.datetime


class HistoryStore:
    def __init__(self, path: str | Path, lock_timeout: float = 120.0) -> None:
        self.path = Path(path)
        self.lock_timeout = lock_timeout

    @contextmanager
    def connect(self, read_only: bool = False) -> Iterator[duckdb.DuckDBPyConnection]:
        if read_only and not self.path.exists():
            con = duckdb.connect()  # empty in-memory store: no history yet
            for stmt in SCHEMA:
                con.execute(stmt)
            yield con
            con.close()
            return
        deadline = time.monotonic() + self.lock_timeout
        delay = 0.05
        while True:
            try:
                self.path.parent.mkdir(parents=True, exist_ok=True)
                con = duckdb.connect(str(self.path), read_only=read_only)
                break
            except duckdb.IOException as exc:  # another process holds the write lock
                if "lock" not in str(exc).lower() or time.monotonic() > deadline:
                    raise HistoryLocked(path=str(self.path), reason=str(exc).splitlines()[0]) from None
                time.sleep(delay)
                delay = min(delay * 2, 1.0)
        try:
            if not read_only:
                for stmt in SCHEMA:
                    con.execute(stmt)
            yield con
        finally:
            con.close()

    # ---- writing ------------------------------------------------------------------------------
    def record(self, results: dict[str, AnalysisResult], *, as_of: dt.date, source: str, data_fingerprint: str,
               config_hash: str) -> Run:
        run = Run(uuid.uuid4().hex[:12], as_of, dt.datetime.now().replace(microsecond=0))
        metric_rows, entity_rows = [], []
        for name, r in results.items():
            for k, m in r.metrics.items():
                num = float(m.value) if isinstance(m.value, (int, float)) and not isinstance(m.value, bool) else None
                metric_rows.append((run.run_id, name, k, num, None if num is not None else _text(m.value), m.unit))
            ent = r.tables.get("entities")
            if ent is not None and len(ent):
                attrs = ent.drop(columns=[c for c in ("entity_id", "entity_name", "tier") if c in ent.columns])
                blobs = attrs.to_json(orient="records", lines=True).splitlines() if len(attrs.columns) else ["{}"] * len(ent)
                entity_rows.append(pd.DataFrame({
                    "run_id": run.run_id, "analysis": name, "entity_id": ent["entity_id"].astype(str),
                    "entity_name": ent.get("entity_name", ent["entity_id"]).astype(str), "tier": ent["tier"].astype(str), "attrs": blobs,
                }))
        with self.connect() as con:
            con.execute("BEGIN TRANSACTION")
            try:
                con.execute("INSERT INTO runs VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                            [run.run_id, run.recorded_at, as_of, source, data_fingerprint, config_hash, __version__, ",".join(results)])
                if metric_rows:
                    con.executemany("INSERT INTO metrics VALUES (?, ?, ?, ?, ?, ?)", metric_rows)
                self._insert_entities(con, entity_rows)
                con.execute("COMMIT")
            except BaseException:
                con.execute("ROLLBACK")
                raise
        return run

    def _insert_entities(self, con: duckdb.DuckDBPyConnection, frames: list[pd.DataFrame]) -> None:
        for frame in frames:
            con.register("_entities", frame)
            con.execute("INSERT INTO entities SELECT run_id, analysis, entity_id, entity_name, tier, attrs FROM _entities")
            con.unregister("_entities")

    # ---- reading ------------------------------------------------------------------------------
    def runs(self) -> pd.DataFrame:
        with self.connect(read_only=True) as con:
            return con.execute("SELECT * FROM runs ORDER BY as_of, recorded_at, run_id").df()

    def metric_series(self, metric: str, analysis: str | None = None) -> pd.DataFrame:
        sql = ("SELECT r.run_id, r.as_of, r.recorded_at, m.analysis, m.metric, m.value, m.text_value FROM metrics m "
               "JOIN runs r USING (run_id) WHERE m.metric = ?" + (" AND m.analysis = ?" if analysis else "") +
               " ORDER BY r.as_of, r.recorded_at, r.run_id")
        with self.connect(read_only=True) as con:
            return con.execute(sql, [metric, analysis] if analysis else [metric]).df()

    def metrics_of(self, run_id: str) -> pd.DataFrame:
        with self.connect(read_only=True) as con:
            return con.execute("SELECT analysis, metric, value, text_value FROM metrics WHERE run_id = ?", [run_id]).df()

    def entities_of(self, run_id: str, analysis: str) -> pd.DataFrame:
        with self.connect(read_only=True) as con:
            df = con.execute("SELECT entity_id, entity_name, tier, attrs FROM entities WHERE run_id = ? AND analysis = ?",
                             [run_id, analysis]).df()
        if df.empty:
            return pd.DataFrame(columns=["entity_id", "entity_name", "tier"])
        attrs = pd.DataFrame([json.loads(a) for a in df["attrs"]], index=df.index)
        return pd.concat([df.drop(columns="attrs"), attrs], axis=1)

    def previous_runs(self, as_of: dt.date, exclude: str | None = None) -> pd.DataFrame:
        runs = self.runs()
        if runs.empty:
            return runs
        runs = runs[pd.to_datetime(runs["as_of"]).dt.date <= as_of]
        return runs[runs["run_id"] != exclude] if exclude else runs


def _text(v) -> str | None:
    return None if v is None else str(v)
