"""Configuration of the executive portfolio review (the ``portfolio_review:`` section).  Every
window, threshold, red line and keyword map is here; the report's method notes print them."""

from __future__ import annotations

from typing import Literal

from pydantic import Field, model_validator

from crmlens.config import Strict

DIMENSIONS = (
    "value",
    "growth",
    "risk",
    "structure",
    "needs",
    "experience",
    "competition",
)


class RedLine(Strict):
    """The card's red line: ``metric`` at or beyond ``alert`` → alert, beyond ``watch`` → watch."""

    metric: str
    worse: Literal["above", "below"]
    watch: float
    alert: float


RED_LINES = {
    "value": RedLine(metric="top_share", worse="above", watch=0.6, alert=0.8),
    "growth": RedLine(metric="nrr", worse="below", watch=1.05, alert=1.0),
    "risk": RedLine(metric="top5_share", worse="above", watch=0.25, alert=0.30),
    "structure": RedLine(
        metric="largest_channel_customer_share", worse="above", watch=0.5, alert=0.7
    ),
    "needs": RedLine(metric="feature_request_share", worse="above", watch=0.2, alert=0.3),
    "experience": RedLine(metric="nps_t12", worse="below", watch=30.0, alert=0.0),
    "competition": RedLine(metric="lost_to_competitor_share", worse="above", watch=0.25, alert=0.4),
}

OWNER_ROLES = {  # who owns a dimension's plan (the default alert rule's owner where there is one)
    "value": "revops",
    "growth": "customer_success",
    "risk": "revops",
    "structure": "marketing",
    "needs": "product",
    "experience": "customer_success",
    "competition": "sales_manager",
}

CASE_TYPES = {
    "feature_request": ["feature request", "feature", "enhancement", "功能需求", "需求", "新功能"],
    "complaint": ["complaint", "投诉", "抱怨"],
    "problem": ["problem", "bug", "incident", "故障", "问题"],
    "question": ["question", "how to", "咨询", "疑问"],
    "billing": ["billing", "invoice", "账单", "发票", "付款"],
}

CASE_TOPICS = {
    "missing_feature": ["missing", "feature", "export", "integration", "缺少", "功能", "集成"],
    "performance": ["slow", "performance", "timeout", "慢", "卡顿", "性能"],
    "service_attitude": ["attitude", "rude", "service", "服务态度", "态度"],
    "billing": ["billing", "invoice", "price", "账单", "发票", "价格"],
    "bug": ["bug", "error", "crash", "报错", "崩溃", "故障"],
    "usability": ["usability", "confusing", "training", "易用", "培训", "操作"],
}

CAMPAIGN_CHANNELS = {
    "Referral Program": "Referral",
    "Partner": "Partner",
    "Paid Search": "Paid Search",
    "Event": "Event",
    "Webinar": "Web",
    "Email": "Web",
    "Social": "Social",
    "Targeted Ads": "Paid Search",
}


class PortfolioReviewConfig(Strict):
    as_of_source: Literal["data", "run"] = Field(
        "data",
        description="data: windows end at the latest closed-deal date on or before the run's"
        " as-of; run: exactly at the run's as-of",
    )
    window_days: int = Field(365, ge=28, description="length of T12 and of P12 in days")
    top_share: float = Field(0.2, gt=0, lt=1, description="top share of customers (ceil)")
    top_concentration_n: int = Field(5, ge=1, description="top-N customers of the safety line")
    top_loss_n: int = Field(3, ge=1, description="'if the top N left' drop")
    value_tiers: list[float] = Field(
        [0.2, 0.5], description="cumulative customer shares closing the top and middle tiers"
    )
    ltv_cac_red_line: float = Field(3.0, gt=0, description="LTV/CAC above this is sustainable")
    dormant_days: int = Field(180, ge=1, description="no activity for this many days → dormant")
    quarters: int = Field(8, ge=2, description="quarters shown in per-quarter tables")
    deal_size_bands: list[float] = Field(
        [10000.0, 100000.0], description="won-deal amounts closing the small and mid bands"
    )
    campaign_channels: dict[str, str] = CAMPAIGN_CHANNELS
    new_business_types: list[str] = Field(
        ["New Business"], description="deal types that win a new customer (acquisition)"
    )
    existing_business_types: list[str] = Field(
        ["Existing Business", "Renewal", "Upsell"],
        description="deal types that keep or grow a customer (retention)",
    )
    case_types: dict[str, list[str]] = CASE_TYPES
    case_topics: dict[str, list[str]] = CASE_TOPICS
    competitor_loss_keywords: list[str] = ["competitor", "competition", "竞品", "竞争对手"]
    no_competitor_values: list[str] = ["none", "no", "n/a", "unknown", "无", "没有"]
    promoter_min: int = Field(9, ge=0, le=10)
    passive_min: int = Field(7, ge=0, le=10)
    confidence: float = Field(0.95, gt=0.5, lt=1)
    min_group_size: int = Field(5, ge=2, description="smallest group a test is run on")
    red_lines: dict[str, RedLine] = RED_LINES
    milestones_days: list[int] = Field(
        [7, 30, 60, 90],
        description="plan milestones (days after the as-of): first step, the"
        " alert playbook, the watch playbook, the target check",
    )
    owner_roles: dict[str, str] = OWNER_ROLES

    @model_validator(mode="after")
    def _check(self) -> "PortfolioReviewConfig":
        if self.passive_min > self.promoter_min:
            raise ValueError("passive_min must not exceed promoter_min")
        for name, bands in (
            ("value_tiers", self.value_tiers),
            ("deal_size_bands", self.deal_size_bands),
        ):
            if len(bands) != 2 or bands[0] >= bands[1]:
                raise ValueError(f"{name} must be two increasing values")
        if self.value_tiers[1] >= 1:
            raise ValueError("value_tiers must be below 1")
        if len(self.milestones_days) != 4 or sorted(set(self.milestones_days)) != list(
            self.milestones_days
        ):
            raise ValueError("milestones_days must be 4 increasing day offsets")
        unknown = (set(self.red_lines) | set(self.owner_roles)) - set(DIMENSIONS)
        if unknown:
            raise ValueError(f"red_lines/owner_roles: unknown dimensions {sorted(unknown)}")
        return self

    def red_line(self, dimension: str) -> RedLine:
        return self.red_lines.get(dimension, RED_LINES[dimension])

    def owner_role(self, dimension: str) -> str:
        return self.owner_roles.get(dimension, OWNER_ROLES[dimension])
