"""Stage histories (Salesforce OpportunityHistory) of one chunk's opportunities.

One row per stage entered by the as-of date, plus the closing row; then the noise real histories
carry: skipped stages, a stage repeated (an amount edit), a move back one stage and forward again,
a lost deal reopened and lost again, a row after close, and a few rows of unknown opportunities.
The noise never changes a deal's outcome (see :mod:`synth.planted`).
"""

from __future__ import annotations

import numpy as np
import pyarrow as pa

from crmlens.synth import planted as P
from crmlens.synth.common import ORPHAN_BASE, day_dates, day_timestamps, sf_ids, text

SKIP_SHARE = 0.10  # intermediate stages with no history row
RENEWAL_SKIP_PROSPECTING = 0.4
REPEAT_SHARE = 0.05
REGRESSION_SHARE = 0.07
REOPEN_SHARE = 0.04  # of lost deals
AFTER_CLOSE_SHARE = 0.04  # of closed deals
ORPHAN_SHARE = 0.003  # rows of opportunities that do not exist


def _rows(opp, time, stage, prob):
    return {"opp": opp, "time": time, "stage": stage, "prob": prob}


def _base_rows(rng, d):
    m = len(d["account"])
    entries, top = d["entries"], np.minimum(d["passes"], 4)
    last = np.where(d["closed"], top, np.clip(d["current"], 0, 4))  # last open stage by as-of
    k = np.arange(5)[None, :]
    valid = (k <= top[:, None]) & (entries[:, :5] <= 0)
    middle = (k >= 1) & (k < last[:, None])  # the stage a deal is in is never skipped
    valid &= ~(middle & (rng.random((m, 5)) < SKIP_SHARE))
    renewal = (d["type"] == "Renewal") & (top >= 1) & (rng.random(m) < RENEWAL_SKIP_PROSPECTING)
    valid[:, 0] &= ~renewal
    opp, stage = np.nonzero(valid)
    time = entries[opp, stage] + 0.35 + 0.1 * rng.random(len(opp))
    names = np.asarray(P.STAGES, dtype=object)[stage]
    base = _rows(opp, time, names, d["rep_by_stage"][opp, stage])
    closed = np.flatnonzero(d["closed"])
    final = np.where(d["won"][closed], "Closed Won", "Closed Lost").astype(object)
    closing = _rows(
        closed, d["close"][closed] + 0.45, final, np.where(d["won"][closed], 100.0, 0.0)
    )
    return [base, closing]


def _between(d, opp, stage, position):
    """A time inside stage ``stage`` of deal ``opp`` (position 0..1), after its entry row."""
    entry = d["entries"][opp, stage]
    length = d["entries"][opp, stage + 1] - entry
    return entry + 0.5 + position * np.maximum(length - 1, 0)


def _noise_rows(rng, d):
    m = len(d["account"])
    top = np.minimum(d["passes"], 4)
    last = np.where(d["closed"], top, np.clip(d["current"], 0, 4))  # last open stage by as-of
    names = np.asarray(P.STAGES, dtype=object)
    out = []
    opp = np.flatnonzero(rng.random(m) < REPEAT_SHARE)
    stage = (rng.random(len(opp)) * (last[opp] + 1)).astype(np.int64)
    out.append(
        _rows(opp, _between(d, opp, stage, 0.8), names[stage], d["rep_by_stage"][opp, stage])
    )
    opp = np.flatnonzero((rng.random(m) < REGRESSION_SHARE) & (last >= 1))
    stage = last[opp]
    back, again = _between(d, opp, stage, 0.3), _between(d, opp, stage, 0.6) + 0.01
    seen = again < 1.0  # both moves happened by the as-of date, or neither is shown
    opp, stage, back, again = opp[seen], stage[seen], back[seen], again[seen]
    out.append(_rows(opp, back, names[stage - 1], d["rep_by_stage"][opp, stage - 1]))
    out.append(_rows(opp, again, names[stage], d["rep_by_stage"][opp, stage]))
    lost = d["closed"] & ~d["won"]
    opp = np.flatnonzero(lost & (rng.random(m) < REOPEN_SHARE))
    stage = top[opp]
    lost_at, reopened = _between(d, opp, stage, 0.15), _between(d, opp, stage, 0.2) + 0.01
    out.append(
        _rows(opp, lost_at, np.full(len(opp), "Closed Lost", dtype=object), np.zeros(len(opp)))
    )
    out.append(_rows(opp, reopened, names[stage], d["rep_by_stage"][opp, stage]))
    opp = np.flatnonzero(d["closed"] & (rng.random(m) < AFTER_CLOSE_SHARE))
    final = np.where(d["won"][opp], "Closed Won", "Closed Lost").astype(object)
    after = d["close"][opp] + 1.45 + rng.integers(0, 60, len(opp))
    out.append(_rows(opp, after, final, np.where(d["won"][opp], 100.0, 0.0)))
    return out


def history_rows(rng, opp_ids: pa.Array, d, opps: dict[str, pa.Array]) -> pa.Table:
    parts = _base_rows(rng, d) + _noise_rows(rng, d)
    rows = {k: np.concatenate([p[k] for p in parts]) for k in parts[0]}
    seen = rows["time"] < 1.0  # rows up to the end of the as-of date only
    rows = {k: v[seen] for k, v in rows.items()}
    order = np.lexsort((rows["time"], rows["opp"]))
    rows = {k: v[order] for k, v in rows.items()}
    ids = np.asarray(opp_ids.to_numpy(zero_copy_only=False), dtype=object)[rows["opp"]]
    n = len(ids)
    orphans = np.flatnonzero(rng.random(n) < ORPHAN_SHARE)
    ids = np.concatenate([ids, sf_ids("006", ORPHAN_BASE + rng.integers(0, 1 << 38, len(orphans)))])
    take = np.concatenate([np.arange(n), orphans])
    opp, time, prob = rows["opp"][take], rows["time"][take], rows["prob"][take]
    day = np.floor(time)
    amount = np.asarray(opps["amount"].to_numpy(zero_copy_only=False), dtype=float)[opp]
    forecast = np.where(prob < 30, "Pipeline", np.where(prob < 60, "Best Case", "Commit"))
    forecast = np.where(prob >= 100, "Closed", np.where(prob <= 0, "Omitted", forecast))
    return pa.table(
        {
            "opportunity_id": text(ids),
            "created_date": day_timestamps(day, np.minimum(np.round((time - day) * 86400), 86399)),
            "stage_name": text(rows["stage"][take]),
            "amount": pa.array(amount, pa.float64(), from_pandas=True),
            "probability": pa.array(prob, pa.float64()),
            "close_date": day_dates(d["close_output"][opp]),
            "forecast_category": text(forecast.astype(object)),
        }
    )
