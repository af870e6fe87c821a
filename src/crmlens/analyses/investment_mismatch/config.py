"""Configuration of the investment-mismatch analysis (the ``investment_mismatch:`` section)."""

from __future__ import annotations

from typing import Literal

from pydantic import Field, model_validator

from crmlens.config import Strict


class CompositeWeights(Strict):
    sales: float = Field(0.40, ge=0)
    adoption: float = Field(0.35, ge=0)
    support: float = Field(0.25, ge=0)


class PriorityModelConfig(Strict):
    features: list[str] = [
        "customer_onboarding_score",
        "team_size",
        "industry_vertical",
        "company_size_tier",
        "decision_maker_level",
        "lifecycle_stage",
    ]
    alpha: float = Field(1.0, gt=0, description="ridge regularisation strength")
    cv_folds: int = Field(5, ge=2)
    test_share: float = Field(0.3, gt=0, lt=1)
    seed: int = 42
    weak_r2: float = Field(
        0.20, ge=0, lt=1, description="a cross-validated R² below this is weak evidence"
    )


class InvestmentMismatchConfig(Strict):
    identity: Literal["email", "mapping"] = "email"
    mapping_priority: list[Literal["zendesk_user_id", "marketo_lead_id", "stripe_customer_id"]] = [
        "zendesk_user_id",
        "marketo_lead_id",
        "stripe_customer_id",
    ]
    weights: CompositeWeights = CompositeWeights()
    normalisation: Literal["minmax", "percentile"] = "minmax"
    winsor_low: float = Field(0.01, ge=0, lt=0.5)
    winsor_high: float = Field(0.99, gt=0.5, le=1)
    priority_top_share: float = Field(
        0.30, gt=0, lt=1, description="top share by investment priority (cume_dist ≥ 1 − share)"
    )
    composite_bottom_share: float = Field(
        0.50, gt=0, lt=1, description="bottom share by composite performance (cume_dist ≤ share)"
    )
    roi_alert: float = Field(3.0, gt=0, description="ROI below this is an alert (seed 000)")
    min_group_size: int = Field(
        20, ge=2, description="industry × size groups need this many top-priority customers"
    )
    onboarding_buckets: list[float] = [2.5, 3.5]
    onboarding_gate: float = 3.0
    team_size_buckets: list[int] = [20, 50, 100]
    executive_levels: list[str] = ["C-Level", "VP"]
    min_example_size: int = Field(
        100,
        ge=1,
        description="recommendation examples: segments of this many top-priority customers",
    )
    root_cause_groups: int = Field(
        5, ge=1, description="highest-risk industry × size groups decomposed in raw terms"
    )
    bias_follows: float = Field(
        0.10, gt=0, lt=1, description="association (|r| or η) from which priority follows a feature"
    )
    bias_ignores: float = Field(
        0.05, gt=0, lt=1, description="association below which priority ignores a feature"
    )
    significance: float = Field(0.05, gt=0, lt=1, description="significance level of the tests")
    conversion_target: float = Field(
        0.30, gt=0, le=1, description="share of mismatched customers to convert (KPI targets)"
    )
    model: PriorityModelConfig = PriorityModelConfig()
    top_n: int = Field(50, ge=1)

    @model_validator(mode="after")
    def _check(self) -> "InvestmentMismatchConfig":
        if (
            sorted(self.onboarding_buckets) != self.onboarding_buckets
            or sorted(self.team_size_buckets) != self.team_size_buckets
        ):
            raise ValueError("bucket edges must be increasing")
        if self.bias_ignores > self.bias_follows:
            raise ValueError("bias_ignores must not exceed bias_follows")
        return self
