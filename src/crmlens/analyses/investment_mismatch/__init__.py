"""Investment vs. return mismatch (seed 000): the analysis unit.

``config`` (its section), ``analysis`` (the stages, in order: ``base_table`` with
``expressions`` on the engine, ``composite``, ``groups``, ``stages``, ``behaviour``, ``pool``,
``root_cause``, ``priority_model`` (with ``stats.ridge``), ``tables`` and ``plan``,
``narrative``, ``recommendations``), ``checks`` (cross-table validation), ``views`` (report),
``messages/`` (en/zh), ``rules.yaml`` (default alert rules)."""

from __future__ import annotations

from crmlens.analyses.investment_mismatch.columns import CUSTOMER_COLUMNS, VALUE_COLUMNS
from crmlens.analyses.investment_mismatch.config import InvestmentMismatchConfig
from crmlens.analyses.spec import AnalysisSpec, EntityModel, RunContext
from crmlens.schema.contracts import CUSTOMER_VALUE, CUSTOMERS


def _checks(data, config, add) -> None:
    from crmlens.analyses.investment_mismatch.checks import identity_checks

    identity_checks(data, config, add)


def _compute(ctx: RunContext):
    from crmlens.analyses.investment_mismatch.analysis import compute  # loads scipy, sklearn

    return compute(ctx)


SPEC = AnalysisSpec(
    name="investment_mismatch",
    needs={
        CUSTOMER_VALUE.name: ("primary_email", *VALUE_COLUMNS),
        CUSTOMERS.name: CUSTOMER_COLUMNS,
    },
    compute=_compute,
    uses={CUSTOMER_VALUE.name: ("analysis_timestamp",)},
    checks=_checks,
    config_model=InvestmentMismatchConfig,
    # the tiers are categories rather than a risk scale: rules may name them, the report's
    # "since last run" section lists no tier moves for this analysis
    entity=EntityModel(
        kind="customer",
        tiers=("mismatched", "top_matched", "other"),
        unknown_tiers=("data_gap",),
        since_last=(),
    ),
    views="crmlens.analyses.investment_mismatch.views",
    package=__name__,
    order=20,
)
