"""Configuration of the pipeline funnel (the ``funnel:`` section)."""

from __future__ import annotations

from pydantic import Field, model_validator

from crmlens.config import Strict


class FunnelConfig(Strict):
    open_stages: list[str] = Field(
        ["Prospecting", "Qualification", "Needs Analysis", "Proposal", "Negotiation"],
        description="open stages in funnel order",
    )
    won_stages: list[str] = ["Closed Won"]
    lost_stages: list[str] = ["Closed Lost"]
    min_won: int = Field(200, ge=1, description="won deals needed to train the model")
    min_lost: int = Field(200, ge=1, description="lost deals needed to train the model")
    isotonic_above: int = Field(
        1000, ge=1, description="closed deals from which calibration is isotonic (else sigmoid)"
    )
    backtest_days: int = Field(180, ge=30, description="back-test: train before end − this")
    snapshot_step_days: int = Field(30, ge=7, description="days between training snapshots")
    snapshot_days: int = Field(1095, ge=90, description="training snapshots cover these days")
    max_training_rows: int = Field(100_000, ge=1000)
    max_training_deals: int = Field(
        50_000, ge=100, description="closed deals sampled (fixed seed) for training snapshots"
    )
    top_sources: int = Field(8, ge=1, description="lead sources kept as features (rest: other)")
    simulations: int = Field(2000, ge=100, description="simulated outcomes for the interval")
    interval: float = Field(0.90, gt=0, lt=1, description="forecast interval coverage")
    stuck_percentile: float = Field(0.90, gt=0, lt=1)
    amount_bands: list[float] = [10_000.0, 50_000.0, 250_000.0]
    low_probability: float = Field(0.2, gt=0, lt=1, description="p(win) below → tier low")
    high_probability: float = Field(0.6, gt=0, lt=1, description="p(win) ≥ → tier high")
    seed: int = 7
    top_n: int = Field(20, ge=1)
    milestones_days: list[int] = [7, 30]

    @model_validator(mode="after")
    def _valid(self) -> "FunnelConfig":
        names = [*self.open_stages, *self.won_stages, *self.lost_stages]
        if len(set(names)) != len(names):
            raise ValueError("funnel: a stage name is listed twice")
        if self.low_probability >= self.high_probability:
            raise ValueError("funnel.low_probability must be below high_probability")
        if self.amount_bands != sorted(self.amount_bands):
            raise ValueError("funnel.amount_bands must be ascending")
        return self
