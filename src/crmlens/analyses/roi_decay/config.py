"""Configuration of campaign ROI decay (the ``roi_decay:`` section)."""

from __future__ import annotations

from pydantic import Field

from crmlens.config import Strict


class RoiDecayConfig(Strict):
    max_age_months: int = Field(24, ge=3, description="campaign ages (months) analysed")
    min_spend: float = Field(
        0.0, ge=0, description="months of a group with less spend than this are not fitted"
    )
    break_even: float = Field(1.0, gt=0, description="ROI (revenue ÷ spend) of break-even")
    bootstrap: int = Field(200, ge=0, description="campaign resamples for the half-life CI")
    seed: int = 7
    claim_start: list[float] = Field(
        [3.0, 5.0], description="seed 004: targeted ROI at launch (revenue ÷ spend)"
    )
    claim_after_year: list[float] = Field(
        [1.0, 2.0], description="seed 004: targeted ROI about a year later"
    )
    claim_month: int = Field(12, ge=1)
    min_campaigns: int = Field(5, ge=1, description="campaigns a group needs for a fitted curve")
    top_n: int = Field(20, ge=1)
    milestones_days: list[int] = [7, 30]
