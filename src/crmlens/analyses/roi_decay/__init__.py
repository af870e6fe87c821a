"""Campaign ROI decay (seed 004 §3): the analysis unit.

``config`` (its section), ``analysis`` (the stages: ``inputs`` on the engine, ``panel``, ``fit``,
past break-even, the seed's claim, ``narrative``), ``views`` (report), ``messages/`` (en/zh),
``rules.yaml`` (default alert rules)."""

from __future__ import annotations

from crmlens.analyses.roi_decay.columns import (
    CAMPAIGN_COLUMNS,
    OPPORTUNITY_COLUMNS,
    OPTIONAL_CAMPAIGN_COLUMNS,
    SPEND_COLUMNS,
)
from crmlens.analyses.roi_decay.config import RoiDecayConfig
from crmlens.analyses.spec import AnalysisSpec, EntityModel, RunContext
from crmlens.schema.contracts import CAMPAIGN_SPEND, CAMPAIGNS, OPPORTUNITIES


def _compute(ctx: RunContext):
    from crmlens.analyses.roi_decay.analysis import compute  # loads the engine stack

    return compute(ctx)


SPEC = AnalysisSpec(
    name="roi_decay",
    needs={CAMPAIGNS.name: CAMPAIGN_COLUMNS, OPPORTUNITIES.name: OPPORTUNITY_COLUMNS},
    uses={CAMPAIGNS.name: OPTIONAL_CAMPAIGN_COLUMNS, CAMPAIGN_SPEND.name: SPEND_COLUMNS},
    foreign_keys={OPPORTUNITIES.name: ("campaign_id",)},
    compute=_compute,
    config_model=RoiDecayConfig,
    entity=EntityModel(kind="campaign", tiers=("past_break_even", "paying")),
    views="crmlens.analyses.roi_decay.views",
    package=__name__,
    order=50,
    applies_with=(CAMPAIGNS.name,),
)
