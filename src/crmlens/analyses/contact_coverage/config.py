"""Configuration of the contact-coverage analysis (the ``contact_coverage:`` section)."""

from __future__ import annotations

from typing import Literal

from pydantic import Field, model_validator

from crmlens.config import Strict


class RiskWeights(Strict):
    density: float = Field(0.4, ge=0)
    decision: float = Field(0.4, ge=0)
    coverage: float = Field(0.2, ge=0)


class AdditivePoints(Strict):
    """Seed 001's model: +1 low density, +1 low decision ratio, + the share of the key departments
    missing (at most +1); high = the top ``high_share`` of key accounts by points (ties at the cut
    included), medium = at least ``medium_points``."""

    high_share: float = Field(0.20, gt=0, le=1)
    medium_points: float = Field(1.0, ge=0)


class ContactCoverageConfig(Strict):
    key_account_share: float = Field(
        0.20, gt=0, le=1, description="top share of accounts by revenue"
    )
    density_per_employees: int = Field(
        1000, gt=0, description="density = contacts / employees × this"
    )
    density_red_line: float = Field(5.0, ge=0)
    decision_ratio_red_line: float = Field(0.15, ge=0, lt=1)
    coverage_baseline: dict[str, int] = {"Enterprise": 5, "Mid-Market": 4}
    coverage_baseline_default: int = Field(3, ge=0)
    peer_percentile: float = Field(0.25, gt=0, lt=1)
    peer_min_group_size: int = Field(10, ge=1)
    industry_must_have: dict[str, list[str]] = {
        "Financial Services": ["Finance", "IT"],
        "Insurance": ["Finance", "IT"],
        "Healthcare": ["Finance", "IT"],
        "Government": ["Finance", "IT"],
        "Retail": ["Operations", "HR"],
        "Hospitality": ["Operations", "HR"],
        "Manufacturing": ["Operations"],
        "Energy": ["Operations"],
        "Technology": ["IT"],
    }
    size_from_employees: dict[str, int] = Field(
        {"Enterprise": 1000, "Mid-Market": 100, "Small Business": 1},
        description="size inferred from the employee count when the size class is Unknown/NULL:"
        " the largest band whose minimum employee count is reached (empty: no inference)",
    )
    size_unknown_values: list[str] = ["Unknown"]
    peer_collapse_share: float = Field(
        0.9,
        gt=0,
        le=1,
        description="the peer track has collapsed when at least this share of key accounts has a"
        " peer density threshold equal to the red line",
    )
    relative_peer_fraction: float = Field(
        0.5,
        gt=0,
        le=1,
        description="relative peer standard: density below this fraction of the peer median",
    )
    risk_model: Literal["weighted_flags", "additive_points"] = "weighted_flags"
    additive: AdditivePoints = AdditivePoints()
    weights: RiskWeights = RiskWeights()
    high_risk_score: float = Field(0.8, ge=0, description="flag score ≥ this → tier high")
    medium_risk_score: float = Field(0.4, ge=0, description="flag score ≥ this → tier medium")
    size_order: list[str] = ["Enterprise", "Mid-Market", "Small Business", "Unknown"]
    queues: dict[str, str] = {
        "Enterprise": "account_executive",
        "Mid-Market": "inside_sales_marketing",
    }
    default_owner_role: str = "customer_success"
    department_roles: dict[str, list[str]] = {
        "Sales": ["CSO", "VP Sales", "Sales Director"],
        "Finance": ["CFO", "VP Finance", "Controller", "FP&A Lead"],
        "Operations": ["COO", "VP Operations", "Supply Chain Director"],
        "IT": ["CIO", "CTO", "IT Director"],
        "HR": ["CHRO", "VP People", "HR Director"],
    }
    executive_roles: list[str] = ["CEO", "CFO", "COO", "CIO/CTO", "VP of the buying department"]
    milestones_days: list[int] = [7, 30, 60, 90]
    top_n: int = Field(20, ge=1)
    outcome_window_days: int = Field(
        730,
        ge=0,
        description="closed opportunities compared: close date within this many days"
        " before the as-of date (0: all)",
    )
    outcome_types: dict[Literal["renewal", "expansion"], list[str]] = Field(
        {"renewal": ["Renewal"], "expansion": ["Upsell"]},
        description="opportunity types whose closed deals measure renewal and expansion",
    )
    outcome_min_deals: int = Field(
        30, ge=1, description="closed deals each side of a comparison needs to be judged"
    )
    alert_density_q1_shortfall: float = Field(
        0.30, gt=0, lt=1, description="density alert: at least this far below the industry Q1"
    )
    alert_coverage_below: int = Field(3, ge=0)
    alert_critical_departments: list[str] = ["Finance", "IT"]
    scatter_points: int = Field(
        2000, ge=10, description="max accounts drawn in the density × decision scatter"
    )

    @model_validator(mode="after")
    def _tiers(self) -> "ContactCoverageConfig":
        if self.medium_risk_score > self.high_risk_score:
            raise ValueError("medium_risk_score must not exceed high_risk_score")
        if len(self.milestones_days) != 4 or sorted(self.milestones_days) != self.milestones_days:
            raise ValueError(
                "milestones_days must be 4 increasing day offsets"
                " (data fixes, 30/60/90-style targets)"
            )
        return self
