"""Helpers every generator module shares: the fixed as-of date, random streams, Salesforce-like
ids, weighted picks, NULL masks and day/month conversions."""

from __future__ import annotations

import datetime as dt

import numpy as np
import pyarrow as pa

AS_OF = dt.date(2026, 6, 30)  # fixed reference date: output never depends on today's date
AS_OF_DAY = np.datetime64(AS_OF.isoformat(), "D")
ALPHABET = np.frombuffer(
    b"0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz", dtype=np.uint8
)
ORPHAN_BASE = 1 << 39  # index space for ids that point at no row
_MASK40 = (1 << 40) - 1
# one random stream per table (and chunk): adding a table never changes another table's rows
TABLE_STREAMS = {
    "accounts": 1,
    "contacts": 2,
    "opportunities": 3,  # v1 opportunities; kept reserved
    "customers": 4,
    "accounts_v2": 5,
    "deals": 6,
    "history": 7,
    "cases": 8,
    "nps": 9,
    "leads": 10,
    "campaigns": 11,
    "users": 12,
    "spend": 13,
}


def stream(seed: int, table: str, chunk: int) -> np.random.Generator:
    return np.random.default_rng([seed, TABLE_STREAMS[table], chunk])


def sf_ids(prefix: str, idx: np.ndarray) -> np.ndarray:
    """15-character Salesforce-like ids, unique for idx < 2**40 - 0x5DEECE66D (a bijection on the
    last 7 chars)."""
    idx = np.asarray(idx).astype(np.uint64) + np.uint64(0x5DEECE66D)  # no all-zero ids
    # odd multiplier: bijective mod 2^40
    x = (idx * np.uint64(0x9E3779B97F4A7C15)) & np.uint64(_MASK40)
    h = (idx * np.uint64(0xC2B2AE3D27D4EB4F)) >> np.uint64(40)
    out = np.empty((len(idx), 15), dtype=np.uint8)
    out[:, :3] = np.frombuffer(prefix.encode(), dtype=np.uint8)
    for j in range(5):
        out[:, 7 - j] = ALPHABET[(h % np.uint64(62)).astype(np.int64)]
        h //= np.uint64(62)
    for j in range(7):
        out[:, 14 - j] = ALPHABET[(x % np.uint64(62)).astype(np.int64)]
        x //= np.uint64(62)
    return out.view("S15").ravel().astype("U15")


def pick(rng: np.random.Generator, items: list[tuple[str, float]], n: int) -> np.ndarray:
    names = np.array([i[0] for i in items], dtype=object)
    w = np.array([i[1] for i in items], dtype=float)
    return names[rng.choice(len(items), size=n, p=w / w.sum())]


def nulled(rng: np.random.Generator, values: np.ndarray, share: float) -> np.ndarray:
    out = values.astype(object)
    out[rng.random(len(values)) < share] = None
    return out


def dates_ago(days_ago: np.ndarray) -> pa.Array:
    return pa.array(AS_OF_DAY - days_ago.astype("timedelta64[D]"))


def day_dates(day: np.ndarray, valid: np.ndarray | None = None) -> pa.Array:
    """Dates of day numbers relative to the as-of date (NULL where not ``valid``)."""
    values = AS_OF_DAY + np.asarray(day).astype(np.int64).astype("timedelta64[D]")
    return pa.array(values, mask=None if valid is None else ~valid)


def day_timestamps(day: np.ndarray, seconds: np.ndarray, valid=None) -> pa.Array:
    """Timestamps: day number plus a number of seconds into that day."""
    base = (AS_OF_DAY + np.asarray(day).astype(np.int64).astype("timedelta64[D]")).astype(
        "datetime64[s]"
    )
    values = base + np.asarray(seconds).astype(np.int64).astype("timedelta64[s]")
    return pa.array(values, mask=None if valid is None else ~valid)


def month_index(day: np.ndarray, first_month: np.datetime64) -> np.ndarray:
    """Calendar months between ``first_month`` and the month holding each day number."""
    months = (AS_OF_DAY + np.asarray(day).astype(np.int64).astype("timedelta64[D]")).astype(
        "datetime64[M]"
    )
    return (months - first_month).astype(np.int64)


def text(values: np.ndarray) -> pa.Array:
    return pa.array(values, pa.string())
