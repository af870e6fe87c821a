"""Configuration of the account health score (the ``health_score:`` section).

A *preset* names the components and their default weights; ``weights`` overrides them, and
``profiles`` give other weights to the accounts whose ``profiles.column`` holds a given value
(e.g. onboarding accounts scored on different inputs).  Every set of weights must sum to 1."""

from __future__ import annotations

import math

from pydantic import Field, model_validator

from crmlens.config import Strict

PRESETS: dict[str, dict[str, float]] = {
    # the common 40/30/20/10 model, comparable with published analyses
    "activity_contact_value_scale": {
        "activity": 0.4,
        "contact_quality": 0.3,
        "value": 0.2,
        "scale": 0.1,
    },
    # what canonical model v2 adds: support load, NPS and the revenue trend
    "engagement_v2": {
        "activity": 0.25,
        "contact_quality": 0.15,
        "support_load": 0.20,
        "nps": 0.15,
        "revenue_trend": 0.25,
    },
}
COMPONENTS = (
    "activity",
    "contact_quality",
    "value",
    "scale",
    "support_load",
    "nps",
    "revenue_trend",
)
DATED_COMPONENTS = ("support_load", "nps", "revenue_trend")  # computable as of any past date
WEIGHT_TOLERANCE = 1e-6


def check_weights(weights: dict[str, float], where: str) -> None:
    unknown = sorted(set(weights) - set(COMPONENTS))
    if unknown:
        raise ValueError(
            f"{where}: unknown component(s) {', '.join(unknown)}; known: {', '.join(COMPONENTS)}"
        )
    if any(w < 0 for w in weights.values()):
        raise ValueError(f"{where}: weights must not be negative")
    total = math.fsum(weights.values())
    if abs(total - 1.0) > WEIGHT_TOLERANCE:
        raise ValueError(f"{where}: weights must sum to 1 (they sum to {total:g})")


class Profiles(Strict):
    column: str | None = Field(None, description="account column choosing a profile")
    weights: dict[str, dict[str, float]] = Field(
        default_factory=dict, description="column value → component weights"
    )


class HealthScoreConfig(Strict):
    preset: str = Field("activity_contact_value_scale", description="component set and weights")
    weights: dict[str, float] = Field(
        default_factory=dict, description="component → weight (default: the preset's)"
    )
    profiles: Profiles = Profiles()
    missing_inputs: str = Field(
        "zero",
        pattern="^(zero|redistribute)$",
        description="zero: a NULL input scores 0 · redistribute: its component's weight is "
        "spread over the present ones",
    )
    high_score: float = Field(80.0, ge=0, le=100, description="score ≥ this → tier high")
    medium_score: float = Field(50.0, ge=0, le=100, description="score ≥ this → tier medium")
    size_column: str = Field(
        "account_size_segment",
        description="size label scored by size_scores (falls back to company_size_category)",
    )
    size_scores: dict[str, float] = {
        "Enterprise": 1.0,
        "Large": 0.8,
        "Mid-Market": 0.6,
        "Small Business": 0.4,
    }
    matrix_levels: dict[str, float] = Field(
        {"high": 0.70, "elevated": 0.40, "watch": 0.20},
        description="low-health share ≥ this → cell level (else stable)",
    )
    outlook_won_weight: float = Field(0.4, ge=0)
    outlook_pipeline_weight: float = Field(0.6, ge=0)
    reasons_per_account: int = Field(2, ge=1, le=4)
    reason_min_loss: float = Field(
        5.0, ge=0, description="a component is a reason when it costs ≥ this many points"
    )
    support_window_days: int = Field(180, ge=1, description="cases counted over these days")
    case_cap: float = Field(
        6.0, gt=0, description="weighted cases at which the support sub-score reaches 0"
    )
    complaint_weight: float = Field(2.0, ge=1, description="a complaint counts as this many cases")
    complaint_types: list[str] = Field(
        ["complaint", "投诉"], description="case type substrings (case-insensitive) of complaints"
    )
    nps_window_days: int = Field(365, ge=1, description="NPS answers averaged over these days")
    trend_window_days: int = Field(365, ge=1, description="T12 and P12 length for the trend")
    backtest_horizon_days: int = Field(
        365, ge=30, description="back-test: score at as-of minus this, outcome over it"
    )
    plan_tiers: list[str] = ["low", "medium"]
    expand_top_quartile: bool = Field(
        True, description="healthy accounts in the top outlook quartile get an expansion action"
    )
    milestones_days: list[int] = [7, 30, 60, 90]
    owner_roles: dict[str, str] = {"Enterprise": "account_executive"}
    default_owner_role: str = "customer_success"
    top_n: int = Field(20, ge=1)

    @model_validator(mode="after")
    def _valid(self) -> "HealthScoreConfig":
        if self.preset not in PRESETS:
            raise ValueError(f"unknown preset {self.preset!r}; known: {', '.join(PRESETS)}")
        check_weights(self.effective_weights, "health_score.weights")
        for value, weights in self.profiles.weights.items():
            check_weights(weights, f"health_score.profiles.weights.{value}")
        if self.profiles.weights and not self.profiles.column:
            raise ValueError("health_score.profiles.weights needs profiles.column")
        if self.medium_score > self.high_score:
            raise ValueError("health_score.medium_score must not exceed high_score")
        m = self.matrix_levels
        if set(m) != {"high", "elevated", "watch"} or not m["high"] >= m["elevated"] >= m["watch"]:
            raise ValueError("health_score.matrix_levels: high ≥ elevated ≥ watch, all three")
        return self

    def uses(self, component: str) -> bool:
        """Whether any weight set gives the component a weight."""
        sets = [self.effective_weights, *self.profiles.weights.values()]
        return any(w.get(component, 0.0) > 0 for w in sets)

    @property
    def effective_weights(self) -> dict[str, float]:
        """The weights of the accounts without a profile: ``weights`` when given (replacing the
        preset's whole set), else the preset's."""
        return dict(self.weights) if self.weights else dict(PRESETS[self.preset])
