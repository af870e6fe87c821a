"""What changed since the previous run: metric deltas and entity transitions.

Inputs are the current results and the previous run's rows in the history store; nothing is
recomputed.  Used by the alert rules (entity events) and by the report's "since last run" section.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import pandas as pd

from crmlens.analyses import REGISTRY, AnalysisResult, EntityModel


@dataclass
class Changes:
    previous_run: str | None
    previous_as_of: str | None
    metric_deltas: pd.DataFrame = field(default_factory=pd.DataFrame)
    transitions: dict[str, pd.DataFrame] = field(
        default_factory=dict
    )  # analysis → joined now/before entity frame

    def entities(self, analysis: str, event: str, tier: str | None = None) -> pd.DataFrame:
        """The entities of ``analysis`` that had ``event`` (one of its model's ``all_events``)."""
        j = self.transitions.get(analysis)
        if j is None or j.empty:
            return pd.DataFrame(columns=["entity_id", "entity_name"])
        mask = event_mask(j, entity_model(analysis), event, tier)
        out = j[mask.fillna(False).astype(bool)]
        return out.assign(entity_name=out["entity_name_now"].fillna(out["entity_name_before"]))[
            ["entity_id", "entity_name", "tier_before", "tier_now"]
        ]


def entity_model(analysis: str) -> EntityModel:
    spec = REGISTRY.get(analysis)
    return spec.entity if spec is not None else EntityModel()


def event_mask(j: pd.DataFrame, model: EntityModel, event: str, tier: str | None) -> pd.Series:
    """Which rows of the joined now/before frame ``j`` had ``event``."""
    if event == "entered_tier":
        return (j["tier_now"] == tier) & (j["tier_before"] != tier)
    if event == "left_tier":
        # an entity that is gone (e.g. its revenue became NULL) did not leave a risk tier
        return (j["tier_before"] == tier) & j["tier_now"].notna() & (j["tier_now"] != tier)
    if event == "improved":
        return _improved(j, model)
    if event == "worsened":
        return _worsened(j, model)
    if event in model.events:
        column, kind = model.events[event]
        return _became_zero(j, column) if kind == "became_zero" else _became_false(j, column)
    raise ValueError(event)


def _improved(j: pd.DataFrame, model: EntityModel) -> pd.Series:
    """Moved to a better tier; never into or out of a data gap, nor while data went missing."""
    now, before = j["tier_now"].map(model.ranks), j["tier_before"].map(model.ranks)
    gaps = model.unknown_tiers
    known = ~j["tier_now"].isin(gaps) & ~j["tier_before"].isin(gaps)
    lost_data = pd.Series(False, index=j.index)
    for flag in model.known_flags:
        lost_data |= _is(j, f"{flag}_now", False) & _is(j, f"{flag}_before", True)
    return j["tier_before"].notna() & j["tier_now"].notna() & (now > before) & known & ~lost_data


def _worsened(j: pd.DataFrame, model: EntityModel) -> pd.Series:
    """Moved to a worse tier (into a data gap included: it ranks with the worst)."""
    now, before = j["tier_now"].map(model.ranks), j["tier_before"].map(model.ranks)
    return j["tier_before"].notna() & j["tier_now"].notna() & (now < before)


def _became_zero(j: pd.DataFrame, column: str) -> pd.Series:
    now, before = _num(j, f"{column}_now"), _num(j, f"{column}_before")
    return j["tier_before"].notna() & (now == 0) & (before > 0)


def _became_false(j: pd.DataFrame, column: str) -> pd.Series:
    now_false = j.get(f"{column}_now", pd.Series(True, index=j.index)).eq(False)
    before = j.get(f"{column}_before", pd.Series(pd.NA, index=j.index))
    return now_false & ((before == True) | before.isna())  # noqa: E712 - NA-aware


def _is(j: pd.DataFrame, col: str, value: bool) -> pd.Series:
    """NA-aware ``j[col] == value`` (False where the column or the value is missing)."""
    return (
        j[col].astype(object).isin([value]) if col in j.columns else pd.Series(False, index=j.index)
    )


def _num(j: pd.DataFrame, col: str) -> pd.Series:
    return (
        pd.to_numeric(j[col], errors="coerce")
        if col in j.columns
        else pd.Series(math.nan, index=j.index)
    )


def compute_changes(
    results: dict[str, AnalysisResult], store, as_of, exclude_run: str | None = None
) -> Changes:
    prev = store.previous_runs(as_of, exclude=exclude_run)
    if prev.empty:
        return Changes(None, None)
    last = prev.iloc[-1]
    run_id = str(last["run_id"])
    before = store.metrics_of(run_id)
    rows = []
    for name, r in results.items():
        b = before[before["analysis"] == name].set_index("metric")
        for k, m in r.metrics.items():
            if (
                k in b.index
                and isinstance(m.value, (int, float))
                and not isinstance(m.value, bool)
                and pd.notna(b.loc[k, "value"])
            ):
                prev_v = float(b.loc[k, "value"])
                cur = float(m.value) if m.value is not None else math.nan
                rows.append(
                    {
                        "analysis": name,
                        "metric": k,
                        "unit": m.unit,
                        "previous": prev_v,
                        "current": cur,
                        "delta": cur - prev_v,
                    }
                )
    transitions = {}
    for name, r in results.items():
        now = r.tables.get("entities")
        if now is None:
            continue
        then = store.entities_of(run_id, name)
        # the store keeps ids (and names) as text: compare like with like whatever the result's type
        now = now.assign(entity_id=now["entity_id"].astype(str))
        if "entity_name" not in now.columns:
            now = now.assign(entity_name=now["entity_id"])
        j = (
            now.add_suffix("_now")
            .rename(columns={"entity_id_now": "entity_id"})
            .merge(
                then.add_suffix("_before").rename(columns={"entity_id_before": "entity_id"}),
                on="entity_id",
                how="outer",
            )
        )
        transitions[name] = j
    deltas = pd.DataFrame(rows)
    fill_card_changes(results, deltas)
    return Changes(run_id, str(last["as_of"])[:10], deltas, transitions)


def fill_card_changes(results: dict[str, AnalysisResult], deltas: pd.DataFrame) -> None:
    """A result table with ``metric`` and ``change_since_last_run`` columns (e.g. the portfolio
    review's cards) gets each metric's change since the previous run (compute never reads the
    history; the monitor fills the field)."""
    if deltas.empty:
        return
    for name, r in results.items():
        cards = r.tables.get("cards")
        if cards is None or not {"metric", "change_since_last_run"} <= set(cards.columns):
            continue
        mine = deltas[deltas["analysis"] == name].set_index("metric")["delta"]
        r.tables["cards"] = cards.assign(change_since_last_run=cards["metric"].map(mine))
