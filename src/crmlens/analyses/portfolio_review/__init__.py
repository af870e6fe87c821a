"""Executive portfolio review — the CEO's seven dimensions (seed 003): the analysis unit.

``config`` (its section: windows, thresholds, red lines, keyword maps), ``analysis`` (the stages:
``read``, engine ``expressions``, then one module per dimension: ``value``, ``growth``, ``risk``,
``structure``, ``needs``, ``experience``, ``competition``; ``cards`` holds the card and status
logic, ``spend`` the channel spend, ``evidence`` the tests), ``views`` (report), ``messages/``
(en/zh), ``rules.yaml`` (default alert rules), ``pandas_reference`` (the independent re-computation
the tests compare with).

Only the opportunity table is required; every other v2 table is read when present, and a
dimension whose inputs are absent is reported as "not measurable" with what it needs."""

from __future__ import annotations

from crmlens.analyses.portfolio_review import columns
from crmlens.analyses.portfolio_review.config import PortfolioReviewConfig
from crmlens.analyses.spec import AnalysisSpec, EntityModel, RunContext
from crmlens.schema.contracts import (
    ACCOUNTS,
    CAMPAIGN_SPEND,
    CAMPAIGNS,
    CASES,
    CONTACTS,
    CUSTOMER_VALUE,
    NPS_RESPONSES,
    OPPORTUNITIES,
)


def _compute(ctx: RunContext):
    from crmlens.analyses.portfolio_review.analysis import compute  # loads the engine stack

    return compute(ctx)


SPEC = AnalysisSpec(
    name="portfolio_review",
    needs={OPPORTUNITIES.name: columns.OPPORTUNITY_COLUMNS},
    uses={
        OPPORTUNITIES.name: columns.OPTIONAL_OPPORTUNITY_COLUMNS,
        ACCOUNTS.name: columns.ACCOUNT_COLUMNS,
        CONTACTS.name: columns.CONTACT_COLUMNS,
        CASES.name: columns.CASE_COLUMNS,
        NPS_RESPONSES.name: columns.NPS_COLUMNS,
        CAMPAIGNS.name: columns.CAMPAIGN_COLUMNS,
        CAMPAIGN_SPEND.name: columns.SPEND_COLUMNS,
        CUSTOMER_VALUE.name: columns.VALUE_COLUMNS,
    },
    compute=_compute,
    config_model=PortfolioReviewConfig,
    entity=EntityModel(kind="dimension"),  # its plan's rows are the dimensions
    views="crmlens.analyses.portfolio_review.views",
    package=__name__,
    order=5,  # the first section of the report when present
    applies_with=(OPPORTUNITIES.name,),
)
