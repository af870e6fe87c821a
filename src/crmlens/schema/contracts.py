"""Canonical table contracts — the one place that says which tables and columns exist.

Used by validation (``schema.validate``), the synthetic generator (``synth``) and the docs
(README's data model section is checked against this module by ``tests/test_docs.py``).
The model is ``spec/data-model.md`` of the design repository.

Analysis ids used in ``required_by``: ``contact_coverage``, ``investment_mismatch``,
``pipeline`` (funnel) and ``executive`` (exec summary).  A column required by any analysis the
user asks for is checked strictly; every other column is optional.
"""

from __future__ import annotations

from dataclasses import dataclass, field

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

COVERAGE = "contact_coverage"
MISMATCH = "investment_mismatch"
PIPELINE = "pipeline"
EXECUTIVE = "executive"
ALL_ANALYSES = (COVERAGE, MISMATCH, PIPELINE, EXECUTIVE)


MAX_TEXT_CHARS = 200  # longer text is cut (with an ellipsis) for classification, labels and charts
ELLIPSIS = "…"


def cap_text(value: str, limit: int = MAX_TEXT_CHARS) -> str:
    """``value`` cut to ``limit`` characters, the last one an ellipsis when anything was cut."""
    return value if len(value) <= limit else value[: limit - 1] + ELLIPSIS


@dataclass(frozen=True)
class ColumnSpec:
    name: str
    type: str
    required_by: frozenset[str] = frozenset()
    description: str = ""
    pii: bool = False
    used_by: frozenset[str] = frozenset()  # optional, but read by these analyses when present

    @property
    def analyses(self) -> frozenset[str]:
        """Every analysis that reads the column (required or optional)."""
        return self.required_by | self.used_by

    def __post_init__(self) -> None:
        assert self.type in LOGICAL_TYPES, self.type


@dataclass(frozen=True)
class ForeignKey:
    column: str
    ref_table: str
    ref_column: str
    required_by: frozenset[str] = frozenset()


@dataclass(frozen=True)
class TableSpec:
    name: str
    description: str
    columns: tuple[ColumnSpec, ...]
    key: str | None = None
    foreign_keys: tuple[ForeignKey, ...] = field(default_factory=tuple)

    def column(self, name: str) -> ColumnSpec:
        for c in self.columns:
            if c.name == name:
                return c
        raise KeyError(name)

    @property
    def column_names(self) -> tuple[str, ...]:
        return tuple(c.name for c in self.columns)

    @property
    def date_columns(self) -> tuple[ColumnSpec, ...]:
        return tuple(c for c in self.columns if c.type in ("date", "timestamp"))

    def required_columns(self, analyses: set[str] | frozenset[str]) -> tuple[ColumnSpec, ...]:
        return tuple(c for c in self.columns if c.required_by & set(analyses))

    def required_by(self) -> frozenset[str]:
        out: set[str] = set()
        for c in self.columns:
            out |= c.required_by
        return frozenset(out)


def _c(name: str, type_: str, *req: str, desc: str = "", pii: bool = False,
       used: tuple[str, ...] = ()) -> ColumnSpec:
    return ColumnSpec(name, type_, frozenset(req), desc, pii, frozenset(used))


ACCOUNTS = TableSpec(
    "salesforce__customer_360_view",
    "one row per account",
    (
        _c("account_id", "text", COVERAGE, PIPELINE, EXECUTIVE, desc="Salesforce account id, unique"),
        _c("account_name", "text", COVERAGE, PIPELINE, EXECUTIVE),
        _c("annual_revenue", "float", COVERAGE, EXECUTIVE, desc="USD, nullable"),
        _c("number_of_employees", "int", COVERAGE, desc="nullable; tiny values exist"),
        _c("industry_normalized", "text", COVERAGE),
        _c("company_size_category", "text", COVERAGE, desc="Enterprise / Mid-Market / Small Business / Unknown"),
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
    ),
    key="account_id",
)

CONTACTS = TableSpec(
    "salesforce__contact_enhanced",
    "one row per contact",
    (
        _c("contact_id", "text", COVERAGE),
        _c("account_id", "text", COVERAGE, desc="FK to accounts; orphans are counted"),
        _c("title", "text", COVERAGE, desc="free text, nullable"),
        _c("department", "text", COVERAGE, desc="free text, nullable"),
        _c("is_deleted", "bool", COVERAGE, desc="deleted contacts are excluded everywhere"),
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
    foreign_keys=(ForeignKey("account_id", "salesforce__customer_360_view", "account_id", frozenset({COVERAGE})),),
)

OPPORTUNITIES = TableSpec(
    "salesforce__opportunity_enhanced",
    "one row per opportunity",
    (
        _c("opportunity_id", "text", PIPELINE, EXECUTIVE),
        _c("account_id", "text", PIPELINE, EXECUTIVE),
        _c("owner_id", "text"),
        _c("amount", "float", EXECUTIVE),
        _c("stage_name", "text", PIPELINE),
        _c("probability", "float"),
        _c("is_won", "bool", PIPELINE, EXECUTIVE),
        _c("is_closed", "bool", PIPELINE, EXECUTIVE),
        _c("type", "text"),
        _c("lead_source", "text"),
        _c("created_date", "date", PIPELINE, EXECUTIVE),
        _c("close_date", "date", PIPELINE, EXECUTIVE),
        _c("days_to_close", "int"),
    ),
    key="opportunity_id",
    foreign_keys=(ForeignKey("account_id", "salesforce__customer_360_view", "account_id", frozenset({PIPELINE})),),
)

CUSTOMER_VALUE = TableSpec(
    "customer360__customer_value_analysis",
    "one row per customer (latest analysis); duplicate emails exist",
    (
        _c("primary_email", "text", MISMATCH, desc="join key to customer360__customer.email, case-insensitive", pii=True),
        _c("marketo_lead_id", "id"),
        _c("stripe_customer_id", "id"),
        _c("zendesk_user_id", "id"),
        _c("analysis_timestamp", "timestamp", used=(MISMATCH,), desc="the latest row per e-mail wins"),
        _c("investment_priority_score", "float", MISMATCH),
        _c("product_adoption_rate", "float", MISMATCH),
        _c("support_resolution_efficiency", "float", MISMATCH),
        _c("customer_lifetime_value", "float", MISMATCH),
        _c("acquisition_cost", "float", MISMATCH),
        _c("lifecycle_stage", "text", MISMATCH),
        _c("industry_vertical", "text", MISMATCH),
        _c("company_size_tier", "text", MISMATCH),
        _c("customer_onboarding_score", "float", MISMATCH),
        _c("team_size", "int", MISMATCH),
        _c("decision_maker_level", "text", MISMATCH),
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
        _c("customer360_id", "text", MISMATCH),
        _c("email", "text", MISMATCH, pii=True),
        _c("total_sales_amount", "float", MISMATCH),
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
    t.name: t for t in (ACCOUNTS, CONTACTS, OPPORTUNITIES, CUSTOMER_VALUE, CUSTOMERS, MAPPING)
}


def contract(name: str) -> TableSpec:
    return CONTRACTS[name]


def tables_for(analyses: set[str] | frozenset[str]) -> tuple[TableSpec, ...]:
    """Tables holding at least one column required by one of ``analyses``."""
    return tuple(t for t in CONTRACTS.values() if t.required_by() & set(analyses))
