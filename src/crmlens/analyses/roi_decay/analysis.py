"""Campaign ROI decay (seed 004 §3) — the stages: engine read (``inputs``), the monthly panel by
campaign age (``panel``), decay fits with bootstrap intervals (``fit``), the campaigns funded past
break-even, seed 004's claim tested, action rows and narrative codes (``narrative``)."""

from __future__ import annotations

import math
import time

import numpy as np
import pandas as pd

from crmlens.analyses.base import AnalysisResult
from crmlens.analyses.engine import data_end
from crmlens.analyses.roi_decay import narrative
from crmlens.analyses.roi_decay.config import RoiDecayConfig
from crmlens.analyses.roi_decay.fit import Fit, fit_group
from crmlens.analyses.roi_decay.inputs import read_inputs
from crmlens.analyses.roi_decay.panel import build_panel, curves
from crmlens.analyses.spec import RunContext
from crmlens.analyses.toolkit import OPEN, check_action_rows, due_date, plan_summary


def compute(ctx: RunContext) -> AnalysisResult:
    started = time.perf_counter()
    cfg: RoiDecayConfig = ctx.section
    end = data_end(ctx.data, ctx.as_of)  # the data's last closed deal, not today
    inputs = read_inputs(ctx, end)
    ctx.laps("engine.campaigns")
    panel = build_panel(inputs, end, cfg.max_age_months)
    monthly = panel.monthly.assign(
        targeting=np.where(panel.monthly["targeted"].astype(bool), "targeted", "broad")
    )
    ctx.laps("panel")
    fits, fitted = decay_fits(monthly, cfg)
    ctx.laps("fit")
    camps = past_break_even(panel.campaigns, panel.history, fitted, cfg)
    claim = claim_check(fitted.get(("targeting", "targeted")), cfg)
    plan = check_action_rows(action_plan(camps, cfg, ctx.as_of), "campaign_id", ctx.as_of)
    tables = {
        "curves_by_targeting": curves(monthly, ["targeting"]),
        "curves_by_type": curves(monthly, ["type"]),
        "decay_fits": fits,
        "campaigns": camps,
        "past_break_even": camps[camps["past_break_even"]].reset_index(drop=True),
        "action_plan": plan,
        "plan_summary": plan_summary(plan),
        "entities": entities(camps),
    }
    metrics = narrative.metrics(panel, camps, fitted, claim, cfg)
    findings = narrative.findings(metrics, fits, claim, panel)
    recs = narrative.recommendations(metrics, fits, fitted, cfg)
    ctx.laps("tables_and_findings")
    method = {
        "break_even": cfg.break_even,
        "max_age_months": cfg.max_age_months,
        "bootstrap": cfg.bootstrap,
        "seed": cfg.seed,
        "spend_sources": camps["spend_source"].value_counts().to_dict(),
        "claim": {
            "start": cfg.claim_start,
            "after": cfg.claim_after_year,
            "month": cfg.claim_month,
        },
        "min_campaigns": cfg.min_campaigns,
        "window_end": end.isoformat(),
        "campaigns_not_started": panel.campaigns_not_started,
    }
    provenance = ctx.provenance(
        started, analysis=ctx.spec.name, row_counts={"campaigns": len(inputs.campaigns)}
    )
    return AnalysisResult(ctx.spec.name, metrics, tables, findings, recs, method, provenance)


def decay_fits(monthly: pd.DataFrame, cfg: RoiDecayConfig) -> tuple[pd.DataFrame, dict]:
    """One fitted curve per group (all campaigns; targeted vs. broad; each type) with at least
    ``min_campaigns`` campaigns."""
    groups = [("all", "all_campaigns", monthly)]
    for kind, col in (("targeting", "targeting"), ("type", "type")):
        for value, part in monthly.groupby(col, sort=True):
            groups.append((kind, str(value), part))
    rows, fitted = [], {}
    for kind, value, part in groups:
        n = part["campaign_id"].nunique()
        fit, ci = (None, None)
        if n >= cfg.min_campaigns:
            fit, ci = fit_group(part, cfg.max_age_months, cfg.bootstrap, cfg.seed)
        if fit is not None and not fit.at_bound:
            fitted[(kind, value)] = fit  # curves at a bound are shown, never used for advice
        be = fit.break_even_month(cfg.break_even) if fit else None
        rows.append(
            {
                "group_kind": kind,
                "group": value,
                "campaigns": n,
                "spend": float(part["spend"].sum()),
                "revenue": float(part["revenue"].sum()),
                "fitted": fit is not None,
                "at_bound": bool(fit.at_bound) if fit else False,
                "start_roi": fit.start if fit else np.nan,
                "floor_roi": fit.floor if fit else np.nan,
                "half_life": fit.half_life if fit else np.nan,
                "half_life_low": ci[0] if ci else np.nan,
                "half_life_high": ci[1] if ci else np.nan,
                "break_even_month": be if be is not None else np.nan,
                "roi_at_claim_month": fit.roi(cfg.claim_month) if fit else np.nan,
            }
        )
    out = pd.DataFrame(rows)
    out["roi"] = out["revenue"] / out["spend"].where(out["spend"] > 0)
    return out, fitted


def _curve_for(row, fitted: dict) -> Fit | None:
    for key in (
        ("type", str(row["type"])),
        ("targeting", row["targeting"]),
        ("all", "all_campaigns"),
    ):
        if key in fitted:
            return fitted[key]
    return None


RECENT_MONTHS = 3  # the monthly spend at stake averages the last three months


def past_break_even(
    camps: pd.DataFrame, history: pd.DataFrame, fitted: dict, cfg: RoiDecayConfig
) -> pd.DataFrame:
    """Running campaigns older than their curve's break-even month (their type's curve, else
    targeted/broad, else all), with the spend they received past it and their average monthly
    spend over the last three months (fewer for a campaign younger than that).  ``history`` holds
    every month up to the data's end: a campaign older than ``max_age_months`` keeps its recent
    months here."""
    c = camps.copy()
    c["targeting"] = np.where(c["targeted"].astype(bool), "targeted", "broad")
    months = []
    for _, row in c.iterrows():
        fit = _curve_for(row, fitted)
        be = fit.break_even_month(cfg.break_even) if fit else None
        months.append(np.nan if be is None else be)
    c["break_even_month"] = months
    be = c.set_index("campaign_id")["break_even_month"]
    m = history.join(be, on="campaign_id")
    past = m["age"] >= np.ceil(m["break_even_month"])
    c = c.join(
        m[past].groupby("campaign_id")["spend"].sum().rename("spend_past_break_even"),
        on="campaign_id",
    )
    last_age = c.set_index("campaign_id")["age_months"]
    recent = m.join(last_age, on="campaign_id")
    recent = recent[recent["age"] > recent["age_months"] - RECENT_MONTHS]
    c = c.join(
        recent.groupby("campaign_id")["spend"].sum().rename("recent_spend"), on="campaign_id"
    )
    months_run = np.minimum(RECENT_MONTHS, c["age_months"] + 1)  # months up to the data's end
    c["monthly_spend"] = c["recent_spend"].fillna(0.0) / months_run
    c = c.drop(columns="recent_spend").fillna({"spend_past_break_even": 0.0})
    c["past_break_even"] = (
        c["running"].astype(bool)
        & c["break_even_month"].notna()
        & (c["age_months"] >= np.ceil(c["break_even_month"].fillna(math.inf)))
        & (c["monthly_spend"] > 0)
    )
    c = c.sort_values(
        ["past_break_even", "monthly_spend", "campaign_id"],
        ascending=[False, False, True],
        kind="stable",
    ).reset_index(drop=True)
    c["priority_rank"] = np.arange(1, len(c) + 1)
    return c


def claim_check(fit: Fit | None, cfg: RoiDecayConfig) -> dict:
    """Seed 004: targeted ROI starts at 300–500% and falls to 100–200% within about a year."""
    if fit is None:
        return {"status": "not_testable"}
    start_ok = cfg.claim_start[0] <= fit.start <= cfg.claim_start[1]
    after = fit.roi(cfg.claim_month)
    after_ok = cfg.claim_after_year[0] <= after <= cfg.claim_after_year[1]
    status = "holds" if start_ok and after_ok else "partly" if start_ok or after_ok else "fails"
    return {"status": status, "start": fit.start, "after": after, "month": cfg.claim_month}


def action_plan(c: pd.DataFrame, cfg: RoiDecayConfig, as_of) -> pd.DataFrame:
    past = c[c["past_break_even"]]
    rows = []
    for _, r in past.iterrows():
        for code, days in (
            ("action.roi_review_campaign", cfg.milestones_days[0]),
            ("action.roi_stop_or_refresh", cfg.milestones_days[-1]),
        ):
            rows.append(
                {
                    "priority_rank": int(r["priority_rank"]),
                    "campaign_id": r["campaign_id"],
                    "campaign_name": r.get("name"),
                    "type": r["type"],
                    "owner_role": "marketing",
                    "action": code,
                    "quantity": float(r["monthly_spend"]),
                    "detail": "",
                    "milestone_days": int(days),
                    "due_date": due_date(as_of, days),
                    "status": OPEN,
                }
            )
    cols = [
        "priority_rank",
        "campaign_id",
        "campaign_name",
        "type",
        "owner_role",
        "action",
        "quantity",
        "detail",
        "milestone_days",
        "due_date",
        "status",
    ]
    return pd.DataFrame(rows, columns=cols)


def entities(c: pd.DataFrame) -> pd.DataFrame:
    running = c[c["running"].astype(bool)]
    name = running["name"] if "name" in running.columns else running["campaign_id"]
    return pd.DataFrame(
        {
            "entity_id": running["campaign_id"].to_numpy(),
            "entity_name": name.fillna(running["campaign_id"]).to_numpy(),
            "tier": np.where(running["past_break_even"], "past_break_even", "paying"),
            "roi": running["roi"].to_numpy(),
        }
    )
