"""Configuration of the segmentation analysis (the ``segmentation:`` section)."""

from __future__ import annotations

from typing import Literal

from pydantic import Field, model_validator

from crmlens.config import Strict

TREATMENTS = (  # what a playbook does; each has an action in the unit's messages
    "advocacy",
    "loyalty",
    "nurture",
    "onboarding",
    "check_in",
    "win_back",
    "executive_save",
    "standard",
)
Score = tuple[int, int]


class SegmentRule(Strict):
    """A named segment: every listed score range (inclusive, 1–5) must hold; first match wins."""

    name: str = Field(min_length=1)
    r: Score = (1, 5)
    f: Score = (1, 5)
    m: Score = (1, 5)

    @model_validator(mode="after")
    def _ranges(self) -> "SegmentRule":
        for low, high in (self.r, self.f, self.m):
            if not 1 <= low <= high <= 5:
                raise ValueError(f"segment {self.name}: score ranges are 1 ≤ low ≤ high ≤ 5")
        return self


class Playbook(Strict):
    treatment: Literal[TREATMENTS] = "standard"  # type: ignore[valid-type]
    owner_role: str = "customer_success"
    milestone_days: int = Field(30, ge=0)


class ClusteringConfig(Strict):
    enabled: bool = True
    k_min: int = Field(2, ge=2)
    k_max: int = Field(8, ge=2)
    seed: int = 42
    resamples: int = Field(10, ge=0, description="bootstrap resamples for the stability check")
    sample_size: int = Field(
        5000, ge=100, description="accounts the silhouette and resamples are computed on"
    )
    min_accounts: int = Field(30, ge=10, description="fewer customers: no clustering")
    profile_z: float = Field(
        0.5, gt=0, description="a cluster mean this many SDs from the average names a feature"
    )

    @model_validator(mode="after")
    def _range(self) -> "ClusteringConfig":
        if self.k_max < self.k_min:
            raise ValueError("k_max must not be below k_min")
        return self


DEFAULT_SEGMENTS = [
    SegmentRule(name="Champions", r=(4, 5), f=(4, 5), m=(4, 5)),
    SegmentRule(name="Loyal", r=(3, 5), f=(4, 5)),
    SegmentRule(name="Potential Loyalists", r=(4, 5), f=(2, 3)),
    SegmentRule(name="New", r=(5, 5), f=(1, 1)),
    SegmentRule(name="Promising", r=(4, 4), f=(1, 1)),
    SegmentRule(name="Can't Lose", r=(1, 2), f=(4, 5), m=(4, 5)),
    SegmentRule(name="At Risk", r=(1, 2), f=(3, 5)),
    SegmentRule(name="Need Attention", r=(3, 3), f=(2, 3)),
    SegmentRule(name="Hibernating", r=(2, 2), f=(1, 2)),
    SegmentRule(name="Lost", r=(1, 1), f=(1, 2)),
]
DEFAULT_PLAYBOOKS = {
    "Champions": Playbook(treatment="advocacy", owner_role="account_executive", milestone_days=30),
    "Loyal": Playbook(treatment="loyalty", owner_role="account_executive", milestone_days=60),
    "Potential Loyalists": Playbook(treatment="nurture", milestone_days=30),
    "New": Playbook(treatment="onboarding", milestone_days=14),
    "Promising": Playbook(treatment="nurture", milestone_days=30),
    "Can't Lose": Playbook(
        treatment="executive_save", owner_role="account_executive", milestone_days=7
    ),
    "At Risk": Playbook(treatment="win_back", milestone_days=14),
    "Need Attention": Playbook(treatment="check_in", milestone_days=30),
    "Hibernating": Playbook(treatment="standard"),
    "Lost": Playbook(treatment="standard"),
}


class SegmentationConfig(Strict):
    rfm_source: Literal["opportunities", "customer360"] = Field(
        "opportunities",
        description="opportunities: RFM of accounts from won deals; customer360: also the named"
        " segments of the customer-360 customers from the value table's own 1–5 scores (the"
        " account-level guard, clusters, overrides and plan stay on accounts)",
    )
    window_days: int = Field(
        730, gt=0, description="frequency and monetary count won deals closed in this window"
    )
    case_window_days: int = Field(
        365, gt=0, description="support load: cases opened in this window"
    )
    segments: list[SegmentRule] = DEFAULT_SEGMENTS
    other_segment: str = Field("Other", min_length=1, description="customers no rule matches")
    playbooks: dict[str, Playbook] = DEFAULT_PLAYBOOKS
    min_segment_customers: int = Field(30, ge=1)
    min_segment_share: float = Field(0.02, ge=0, lt=1)
    clustering: ClusteringConfig = ClusteringConfig()
    outcome_days: int = Field(
        90, gt=0, description="overrides this old are judged on the won revenue of this window"
    )
    watch_from: str = Field("Champions", description="entity alert: a customer leaving this…")
    watch_to: str = Field("At Risk", description="…for this segment")
    top_n: int = Field(50, ge=1)

    @model_validator(mode="after")
    def _names(self) -> "SegmentationConfig":
        names = [s.name for s in self.segments]
        if len(set(names)) != len(names) or self.other_segment in names:
            raise ValueError("segment names must be unique and differ from other_segment")
        unknown = sorted(set(self.playbooks) - {*names, self.other_segment})
        if unknown:
            raise ValueError(f"playbooks name unknown segments: {', '.join(unknown)}")
        return self

    @property
    def segment_names(self) -> tuple[str, ...]:
        return (*(s.name for s in self.segments), self.other_segment)
