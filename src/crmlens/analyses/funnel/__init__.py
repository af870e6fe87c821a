"""Pipeline funnel with conversion prediction adjusted by people (seed 004): the analysis unit.

``config`` (its section: stage map, training minimums, calibration, forecast interval),
``analysis`` (the stages: ``inputs`` on the engine, ``timeline``, ``model``, ``forecast``,
``narrative``), ``views`` (report), ``messages/`` (en/zh), ``rules.yaml`` (default alert rules)."""

from __future__ import annotations

from crmlens.analyses.funnel.columns import (
    ACCOUNT_COLUMNS,
    HISTORY_COLUMNS,
    OPPORTUNITY_COLUMNS,
    OPTIONAL_HISTORY_COLUMNS,
    OPTIONAL_OPPORTUNITY_COLUMNS,
    USER_COLUMNS,
)
from crmlens.analyses.funnel.config import FunnelConfig
from crmlens.analyses.spec import AnalysisSpec, EntityModel, OverrideField, RunContext
from crmlens.schema.contracts import ACCOUNTS, OPPORTUNITIES, OPPORTUNITY_HISTORY, USERS


def _compute(ctx: RunContext):
    from crmlens.analyses.funnel.analysis import compute  # loads the engine and model stack

    return compute(ctx)


SPEC = AnalysisSpec(
    name="funnel",
    needs={OPPORTUNITIES.name: OPPORTUNITY_COLUMNS, OPPORTUNITY_HISTORY.name: HISTORY_COLUMNS},
    uses={
        OPPORTUNITIES.name: OPTIONAL_OPPORTUNITY_COLUMNS,
        OPPORTUNITY_HISTORY.name: OPTIONAL_HISTORY_COLUMNS,
        ACCOUNTS.name: ACCOUNT_COLUMNS,
        USERS.name: USER_COLUMNS,
    },
    foreign_keys={OPPORTUNITY_HISTORY.name: ("opportunity_id",)},
    compute=_compute,
    config_model=FunnelConfig,
    entity=EntityModel(kind="opportunity", tiers=("low", "medium", "high")),
    overridable=(
        OverrideField("win_probability", "number", minimum=0.0, maximum=100.0),
        OverrideField("expected_close", "date"),
    ),
    views="crmlens.analyses.funnel.views",
    package=__name__,
    order=35,
    applies_with=(OPPORTUNITY_HISTORY.name,),
)
