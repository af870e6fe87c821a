"""History store: a DuckDB file owned by crmlens (never the user's source).

Each run is recorded in one transaction: its metadata, every scalar metric, every entity's state
(the ``entities`` table of each result) and its alerts, queued in the ``outbox`` (one row per
alert and channel) for delivery after the commit.  One run per as-of date: recording a date that
is already recorded replaces that run in the same transaction (the check is made inside it, so two
concurrent runs for one date end with one run).  An alert already queued for the date (same rule,
same content) is not queued again.  A crash before COMMIT leaves nothing behind; DuckDB allows one
writer process at a time, so a second writer waits (with backoff) for the lock instead of failing,
up to ``lock_timeout`` seconds.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import hashlib
import json
import os
import socket
import time
import uuid
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Iterator

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
        run_id VARCHAR, analysis VARCHAR, metric VARCHAR, value DOUBLE,"""
    """ text_value VARCHAR, unit VARCHAR)""",
    """CREATE TABLE IF NOT EXISTS entities (
        run_id VARCHAR, analysis VARCHAR, entity_id VARCHAR, entity_name VARCHAR,"""
    """ tier VARCHAR, attrs VARCHAR)""",
    """CREATE TABLE IF NOT EXISTS outbox (
        alert_key VARCHAR, channel VARCHAR, run_id VARCHAR, as_of DATE, alert VARCHAR,
        created_at TIMESTAMP, delivered_at TIMESTAMP, attempts INTEGER, error VARCHAR,
        claimed_by VARCHAR, claimed_until TIMESTAMP)""",
]
LOG_CHANNEL = "log"  # the alert log file, delivered like a webhook so a killed run still writes it


class HistoryLocked(CrmlensError):
    code = "error.history_locked"


class HistoryWriteFailed(CrmlensError):
    code = "error.history_write"


@dataclass(frozen=True)
class Run:
    run_id: str
    as_of: dt.date
    recorded_at: dt.datetime
    replaced: tuple[str, ...] = ()  # runs of the same date this run replaced
    already_queued: int = 0  # alerts not queued again: the same alert was queued for this date


def new_run_id() -> str:
    return uuid.uuid4().hex[:12]


def alert_key(alert: dict[str, Any]) -> str:
    """Identity of an alert for its date: everything but the run id and the rendered message."""
    content = {k: v for k, v in alert.items() if k not in ("run_id", "message")}
    blob = json.dumps(content, sort_keys=True, ensure_ascii=False, default=str)
    return hashlib.sha256(blob.encode("utf-8")).hexdigest()[:20]


class DuckStore:
    """A DuckDB file owned by crmlens, created with ``schema`` on first write: one writer at a
    time (a second waits for the lock with backoff, up to ``lock_timeout`` seconds), a
    transaction that names the store and the real cause when it fails.  The history store and
    the override store (``crmlens.overrides``) are both one."""

    schema: tuple[str, ...] = ()
    locked_error: type[CrmlensError] = HistoryLocked
    write_error: type[CrmlensError] = HistoryWriteFailed

    def __init__(self, path: str | Path, lock_timeout: float = 120.0) -> None:
        self.path = Path(path)
        self.lock_timeout = lock_timeout

    @contextmanager
    def connect(self, read_only: bool = False) -> Iterator[duckdb.DuckDBPyConnection]:
        if read_only and not self.path.exists():
            con = duckdb.connect()  # empty in-memory store: no history yet
            for stmt in self.schema:
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
            except OSError as exc:  # the folder cannot be created (read-only, full disk)
                raise self.write_error(path=str(self.path), reason=_first_line(exc)) from None
            except duckdb.IOException as exc:  # another process holds the write lock
                if "lock" not in str(exc).lower():
                    raise self.write_error(path=str(self.path), reason=_first_line(exc)) from None
                if time.monotonic() > deadline:
                    raise self.locked_error(path=str(self.path), reason=_first_line(exc)) from None
                time.sleep(delay)
                delay = min(delay * 2, 1.0)
        try:
            if not read_only:
                for stmt in self.schema:
                    con.execute(stmt)
            yield con
        finally:
            con.close()

    @contextmanager
    def transaction(self) -> Iterator[duckdb.DuckDBPyConnection]:
        """One write transaction.  A failure (full disk, I/O error) names the store and the real
        cause; the ROLLBACK is guarded because DuckDB may already have aborted the transaction."""
        with self.connect() as con:
            con.execute("BEGIN TRANSACTION")
            try:
                yield con
                con.execute("COMMIT")
            except BaseException as exc:
                try:
                    con.execute("ROLLBACK")
                except duckdb.Error:
                    pass  # the transaction is already gone; the original error is what matters
                if isinstance(exc, (OSError, duckdb.IOException, duckdb.FatalException)):
                    raise self.write_error(path=str(self.path), reason=_first_line(exc)) from exc
                raise


class HistoryStore(DuckStore):
    schema = tuple(SCHEMA)

    # ---- writing ------------------------------------------------------------------------------
    def record(
        self,
        results: dict[str, AnalysisResult],
        *,
        as_of: dt.date,
        source: str,
        data_fingerprint: str,
        config_hash: str,
        run_id: str | None = None,
        alerts: list[dict[str, Any]] = (),
        channels: list[str] = (),
    ) -> Run:
        """Record a run and queue its ``alerts`` for every channel (plus the alert log), all in one
        transaction.  A run already recorded for ``as_of`` is replaced."""
        run = Run(run_id or new_run_id(), as_of, dt.datetime.now().replace(microsecond=0))
        metric_rows, entity_rows = self._rows(run.run_id, results)
        with self.transaction() as con:
            replaced = self._delete_date(con, as_of)
            con.execute(
                "INSERT INTO runs VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                [
                    run.run_id,
                    run.recorded_at,
                    as_of,
                    source,
                    data_fingerprint,
                    config_hash,
                    __version__,
                    ",".join(results),
                ],
            )
            if metric_rows:
                con.executemany("INSERT INTO metrics VALUES (?, ?, ?, ?, ?, ?)", metric_rows)
            self._insert_entities(con, entity_rows)
            already = self._queue(con, run, alerts, [*channels, LOG_CHANNEL])
        return dataclasses.replace(run, replaced=tuple(replaced), already_queued=already)

    @staticmethod
    def _rows(run_id: str, results: dict[str, AnalysisResult]) -> tuple[list, list[pd.DataFrame]]:
        metric_rows, entity_rows = [], []
        for name, r in results.items():
            for k, m in r.metrics.items():
                num = (
                    float(m.value)
                    if isinstance(m.value, (int, float)) and not isinstance(m.value, bool)
                    else None
                )
                text = None if num is not None else _text(m.value)
                metric_rows.append((run_id, name, k, num, text, m.unit))
            ent = r.tables.get("entities")
            if ent is not None and len(ent):
                attrs = ent.drop(
                    columns=[c for c in ("entity_id", "entity_name", "tier") if c in ent.columns]
                )
                blobs = (
                    attrs.to_json(orient="records", lines=True).splitlines()
                    if len(attrs.columns)
                    else ["{}"] * len(ent)
                )
                entity_rows.append(
                    pd.DataFrame(
                        {
                            "run_id": run_id,
                            "analysis": name,
                            "entity_id": ent["entity_id"].astype(str),
                            "entity_name": ent.get("entity_name", ent["entity_id"]).astype(str),
                            "tier": ent["tier"].astype(str),
                            "attrs": blobs,
                        }
                    )
                )
        return metric_rows, entity_rows

    @staticmethod
    def _delete_date(con: duckdb.DuckDBPyConnection, as_of: dt.date) -> list[str]:
        """Inside the transaction: remove the runs already recorded for ``as_of``."""
        same_date = "SELECT run_id FROM runs WHERE as_of = ?"
        old = [r[0] for r in con.execute(same_date + " ORDER BY recorded_at", [as_of]).fetchall()]
        for table in ("metrics", "entities", "runs"):
            con.execute(f"DELETE FROM {table} WHERE run_id IN ({same_date})", [as_of])
        return old

    @staticmethod
    def _queue(
        con: duckdb.DuckDBPyConnection, run: Run, alerts: list[dict[str, Any]], channels: list[str]
    ) -> int:
        """Queue each alert not already queued for this date; returns how many were already."""
        rows, already = [], 0
        for alert in alerts:
            key = alert_key(alert)
            if con.execute("SELECT 1 FROM outbox WHERE alert_key = ? LIMIT 1", [key]).fetchone():
                already += 1
                continue
            blob = json.dumps(alert, ensure_ascii=False, default=str)
            rows += [
                (key, ch, run.run_id, run.as_of, blob, run.recorded_at, None, 0, None, None, None)
                for ch in channels
            ]
        if rows:
            con.executemany("INSERT INTO outbox VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)", rows)
        return already

    # ---- outbox -------------------------------------------------------------------------------
    def claim_pending(self, channels: dict[str, float], claimer: str) -> pd.DataFrame:
        """Claim the undelivered outbox rows of ``channels`` (channel → seconds one delivery may
        take) for ``claimer`` (``host:pid``).  A row claimed by a live process whose lease has not
        expired is left alone; a dead claimer's rows (a killed run) are taken over."""
        if not self.path.exists():
            return pd.DataFrame()
        now = dt.datetime.now()
        with self.transaction() as con:
            rows = con.execute(
                "SELECT alert_key, channel, run_id, as_of, alert, attempts, claimed_by, "
                "claimed_until FROM outbox WHERE delivered_at IS NULL "
                "ORDER BY as_of, created_at, alert_key"
            ).df()
            rows = rows[rows["channel"].isin(channels)]
            claims = zip(rows["claimed_by"], rows["claimed_until"])
            free = [_claimable(by, until, now) for by, until in claims]
            rows = rows[free] if len(rows) else rows
            if rows.empty:
                return rows
            batches = rows[["channel", "as_of"]].drop_duplicates()["channel"]
            lease = now + dt.timedelta(seconds=60 + sum(channels[c] for c in batches))
            con.executemany(
                "UPDATE outbox SET claimed_by = ?, claimed_until = ? "
                "WHERE alert_key = ? AND channel = ?",
                [
                    [claimer, lease, key, channel]
                    for key, channel in zip(rows["alert_key"], rows["channel"])
                ],
            )
        return rows.drop(columns=["claimed_by", "claimed_until"]).reset_index(drop=True)

    def mark(self, outcomes: list[tuple[str, str, bool, int, str | None]]) -> None:
        """Record delivery outcomes ``(alert_key, channel, delivered, attempts, error)`` and release
        the claims."""
        if not outcomes:
            return
        now = dt.datetime.now().replace(microsecond=0)
        with self.transaction() as con:
            con.executemany(
                "UPDATE outbox SET delivered_at = CASE WHEN ? THEN ? ELSE NULL END, "
                "attempts = attempts + ?, error = ?, claimed_by = NULL, claimed_until = NULL "
                "WHERE alert_key = ? AND channel = ?",
                [[ok, now, n, err, key, ch] for key, ch, ok, n, err in outcomes],
            )

    def delivery_status(self, keys: list[str]) -> pd.DataFrame:
        """Every channel's delivery state of the alerts ``keys`` (the alert log excluded)."""
        with self.connect(read_only=True) as con:
            df = con.execute(
                "SELECT alert_key, channel, delivered_at, attempts, error FROM outbox "
                "WHERE channel <> ?",
                [LOG_CHANNEL],
            ).df()
        return df[df["alert_key"].isin(keys)]

    def _insert_entities(self, con: duckdb.DuckDBPyConnection, frames: list[pd.DataFrame]) -> None:
        for frame in frames:
            con.register("_entities", frame)
            con.execute(
                "INSERT INTO entities"
                " SELECT run_id, analysis, entity_id, entity_name, tier, attrs FROM _entities"
            )
            con.unregister("_entities")

    # ---- reading ------------------------------------------------------------------------------
    def runs(self) -> pd.DataFrame:
        with self.connect(read_only=True) as con:
            return con.execute("SELECT * FROM runs ORDER BY as_of, recorded_at, run_id").df()

    def metric_series(self, metric: str, analysis: str | None = None) -> pd.DataFrame:
        sql = (
            "SELECT r.run_id, r.as_of, r.recorded_at, m.analysis, m.metric, m.value, m.text_value"
            " FROM metrics m "
            "JOIN runs r USING (run_id) WHERE m.metric = ?"
            + (" AND m.analysis = ?" if analysis else "")
            + " ORDER BY r.as_of, r.recorded_at, r.run_id"
        )
        with self.connect(read_only=True) as con:
            return con.execute(sql, [metric, analysis] if analysis else [metric]).df()

    def metrics_of(self, run_id: str) -> pd.DataFrame:
        with self.connect(read_only=True) as con:
            return con.execute(
                "SELECT analysis, metric, value, text_value FROM metrics WHERE run_id = ?", [run_id]
            ).df()

    def entities_of(self, run_id: str, analysis: str) -> pd.DataFrame:
        with self.connect(read_only=True) as con:
            df = con.execute(
                "SELECT entity_id, entity_name, tier, attrs FROM entities"
                " WHERE run_id = ? AND analysis = ?",
                [run_id, analysis],
            ).df()
        if df.empty:
            return pd.DataFrame(columns=["entity_id", "entity_name", "tier"])
        attrs = pd.DataFrame([json.loads(a) for a in df["attrs"]], index=df.index)
        return pd.concat([df.drop(columns="attrs"), attrs], axis=1)

    def previous_runs(self, as_of: dt.date, exclude: str | None = None) -> pd.DataFrame:
        """Runs of dates strictly before ``as_of``, one per date (its latest), oldest first."""
        runs = self.runs()
        if runs.empty:
            return runs
        runs = runs[pd.to_datetime(runs["as_of"]).dt.date < as_of]
        runs = runs[runs["run_id"] != exclude] if exclude else runs
        return runs.drop_duplicates(subset="as_of", keep="last")


def _text(v) -> str | None:
    return None if v is None else str(v)


def _first_line(exc: BaseException) -> str:
    text = str(exc).strip()
    return text.splitlines()[0][:300] if text else type(exc).__name__


def _claimable(claimed_by, claimed_until, now: dt.datetime) -> bool:
    if claimed_by is None or (isinstance(claimed_by, float) and claimed_by != claimed_by):
        return True
    if pd.isna(claimed_until) or pd.Timestamp(claimed_until) < pd.Timestamp(now):
        return True
    host, _, pid = str(claimed_by).rpartition(":")
    return host == socket.gethostname() and pid.isdigit() and not _alive(int(pid))


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except OSError:  # exists, owned by someone else
        return True
    return True


def claimer_id() -> str:
    return f"{socket.gethostname()}:{os.getpid()}"
