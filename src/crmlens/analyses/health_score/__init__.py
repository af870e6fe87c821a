"""Account health score (0–100) with a risk matrix, a 6-month revenue outlook and playbooks:
the analysis unit.

``config`` (its section: preset, weights, profiles, missing-input policy, tier cuts), ``analysis``
(the stages: ``inputs`` on the engine, ``score``, ``tables``, ``plan``, ``narrative``), ``views``
(report), ``messages/`` (en/zh), ``rules.yaml`` (default alert rules)."""

from __future__ import annotations

from crmlens.analyses.health_score.columns import ACCOUNT_COLUMNS, INPUT_COLUMNS, OWNER_COLUMNS
from crmlens.analyses.health_score.config import HealthScoreConfig
from crmlens.analyses.spec import AnalysisSpec, EntityModel, RunContext
from crmlens.schema.contracts import ACCOUNTS


def _compute(ctx: RunContext):
    from crmlens.analyses.health_score.analysis import compute  # loads the engine stack

    return compute(ctx)


SPEC = AnalysisSpec(
    name="health_score",
    needs={ACCOUNTS.name: ACCOUNT_COLUMNS},
    uses={ACCOUNTS.name: (*INPUT_COLUMNS, *OWNER_COLUMNS)},
    compute=_compute,
    config_model=HealthScoreConfig,
    entity=EntityModel(kind="account", tiers=("low", "medium", "high")),
    views="crmlens.analyses.health_score.views",
    package=__name__,
    order=40,
    applies_with=(ACCOUNTS.name,),
)
