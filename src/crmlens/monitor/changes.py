"""What changed since the previous run: metric deltas and entity transitions.

Inputs are the current results and the previous run's rows in the history store; nothing is
recomputed.  Used by the alert rules (entity events) and by the report's "since last run" section.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import pandas as pd

from crmlens.analyses.base import AnalysisResult

# data_gap (contact coverage: a tier that missing data could hide) ranks with high; a move into or
# out of it is a change in the data, never an improvement of the risk
TIER_ORDER = {"data_gap": 2, "high": 2, "medium": 1, "low": 0}
UNKNOWN_TIERS = ("data_gap",)
EVENTS = ("entered_tier", "left_tier", "new_zero_contacts", "new_unknown_employees", "lost_executives")


@dataclass
class Changes:
    previous_run: str | None
    previous_as_of: str | None
    metric_deltas: pd.DataFrame = field(default_factory=pd.DataFrame)
    transitions: dict[str, pd.DataFrame] = field(default_factory=dict)  # analysis → joined now/before entity frame

    def entities(self, analysis: str, event: str, tier: str | None = None) -> pd.DataFrame:
        j = self.transitions.get(analysis)
        if j is None or j.empty:
            return pd.DataFrame(columns=["entity_id", "entity_name"])
        present_before = j["tier_before"].notna()
        if event == "entered_tier":
            mask = (j["tier_now"] == tier) & (j["tier_before"] != tier)
        elif event == "left_tier":
            # an entity that is gone (e.g. its revenue became NULL) did not leave a risk tier
            mask = (j["tier_before"] == tier) & j["tier_now"].notna() & (j["tier_now"] != tier)
        elif event == "improved":
            now = j["tier_now"].map(TIER_ORDER)
            before = j["tier_before"].map(TIER_ORDER)
            known = ~j["tier_now"].isin(UNKNOWN_TIERS) & ~j["tier_before"].isin(UNKNOWN_TIERS)
            lost_data = _is(j, "employees_known_now", False) & _is(j, "employees_known_before", True)
            mask = present_before & j["tier_now"].notna() & (now < before) & known & ~lost_data
        elif event == "new_zero_contacts":
            mask = present_before & (_num(j, "n_contacts_now") == 0) & (_num(j, "n_contacts_before") > 0)
        elif event == "lost_executives":
            mask = present_before & (_num(j, "n_decision_now") == 0) & (_num(j, "n_decision_before") > 0)
        elif event == "new_unknown_employees":
            now_unknown = j.get("employees_known_now", pd.Series(True, index=j.index)).eq(False)
            before_known = j.get("employees_known_before", pd.Series(pd.NA, index=j.index))
            mask = now_unknown & ((before_known == True) | before_known.isna())  # noqa: E712 - NA-aware
        else:
            raise ValueError(event)
        out = j[mask.fillna(False).astype(bool)]
        return out.assign(entity_name=out["entity_name_now"].fillna(out["entity_name_before"]))[["entity_id", "entity_name", "tier_before", "tier_now"]]


def _is(j: pd.DataFrame, col: str, value: bool) -> pd.Series:
    """NA-aware ``j[col] == value`` (False where the column or the value is missing)."""
    return j[col].astype(object).isin([value]) if col in j.columns else pd.Series(False, index=j.index)


def _num(j: pd.DataFrame, col: str) -> pd.Series:
    return pd.to_numeric(j[col], errors="coerce") if col in j.columns else pd.Series(math.nan, index=j.index)


def compute_changes(results: dict[str, AnalysisResult], store, as_of, exclude_run: str | None = None) -> Changes:
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
            if k in b.index and isinstance(m.value, (int, float)) and not isinstance(m.value, bool) and pd.notna(b.loc[k, "value"]):
                prev_v = float(b.loc[k, "value"])
                cur = float(m.value) if m.value is not None else math.nan
                rows.append({"analysis": name, "metric": k, "unit": m.unit, "previous": prev_v, "current": cur, "delta": cur - prev_v})
    transitions = {}
    for name, r in results.items():
        now = r.tables.get("entities")
        if now is None:
            continue
        then = store.entities_of(run_id, name)
        j = now.add_suffix("_now").rename(columns={"entity_id_now": "entity_id"}).merge(
            then.add_suffix("_before").rename(columns={"entity_id_before": "entity_id"}), on="entity_id", how="outer")
        transitions[name] = j
    return Changes(run_id, str(last["as_of"])[:10], pd.DataFrame(rows), transitions)
