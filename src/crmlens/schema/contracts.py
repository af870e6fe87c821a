"""Canonical table contracts — the one place that says which tables and columns exist.

Used by validation (``schema.validate``), the synthetic generator (``synth``) and the docs
(README's data model section is checked against this module by ``tests/test_docs.py``).
The model is ``spec/data-model.md`` of the design repository.

Which columns an analysis needs is declared by the analysis unit (``AnalysisSpec.needs``) and
pushed here with :func:`declare_needs` when the unit registers; ``required_by`` then answers from
those declarations.  A column required by any analysis the user asks for is checked strictly;
every other column is optional.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Callable

# Logical types.  ``accepts`` lists the physical type families an engine may really store.
LOGICAL_TYPES: dict[str, frozenset[str]] = {
    "text": frozenset({"string"}),
    "float": frozenset({"floating", "integer", "decimal"}),
    "int": frozenset({"integer", "floating", "decimal"}),  # CSV/Parquet exports often widen
    "bool": frozenset({"boolean", "integer"}),  # SQLite stores 0/1
    "date": frozenset({"date", "timestamp", "string"}),  # SQLite stores dates as text
    "timestamp": frozenset({"timestamp", "date", "string"}),
    "id": frozenset({"string", "integer"}),  # source-system ids: text or int
}

# analysis → table → required / optional / foreign-key columns (filled by declare_needs), and the
# cross-table checks an analysis brings to validation
_NEEDS: dict[str, dict[str, frozenset[str]]] = {}
_USES: dict[str, dict[str, frozenset[str]]] = {}
_FK_NEEDS: dict[str, dict[str, frozenset[str]]] = {}
_CHECKS: dict[str, Callable[..., None]] = {}

MAX_TEXT_CHARS = 200  # longer text is cut (with an ellipsis) for classification, labels and charts
ELLIPSIS = "…"


def cap_text(value: str, limit: int = MAX_TEXT_CHARS) -> str:
    """``value`` cut to ``limit`` characters, the last one an ellipsis when anything was cut."""
    return value if len(value) <= limit else value[: limit - 1] + ELLIPSIS


def add_contract(spec: "TableSpec") -> None:
    """Add a table an analysis unit brings to the canonical model (an existing name must be the
    same contract)."""
    existing = CONTRACTS.get(spec.name)
    assert existing is None or existing == spec, f"table {spec.name} is already defined differently"
    CONTRACTS[spec.name] = spec


def declare_needs(
    analysis: str,
    needs: dict[str, tuple[str, ...]],
    foreign_keys: dict[str, tuple[str, ...]] | None = None,
    uses: dict[str, tuple[str, ...]] | None = None,
    checks: Callable[..., None] | None = None,
) -> None:
    """Record what an analysis reads, by canonical table: required columns, foreign-key columns
    checked against their parent, optional columns read when present, and its own cross-table
    checks (``checks(data, config, add)``, run by validation when its tables are usable)."""
    for table, cols in {**needs, **(uses or {})}.items():
        known = CONTRACTS[table].column_names
        unknown = [c for c in cols if c not in known]
        assert not unknown, f"{analysis} reads unknown columns of {table}: {unknown}"
    _NEEDS[analysis] = {t: frozenset(c) for t, c in needs.items()}
    _USES[analysis] = {t: frozenset(c) for t, c in (uses or {}).items()}
    _FK_NEEDS[analysis] = {t: frozenset(c) for t, c in (foreign_keys or {}).items()}
    if checks is not None:
        _CHECKS[analysis] = checks


def forget_needs(analysis: str) -> None:
    for registry in (_NEEDS, _USES, _FK_NEEDS, _CHECKS):
        registry.pop(analysis, None)


def analysis_checks(analyses: set[str] | frozenset[str]) -> dict[str, Callable[..., None]]:
    """The cross-table checks of the given analyses, by analysis."""
    return {a: fn for a, fn in sorted(_CHECKS.items()) if a in analyses}


def _needed_by(
    registry: dict[str, dict[str, frozenset[str]]], table: str, column: str
) -> frozenset[str]:
    return frozenset(a for a, tables in registry.items() if column in tables.get(table, ()))


@dataclass(frozen=True)
class ColumnSpec:
    name: str
    type: str
    description: str = ""
    pii: bool = False
    table: str = ""  # set by the TableSpec holding it

    def __post_init__(self) -> None:
        assert self.type in LOGICAL_TYPES, self.type

    @property
    def required_by(self) -> frozenset[str]:
        return _needed_by(_NEEDS, self.table, self.name)

    @property
    def used_by(self) -> frozenset[str]:
        """Analyses that read the column when present (optional for them)."""
        return _needed_by(_USES, self.table, self.name)

    @property
    def analyses(self) -> frozenset[str]:
        """Every analysis that reads the column (required or optional)."""
        return self.required_by | self.used_by


@dataclass(frozen=True)
class ForeignKey:
    column: str
    ref_table: str
    ref_column: str
    table: str = ""  # set by the TableSpec holding it

    @property
    def required_by(self) -> frozenset[str]:
        return _needed_by(_FK_NEEDS, self.table, self.column)


@dataclass(frozen=True)
class TableSpec:
    name: str
    description: str
    columns: tuple[ColumnSpec, ...]
    key: str | None = None
    foreign_keys: tuple[ForeignKey, ...] = field(default_factory=tuple)

    def __post_init__(self) -> None:
        for item in (*self.columns, *self.foreign_keys):
            object.__setattr__(item, "table", self.name)

    def column(self, name: str) -> ColumnSpec:
        for c in self.columns:
            if c.name == name:
                return c
        raise KeyError(name)

    @property
    def date_columns(self) -> tuple[ColumnSpec, ...]:
        return tuple(c for c in self.columns if c.type in ("date", "timestamp"))

    @property
    def column_names(self) -> tuple[str, ...]:
        return tuple(c.name for c in self.columns)

    def required_columns(self, analyses: set[str] | frozenset[str]) -> tuple[ColumnSpec, ...]:
        return tuple(c for c in self.columns if c.required_by & set(analyses))

    def required_by(self) -> frozenset[str]:
        out: set[str] = set()
        for c in self.columns:
            out |= c.required_by
        return frozenset(out)


def _c(name: str, type_: str, desc: str = "", pii: bool = False) -> ColumnSpec:
    return ColumnSpec(name, type_, desc, pii)


ACCOUNTS = TableSpec(
    "salesforce__customer_360_view",
    "one row per account",
    (
        _c("account_id", "text", desc="Salesforce account id, unique"),
        _c("account_name", "text"),
        _c("annual_revenue", "float", desc="USD, nullable"),
        _c("number_of_employees", "int", desc="nullable; tiny values exist"),
        _c("industry_normalized", "text"),
        _c(
            "company_size_category",
            "text",
            desc="Enterprise / Mid-Market / Small Business / Unknown",
        ),
        _c("account_size_segment", "text"),
        _c("owner_id", "text"),
        _c("account_owner_name", "text"),
        _c("account_type", "text"),
        _c("billing_state", "text"),
        _c("billing_city", "text"),
        _c("geographic_region", "text"),
        _c("total_contacts", "int"),
        _c("contacts_with_email", "int"),
        _c("days_since_last_activity", "int"),
        _c("total_activities_30d", "int"),
        _c("total_won_amount", "float"),
        _c("current_pipeline_amount", "float"),
        _c("total_opportunities", "int"),
        _c("won_opportunities", "int"),
        _c("win_rate_percentage", "float"),
        _c("churn_risk_level", "text"),
        _c("account_age_days", "int"),
        _c("acquisition_channel", "text", desc="how the customer was won (Referral, Partner, …)"),
        _c("created_date", "date", desc="account creation"),
        _c("competitor_in_use", "text", desc="competitor product the account also uses, if known"),
    ),
    key="account_id",
)

CONTACTS = TableSpec(
    "salesforce__contact_enhanced",
    "one row per contact",
    (
        _c("contact_id", "text"),
        _c("account_id", "text", desc="FK to accounts; orphans are counted"),
        _c("title", "text", desc="free text, nullable"),
        _c("department", "text", desc="free text, nullable"),
        _c("is_deleted", "bool", desc="deleted contacts are excluded everywhere"),
        _c("first_name", "text", pii=True),
        _c("last_name", "text", pii=True),
        _c("email", "text", pii=True),
        _c("phone", "text", pii=True),
        _c("lead_source", "text"),
        _c("created_date", "date"),
        _c("last_activity_date", "date"),
        _c("mailing_state", "text"),
    ),
    key="contact_id",
    foreign_keys=(ForeignKey("account_id", "salesforce__customer_360_view", "account_id"),),
)

OPPORTUNITIES = TableSpec(
    "salesforce__opportunity_enhanced",
    "one row per opportunity",
    (
        _c("opportunity_id", "text"),
        _c("account_id", "text"),
        _c("owner_id", "text"),
        _c("amount", "float"),
        _c("stage_name", "text"),
        _c("probability", "float"),
        _c("is_won", "bool"),
        _c("is_closed", "bool"),
        _c("type", "text"),
        _c("lead_source", "text"),
        _c("campaign_id", "text", desc="primary campaign (FK salesforce__campaign), nullable"),
        _c("forecast_category", "text", desc="Pipeline / Best Case / Commit / Closed / Omitted"),
        _c("competitor", "text", desc="main competitor on the deal, free text"),
        _c("loss_reason", "text", desc="for Closed Lost: Price / Lost to Competitor / …"),
        _c("gross_margin", "float", desc="margin of the deal, 0–1, nullable"),
        _c("created_date", "date"),
        _c("close_date", "date", desc="expected date for open deals"),
        _c("days_to_close", "int"),
    ),
    key="opportunity_id",
    foreign_keys=(
        ForeignKey("account_id", "salesforce__customer_360_view", "account_id"),
        ForeignKey("owner_id", "salesforce__user", "owner_id"),
        ForeignKey("campaign_id", "salesforce__campaign", "campaign_id"),
    ),
)

OPPORTUNITY_HISTORY = TableSpec(
    "salesforce__opportunity_history",
    "one row per stage change (Salesforce OpportunityHistory)",
    (
        _c("opportunity_id", "text", desc="FK opportunity; unknown ones are orphans"),
        _c("created_date", "timestamp", desc="when the opportunity entered stage_name"),
        _c("stage_name", "text"),
        _c("amount", "float"),
        _c("probability", "float"),
        _c("close_date", "date"),
        _c("forecast_category", "text"),
    ),
    foreign_keys=(
        ForeignKey("opportunity_id", "salesforce__opportunity_enhanced", "opportunity_id"),
    ),
)

USERS = TableSpec(
    "salesforce__user",
    "one row per CRM user (owners)",
    (
        _c("owner_id", "text"),
        _c("name", "text", desc="the user's name"),
        _c("role", "text", desc="Account Executive / SDR / Customer Success Manager / …"),
        _c("manager_id", "text"),
        _c("region", "text"),
        _c("is_active", "bool"),
    ),
    key="owner_id",
)

CASES = TableSpec(
    "salesforce__case",
    "one row per support case / complaint",
    (
        _c("case_id", "text"),
        _c("account_id", "text"),
        _c("created_date", "timestamp"),
        _c("closed_date", "timestamp", desc="NULL while open"),
        _c("status", "text", desc="New / Working / Escalated / Closed"),
        _c("type", "text", desc="Problem / Question / Feature Request / Complaint / Billing"),
        _c("reason", "text", desc="topic, free text or picklist, English or Chinese"),
        _c("priority", "text", desc="Low / Medium / High / Critical"),
        _c("origin", "text", desc="Email / Phone / Web / Chat / WeChat"),
        _c("csat_score", "int", desc="satisfaction 1–5 after resolution, nullable"),
    ),
    key="case_id",
    foreign_keys=(ForeignKey("account_id", "salesforce__customer_360_view", "account_id"),),
)

CAMPAIGNS = TableSpec(
    "salesforce__campaign",
    "one row per marketing campaign",
    (
        _c("campaign_id", "text"),
        _c("name", "text"),
        _c("type", "text", desc="Email / Webinar / Paid Search / Social / Event / …"),
        _c("start_date", "date"),
        _c("end_date", "date", desc="NULL = still running"),
        _c("actual_cost", "float", desc="total spend to date (USD); 0 and NULL exist"),
        _c("is_targeted", "bool", desc="precision-targeted vs. broad"),
    ),
    key="campaign_id",
)

CAMPAIGN_SPEND = TableSpec(
    "marketing__campaign_spend",
    "optional spend per campaign and month",
    (
        _c("campaign_id", "text"),
        _c("month", "date", desc="first day of the month"),
        _c("spend", "float"),
    ),
    foreign_keys=(ForeignKey("campaign_id", "salesforce__campaign", "campaign_id"),),
)

LEADS = TableSpec(
    "salesforce__lead",
    "one row per lead (optional: where the pipeline starts)",
    (
        _c("lead_id", "text"),
        _c("created_date", "date"),
        _c("lead_source", "text"),
        _c("campaign_id", "text"),
        _c("status", "text"),
        _c("is_converted", "bool"),
        _c("converted_date", "date"),
        _c("converted_account_id", "text"),
        _c("converted_opportunity_id", "text"),
    ),
    key="lead_id",
)

NPS_RESPONSES = TableSpec(
    "survey__nps_response",
    "one row per NPS survey answer",
    (
        _c("response_id", "text"),
        _c("account_id", "text"),
        _c("response_date", "date"),
        _c("score", "int", desc="0–10; promoters 9–10, passives 7–8, detractors 0–6"),
        _c("comment", "text", desc="free text in English or Chinese", pii=True),
    ),
    key="response_id",
    foreign_keys=(ForeignKey("account_id", "salesforce__customer_360_view", "account_id"),),
)

CUSTOMER_VALUE = TableSpec(
    "customer360__customer_value_analysis",
    "one row per customer (latest analysis); duplicate emails exist",
    (
        _c(
            "primary_email",
            "text",
            desc="join key to customer360__customer.email, case-insensitive",
            pii=True,
        ),
        _c("marketo_lead_id", "id"),
        _c("stripe_customer_id", "id"),
        _c("zendesk_user_id", "id"),
        _c("analysis_timestamp", "timestamp", desc="the latest row per e-mail wins"),
        _c("investment_priority_score", "float"),
        _c("product_adoption_rate", "float"),
        _c("support_resolution_efficiency", "float"),
        _c("customer_lifetime_value", "float"),
        _c("acquisition_cost", "float"),
        _c("lifecycle_stage", "text"),
        _c("industry_vertical", "text"),
        _c("company_size_tier", "text"),
        _c("customer_onboarding_score", "float"),
        _c("team_size", "int"),
        _c("decision_maker_level", "text"),
        _c("customer_tier", "text"),
        _c("recency_score", "int"),
        _c("frequency_score", "int"),
        _c("monetary_score", "int"),
        _c("customer_health_score", "float"),
        _c("churn_probability", "float"),
        _c("nps_score", "float"),
        _c("renewal_probability", "float"),
        _c("expansion_revenue_potential", "float"),
        _c("estimated_customer_ltv", "float"),
        _c("digital_engagement_score", "float"),
        _c("time_to_value_days", "float"),
    ),
)

CUSTOMERS = TableSpec(
    "customer360__customer",
    "one row per resolved customer identity",
    (
        _c("customer360_id", "text"),
        _c("email", "text", pii=True),
        _c("total_sales_amount", "float"),
        _c("organization_name", "text"),
        _c("full_name", "text", pii=True),
        _c("country", "text"),
        _c("state", "text"),
        _c("city", "text"),
        _c("customer360_organization_id", "text"),
        _c("is_organization_header", "bool"),
        _c("first_sale_date", "date"),
        _c("most_recent_sale_date", "date"),
    ),
    key="customer360_id",
)

MAPPING = TableSpec(
    "customer360__mapping",
    "source-system ids to customer360_id (alternative identity path)",
    (
        _c("customer360_id", "text"),
        _c("customer360_organization_id", "text"),
        _c("is_organization_header", "bool"),
        _c("marketo_lead_id", "id"),
        _c("stripe_customer_id", "id"),
        _c("zendesk_user_id", "id"),
    ),
)

CONTRACTS: dict[str, TableSpec] = {
    t.name: t
    for t in (
        ACCOUNTS,
        CONTACTS,
        OPPORTUNITIES,
        OPPORTUNITY_HISTORY,
        USERS,
        CASES,
        CAMPAIGNS,
        CAMPAIGN_SPEND,
        LEADS,
        NPS_RESPONSES,
        CUSTOMER_VALUE,
        CUSTOMERS,
        MAPPING,
    )
}
CORE_TABLES = frozenset(CONTRACTS)  # the canonical model; units may add tables, never remove these


def contract(name: str) -> TableSpec:
    return CONTRACTS[name]


def tables_for(analyses: set[str] | frozenset[str]) -> tuple[TableSpec, ...]:
    """Tables holding at least one column required by one of ``analyses``."""
    return tuple(t for t in CONTRACTS.values() if t.required_by() & set(analyses))
