"""A toy analysis defined entirely in the tests: widgets scored 0–1 and flagged "bad" under a
configurable threshold.  It brings its own table contract, config section, messages, views,
entity state, action rows and default alert rule — the proof that a unit plugs into every
generic layer (run, report, Excel, JSON, monitor, config schema) without a core edit."""

from __future__ import annotations

import datetime as dt
import time

import numpy as np
from pydantic import Field

from crmlens.analyses import (
    AnalysisResult,
    AnalysisSpec,
    EntityModel,
    Finding,
    Metric,
    Recommendation,
    RunContext,
)
from crmlens.config import Strict
from crmlens.schema.contracts import ColumnSpec, TableSpec

WIDGETS = TableSpec(
    "toy__widgets",
    "one row per widget",
    (
        ColumnSpec("widget_id", "id"),
        ColumnSpec("widget_name", "text"),
        ColumnSpec("owner_name", "text"),
        ColumnSpec("score", "float"),
        ColumnSpec("owner_email", "text", pii=True),
    ),
    key="widget_id",
)


class ToyConfig(Strict):
    bad_below: float = Field(0.5, ge=0, le=1, description="a widget scoring below this is bad")
    fix_in_days: int = Field(14, ge=1)


def compute(ctx: RunContext) -> AnalysisResult:
    started = time.perf_counter()
    cfg = ctx.section
    df = (
        ctx.data.table(WIDGETS.name)
        .execute()
        .sort_values("widget_id", kind="stable")
        .reset_index(drop=True)
    )
    ctx.laps("engine.widgets")
    df["tier"] = np.where(df["score"] < cfg.bad_below, "bad", "ok")
    bad = (
        df[df["tier"] == "bad"]
        .sort_values(["score", "widget_id"], kind="stable")
        .reset_index(drop=True)
    )
    plan = bad[["widget_id", "widget_name", "owner_name"]].assign(
        priority_rank=np.arange(1, len(bad) + 1),
        owner_role="account_executive",
        action="action.toy.fix",
        quantity=1,
        detail="",
        due_date=(ctx.as_of + dt.timedelta(days=cfg.fix_in_days)).isoformat(),
        status="open",
    )
    metrics = {
        "widgets": Metric(len(df)),
        "bad_widgets": Metric(len(bad)),
        "bad_share": Metric(len(bad) / len(df) if len(df) else None, "ratio"),
    }
    entities = df.rename(columns={"widget_id": "entity_id", "widget_name": "entity_name"})[
        ["entity_id", "entity_name", "tier", "score"]
    ]
    findings = (
        Finding("toy.bad", {"count": len(bad), "share": metrics["bad_share"].value}, "warning"),
    )
    recs = (Recommendation("rec.toy.fix", {"count": len(bad), "days": cfg.fix_in_days}),)
    ctx.laps("steps")
    return AnalysisResult(
        "toy_widgets",
        metrics,
        {"widgets": df, "entities": entities, "action_plan": plan},
        findings,
        recs,
        {"bad_below": cfg.bad_below},
        ctx.provenance(started),
    )


SPEC = AnalysisSpec(
    name="toy_widgets",
    needs={WIDGETS.name: ("widget_id", "widget_name", "score")},
    compute=compute,
    contracts=(WIDGETS,),
    config_model=ToyConfig,
    entity=EntityModel(
        kind="widget", tiers=("bad", "ok"), events={"score_became_zero": ("score", "became_zero")}
    ),
    views="toy_unit.views",
    package="toy_unit",
    order=90,
)
