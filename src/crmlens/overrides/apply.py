"""What an analysis unit calls to apply people's overrides after its model.

``RunContext.overrides(field)`` returns :class:`Overrides`; ``apply`` adds to a per-entity table
the model's value, the human value in force, who set it, why and until when, and the final value
(human where one is in force, else the model's); ``review`` builds the ``review`` table the
exported workbook turns into a review sheet (``workbook``).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from crmlens.analyses.spec import AnalysisSpec
from crmlens.config import CrmlensConfig
from crmlens.overrides.store import OverrideStore, in_force

REVIEW_COLUMNS = (
    "entity_id",
    "entity_name",
    "field",
    "model_value",
    "current_value",
    "override_by",
    "override_reason",
    "override_expires",
    "stamp",
)


def store_of(config: CrmlensConfig) -> OverrideStore:
    return OverrideStore(config.overrides.path(config.monitor), config.monitor.lock_timeout)


def overrides_for(
    config: CrmlensConfig, spec: AnalysisSpec, field_name: str, as_of: dt.date
) -> "Overrides":
    store = store_of(config)
    latest = store.latest(spec.name, field_name) if store.path.exists() else None
    if latest is None or latest.empty:
        return Overrides(spec.name, spec.entity.kind, field_name, as_of)
    latest = latest[latest["entity_kind"] == spec.entity.kind]
    return Overrides(
        spec.name,
        spec.entity.kind,
        field_name,
        as_of,
        latest[in_force(latest, as_of)].reset_index(drop=True),
        dict(zip(latest["entity_id"].astype(str), latest["seq"].astype("int64"))),
        config.overrides.expiry_warning_days,
    )


def _empty_events() -> pd.DataFrame:
    return pd.DataFrame(
        {
            c: pd.Series(dtype="object")
            for c in ("entity_id", "new_value", "changed_by", "reason", "expires", "recorded_at")
        }
    )


@dataclass(frozen=True)
class Overrides:
    analysis: str
    entity_kind: str
    field: str
    as_of: dt.date
    current: pd.DataFrame = field(default_factory=_empty_events)  # overrides in force
    stamps: dict[str, int] = field(default_factory=dict)  # entity → seq of its latest event
    warning_days: int = 14

    def apply(self, frame: pd.DataFrame, id_column: str, model_column: str) -> pd.DataFrame:
        """``frame`` with ``<field>_model`` (the model), ``override_value``, ``override_by``,
        ``override_reason``, ``override_expires``, ``overridden`` and ``<field>`` (final)."""
        ids = frame[id_column].astype(str)
        cur = self.current.assign(entity_id=self.current["entity_id"].astype(str))
        cur = cur.drop_duplicates("entity_id", keep="last").set_index("entity_id")
        out = frame.copy()
        out[f"{self.field}_model"] = frame[model_column]
        out["override_value"] = ids.map(cur["new_value"]).astype(object)
        out["override_by"] = ids.map(cur["changed_by"]).astype(object)
        out["override_reason"] = ids.map(cur["reason"]).astype(object)
        expires = pd.to_datetime(ids.map(cur["expires"]))
        out["override_expires"] = expires.dt.strftime("%Y-%m-%d").astype(object)
        out["override_set_at"] = pd.to_datetime(ids.map(cur["recorded_at"]))
        out["overridden"] = out["override_value"].notna().to_numpy()
        out[self.field] = np.where(out["overridden"], out["override_value"], frame[model_column])
        days_left = (expires - pd.Timestamp(self.as_of)).dt.days
        out["override_expiring"] = (days_left <= self.warning_days).fillna(False).to_numpy()
        return out

    def unknown_entities(self, ids: pd.Series) -> list[str]:
        """Overrides in force for entities the run does not have (reported, never dropped)."""
        wanted = sorted(set(self.current["entity_id"].astype(str)))
        ids = ids.astype(str)
        found = set(ids[ids.isin(wanted)])  # isin with the few override ids: fast on any dtype
        return [entity for entity in wanted if entity not in found]

    def review(
        self, applied: pd.DataFrame, id_column: str, name_column: str, model_column: str
    ) -> pd.DataFrame:
        """The ``review`` table (``REVIEW_COLUMNS``) of an ``apply``-ed frame, in its order."""
        ids = applied[id_column].astype(str)
        return pd.DataFrame(
            {
                "entity_id": ids,
                "entity_name": applied[name_column].astype(object),
                "field": self.field,
                "model_value": applied[model_column].astype(object),
                "current_value": applied[self.field].astype(object),
                "override_by": applied["override_by"],
                "override_reason": applied["override_reason"],
                "override_expires": applied["override_expires"],
                "stamp": ids.map(self.stamps).fillna(0).astype("int64"),
            }
        ).reset_index(drop=True)
