"""Key-account contact coverage (seeds 001, 002): the analysis unit.

``config`` (its section), ``analysis`` (the stages, in order: ``key_accounts`` with
``expressions`` on the engine, ``peers``, ``risk``, ``plan``, ``outcomes``, ``tables``,
``narrative``), ``views``
(report: headline metrics, tables, charts, method notes), ``messages/`` (en/zh), ``rules.yaml``
(default alert rules), ``pandas_baseline`` (for ``crmlens bench``)."""

from __future__ import annotations

from crmlens.analyses.contact_coverage.columns import (
    ACCOUNT_COLUMNS,
    CONTACT_COLUMNS,
    OPPORTUNITY_COLUMNS,
    OPTIONAL_ACCOUNT_COLUMNS,
)
from crmlens.analyses.contact_coverage.config import ContactCoverageConfig
from crmlens.analyses.spec import AnalysisSpec, EntityModel, RunContext
from crmlens.schema.contracts import ACCOUNTS, CONTACTS, OPPORTUNITIES


def _compute(ctx: RunContext):
    from crmlens.analyses.contact_coverage.analysis import compute  # loads the engine stack

    return compute(ctx)


SPEC = AnalysisSpec(
    name="contact_coverage",
    needs={ACCOUNTS.name: ACCOUNT_COLUMNS, CONTACTS.name: CONTACT_COLUMNS},
    # opportunities: read when present, to test whether coverage goes with outcomes
    uses={ACCOUNTS.name: OPTIONAL_ACCOUNT_COLUMNS, OPPORTUNITIES.name: OPPORTUNITY_COLUMNS},
    foreign_keys={CONTACTS.name: ("account_id",)},
    compute=_compute,
    config_model=ContactCoverageConfig,
    entity=EntityModel(
        kind="account",
        tiers=("high", "medium", "low"),
        unknown_tiers=("data_gap",),  # a tier that missing data could hide
        events={
            "new_zero_contacts": ("n_contacts", "became_zero"),
            "lost_executives": ("n_decision", "became_zero"),
            "new_unknown_employees": ("employees_known", "became_false"),
        },
        known_flags=("employees_known",),
        since_last=(
            "entered_tier",
            "left_tier",
            "new_zero_contacts",
            "improved",
            "lost_executives",
            "new_unknown_employees",
        ),
    ),
    views="crmlens.analyses.contact_coverage.views",
    package=__name__,
    benchmark="crmlens.analyses.contact_coverage.pandas_baseline",
    order=10,
)
