"""Customer segmentation with human judgement (seed 004): the analysis unit.

``config`` (its section), ``analysis`` (the stages, in order: ``features`` with ``expressions`` on
the engine, ``rfm``, ``human`` (overrides after the model), ``guard`` (over-segmentation and the
plan), ``clusters`` (scikit-learn, in Python on the per-account feature table), ``utilisation``,
``tables``, ``narrative``), ``views`` (report), ``messages/`` (en/zh), ``rules.yaml`` (default
alert rules)."""

from __future__ import annotations

from crmlens.analyses.segmentation.columns import (
    ACCOUNT_COLUMNS,
    OPPORTUNITY_COLUMNS,
    OPTIONAL_ACCOUNT_COLUMNS,
)
from crmlens.analyses.segmentation.columns import C360_VALUE_COLUMNS
from crmlens.analyses.segmentation.config import DEFAULT_SEGMENTS, SegmentationConfig
from crmlens.analyses.spec import AnalysisSpec, EntityModel, OverrideField, RunContext
from crmlens.schema.contracts import ACCOUNTS, CONTACTS, CUSTOMER_VALUE, OPPORTUNITIES


def _compute(ctx: RunContext):
    from crmlens.analyses.segmentation.analysis import compute  # loads the engine stack, sklearn

    return compute(ctx)


def _segment_names(config) -> tuple[str, ...]:
    return config.section("segmentation").segment_names


# the default segments from the least to the most valuable (rules may name them as tiers)
TIERS = ("Lost", "Hibernating", "Other", *(s.name for s in reversed(DEFAULT_SEGMENTS[:-2])))

SPEC = AnalysisSpec(
    name="segmentation",
    # only the deals are required: without them the analysis is not applicable to a source;
    # the account table enriches (names, prospects, firmographics) and orphan deals are counted
    needs={OPPORTUNITIES.name: OPPORTUNITY_COLUMNS},
    uses={
        ACCOUNTS.name: (*ACCOUNT_COLUMNS, *OPTIONAL_ACCOUNT_COLUMNS),
        # rfm_source: customer360 — the value table's scores, tied to accounts by contact e-mail
        CUSTOMER_VALUE.name: C360_VALUE_COLUMNS,
        CONTACTS.name: ("account_id", "email", "is_deleted"),
    },
    compute=_compute,
    config_model=SegmentationConfig,
    # segments are categories, not a risk scale: the "since last run" section lists no tier
    # moves; rules watch a segment's size, Champions turning At Risk and expiring overrides
    entity=EntityModel(
        kind="account",
        tiers=TIERS,
        events={
            "left_for_watch_segment": ("watch", "became_zero"),
            "override_expiring": ("override_ok", "became_false"),
        },
        since_last=(),
    ),
    views="crmlens.analyses.segmentation.views",
    package=__name__,
    overridable=(OverrideField("segment", "choice", _segment_names),),
    order=30,
    applies_with=(OPPORTUNITIES.name,),
)
