"""The override store: an append-only event log in a DuckDB file owned by crmlens.

Nothing is ever updated or deleted.  ``append`` writes a batch of changes in one transaction
after checking, inside it, that each entity's field has not changed since the caller looked
(``Change.expected``: the sequence number of its latest event then, 0 for none): a change made in
the meantime is a conflict, reported with both values, and nothing of the batch is written.  Two
writers never lose an event: DuckDB allows one writer at a time, the second waits for the lock
(``DuckStore``) and then sees the first one's events.
"""

from __future__ import annotations

import datetime as dt
import getpass
import os
import uuid
from dataclasses import dataclass

import pandas as pd

from crmlens.errors import CrmlensError
from crmlens.monitor.history import DuckStore

SCHEMA = (
    """CREATE TABLE IF NOT EXISTS override_events (
        seq BIGINT, event_id VARCHAR, batch_id VARCHAR, recorded_at TIMESTAMP, action VARCHAR,
        analysis VARCHAR, entity_kind VARCHAR, entity_id VARCHAR, field VARCHAR,
        old_value VARCHAR, new_value VARCHAR, model_value VARCHAR, reason VARCHAR,
        changed_by VARCHAR, expires DATE, source VARCHAR)""",
)
COLUMNS = (
    "seq",
    "event_id",
    "batch_id",
    "recorded_at",
    "action",
    "analysis",
    "entity_kind",
    "entity_id",
    "field",
    "old_value",
    "new_value",
    "model_value",
    "reason",
    "changed_by",
    "expires",
    "source",
)
KEY = ["analysis", "entity_kind", "entity_id", "field"]
SET, REVOKE = "set", "revoke"
SOURCES = ("cli", "workbook")


class OverrideStoreLocked(CrmlensError):
    code = "error.override_store_locked"


class OverrideStoreWriteFailed(CrmlensError):
    code = "error.override_store_write"


class OverrideConflict(CrmlensError):
    """Changes made in the store since the caller looked; ``conflicts`` lists them."""

    code = "error.override_conflict"

    def __init__(self, conflicts: list[dict]) -> None:
        super().__init__(self.code, count=len(conflicts))
        self.conflicts = conflicts


@dataclass(frozen=True)
class Change:
    analysis: str
    entity_kind: str
    entity_id: str
    field: str
    action: str  # set | revoke
    value: str | None
    reason: str
    expires: dt.date | None = None
    model_value: str | None = None
    expected: int | None = None  # seq of the latest event the caller saw (0: none); None: no check
    row: int | None = None  # workbook row, for messages

    @property
    def key(self) -> tuple[str, str, str, str]:
        return (self.analysis, self.entity_kind, str(self.entity_id), self.field)


def default_user() -> str:
    """Who makes a change when ``--by`` is not given: the operating-system user."""
    try:
        return getpass.getuser()
    except (KeyError, OSError):
        return os.environ.get("USER") or os.environ.get("USERNAME") or "unknown"


def in_force(events: pd.DataFrame, as_of: dt.date) -> pd.Series:
    """Which latest events are an override in force on ``as_of`` (a set, not expired)."""
    expires = pd.to_datetime(events["expires"])
    return (events["action"] == SET) & (expires.isna() | (expires >= pd.Timestamp(as_of)))


class OverrideStore(DuckStore):
    schema = SCHEMA
    locked_error = OverrideStoreLocked
    write_error = OverrideStoreWriteFailed

    # ---- reading ------------------------------------------------------------------------------
    def events(
        self,
        analysis: str | None = None,
        entity_id: str | None = None,
        field: str | None = None,
    ) -> pd.DataFrame:
        """Every event (the audit trail), oldest first."""
        where, params = _filters(analysis=analysis, entity_id=entity_id, field=field)
        sql = f"SELECT {', '.join(COLUMNS)} FROM override_events{where} ORDER BY seq"
        with self.connect(read_only=True) as con:
            return con.execute(sql, params).df()

    def latest(self, analysis: str | None = None, field: str | None = None) -> pd.DataFrame:
        """The latest event of every (analysis, entity kind, entity, field)."""
        with self.connect(read_only=True) as con:
            return _latest(con, analysis, field)

    def current(
        self, as_of: dt.date, analysis: str | None = None, field: str | None = None
    ) -> pd.DataFrame:
        """The overrides in force on ``as_of``."""
        latest = self.latest(analysis, field)
        return latest[in_force(latest, as_of)].reset_index(drop=True)

    # ---- writing ------------------------------------------------------------------------------
    def append(
        self, changes: list[Change], *, by: str, source: str, today: dt.date | None = None
    ) -> pd.DataFrame:
        """Append ``changes`` in one transaction; returns the events written.  Raises
        :class:`OverrideConflict` (nothing written) when an entity's field changed since the
        caller looked, and ``error.override_nothing_to_revoke`` for a revocation without an
        override in force."""
        assert source in SOURCES, source
        today = today or dt.date.today()
        batch, now = uuid.uuid4().hex[:12], dt.datetime.now().replace(microsecond=0)
        with self.transaction() as con:
            latest = _latest(con, None, None)
            latest["in_force"] = in_force(latest, today).to_numpy()
            latest = latest.set_index(KEY)
            conflicts, rows = [], []
            seq = int(
                con.execute("SELECT coalesce(max(seq), 0) FROM override_events").fetchone()[0]
            )
            for change in changes:
                before = latest.loc[change.key] if change.key in latest.index else None
                if before is not None and _same(change, before):
                    continue  # already recorded (the same workbook imported twice)
                conflict = _conflict(change, before)
                if conflict is not None:
                    conflicts.append(conflict)
                    continue
                old = (
                    str(before["new_value"]) if before is not None and before["in_force"] else None
                )
                if change.action == REVOKE and old is None:
                    raise CrmlensError(
                        "error.override_nothing_to_revoke",
                        analysis=change.analysis,
                        entity=change.entity_id,
                        field=change.field,
                    )
                seq += 1
                rows.append(_row(seq, batch, now, change, old, by, source))
            if conflicts:
                raise OverrideConflict(conflicts)
            if rows:
                con.executemany(
                    f"INSERT INTO override_events ({', '.join(COLUMNS)}) "
                    f"VALUES ({', '.join('?' * len(COLUMNS))})",
                    rows,
                )
        return pd.DataFrame(rows, columns=list(COLUMNS))


def _filters(**values: str | None) -> tuple[str, list]:
    used = {k: v for k, v in values.items() if v is not None}
    if not used:
        return "", []
    return " WHERE " + " AND ".join(f"{k} = ?" for k in used), [str(v) for v in used.values()]


def _latest(con, analysis: str | None, field: str | None) -> pd.DataFrame:
    where, params = _filters(analysis=analysis, field=field)
    sql = (
        f"SELECT {', '.join(COLUMNS)} FROM override_events{where} "
        f"QUALIFY row_number() OVER (PARTITION BY {', '.join(KEY)} ORDER BY seq DESC) = 1 "
        "ORDER BY seq"
    )
    return con.execute(sql, params).df()


def _same(change: Change, before: pd.Series) -> bool:
    """The latest event already says what the change says."""
    expires = pd.to_datetime(before["expires"])
    return (
        before["action"] == change.action
        and (before["new_value"] if change.action == SET else None) == change.value
        and before["reason"] == change.reason
        and (None if pd.isna(expires) else expires.date()) == change.expires
    )


def _conflict(change: Change, before: pd.Series | None) -> dict | None:
    seen = 0 if before is None else int(before["seq"])
    if change.expected is None or change.expected == seen:
        return None
    return {
        "row": change.row,
        "entity_id": change.entity_id,
        "field": change.field,
        "theirs": None if before is None else before["new_value"],
        "by": None if before is None else before["changed_by"],
        "yours": change.value,
    }


def _row(seq, batch, now, change: Change, old, by, source) -> tuple:
    return (
        seq,
        uuid.uuid4().hex[:16],
        batch,
        now,
        change.action,
        change.analysis,
        change.entity_kind,
        str(change.entity_id),
        change.field,
        old,
        change.value if change.action == SET else None,
        change.model_value,
        change.reason,
        by,
        change.expires,
        source,
    )
