"""ROI-decay narrative as codes: headline metrics, findings, recommendations."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd

from crmlens.analyses.base import Finding, Metric, Recommendation
from crmlens.analyses.roi_decay.config import RoiDecayConfig
from crmlens.analyses.roi_decay.panel import Panel
from crmlens.stats.basic import rate


def _num(v) -> float | None:
    return None if v is None or (isinstance(v, float) and not math.isfinite(v)) else float(v)


def metrics(panel: Panel, camps: pd.DataFrame, fitted: dict, claim: dict, cfg: RoiDecayConfig):
    spend = float(camps["spend"].sum())
    revenue = float(camps["revenue"].sum())
    every = fitted.get(("all", "all"))
    targeted = fitted.get(("targeting", "targeted"))
    be = every.break_even_month(cfg.break_even) if every else None
    past = camps[camps["past_break_even"]]
    return {
        "campaigns": Metric(len(camps)),
        "campaigns_running": Metric(int(camps["running"].sum())),
        "campaigns_without_revenue": Metric(int((camps["revenue"] <= 0).sum())),
        "campaigns_without_spend": Metric(int((camps["spend"] <= 0).sum())),
        "total_spend": Metric(spend, "usd"),
        "attributed_revenue": Metric(revenue, "usd"),
        "overall_roi": Metric(rate(revenue, spend), "ratio"),
        "half_life_months": Metric(_num(every.half_life) if every else None, "score"),
        "targeted_half_life_months": Metric(
            _num(targeted.half_life) if targeted else None, "score"
        ),
        "break_even_month": Metric(_num(be), "score"),
        "campaigns_past_break_even": Metric(len(past)),
        "monthly_spend_at_stake": Metric(float(past["monthly_spend"].sum()), "usd"),
        "spend_past_break_even": Metric(float(past["spend_past_break_even"].sum()), "usd"),
        "claim_status": Metric(claim["status"], "text"),
    }


def findings(m: dict[str, Metric], fits: pd.DataFrame, claim: dict, panel: Panel):
    v = {k: x.value for k, x in m.items()}
    out = [
        Finding(
            "roi.overall",
            {
                "campaigns": v["campaigns"],
                "spend": v["total_spend"],
                "revenue": v["attributed_revenue"],
                "roi": v["overall_roi"],
            },
        )
    ]
    every = fits[(fits["group_kind"] == "all") & fits["fitted"] & ~fits["at_bound"]]
    if len(every):
        f = every.iloc[0]
        out.append(
            Finding(
                "roi.decay" if np.isfinite(f["half_life_low"]) else "roi.decay_no_ci",
                {
                    "start": f["start_roi"],
                    "floor": f["floor_roi"],
                    "half_life": f["half_life"],
                    "low": f["half_life_low"],
                    "high": f["half_life_high"],
                },
            )
        )
        if np.isfinite(f["break_even_month"]):
            out.append(Finding("roi.break_even", {"month": f["break_even_month"]}, "warning"))
        else:
            out.append(Finding("roi.never_below", {"floor": f["floor_roi"]}))
    else:
        out.append(Finding("roi.not_fitted", {"campaigns": v["campaigns"]}, "warning"))
    if v["campaigns_past_break_even"]:
        out.append(
            Finding(
                "roi.past_break_even",
                {"count": v["campaigns_past_break_even"], "monthly": v["monthly_spend_at_stake"]},
                "critical",
            )
        )
    code = f"roi.claim_{claim['status']}"
    out.append(Finding(code, {k: claim[k] for k in ("start", "after", "month") if k in claim}))
    if panel.revenue_before_start > 0:
        out.append(
            Finding(
                "dq.roi_revenue_before_start", {"revenue": panel.revenue_before_start}, "warning"
            )
        )
    if panel.revenue_unknown_campaign > 0:
        out.append(
            Finding(
                "dq.roi_unknown_campaign", {"revenue": panel.revenue_unknown_campaign}, "warning"
            )
        )
    return tuple(out)


def recommendations(m: dict[str, Metric], fits: pd.DataFrame, fitted: dict, cfg: RoiDecayConfig):
    v = {k: x.value for k, x in m.items()}
    out = []
    if v["campaigns_past_break_even"]:
        out.append(
            Recommendation(
                "rec.roi_stop_refresh",
                {
                    "count": v["campaigns_past_break_even"],
                    "monthly": v["monthly_spend_at_stake"],
                    "days": cfg.milestones_days[-1],
                },
                {"metric": "campaigns_past_break_even", "op": "<=", "value": 0},
            )
        )
    types = fits[(fits["group_kind"] == "type") & fits["fitted"] & ~fits["at_bound"]]
    if len(types) >= 2:
        best = types.sort_values(["floor_roi", "group"], ascending=[False, True]).iloc[0]
        worst = types.sort_values(["floor_roi", "group"], ascending=[True, True]).iloc[0]
        if best["floor_roi"] >= cfg.break_even > worst["floor_roi"]:
            out.append(
                Recommendation(
                    "rec.roi_shift_budget",
                    {
                        "best": best["group"],
                        "best_floor": best["floor_roi"],
                        "worst": worst["group"],
                        "worst_floor": worst["floor_roi"],
                    },
                )
            )
    targeted, broad = fitted.get(("targeting", "targeted")), fitted.get(("targeting", "broad"))
    if targeted and broad and targeted.floor <= broad.floor:
        out.append(
            Recommendation(
                "rec.roi_standardise",
                {"targeted_floor": targeted.floor, "broad_floor": broad.floor},
            )
        )
    return tuple(out)
