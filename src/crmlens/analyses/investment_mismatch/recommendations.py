"""Investment-mismatch recommendations as codes.  Every recommendation carries a KPI with a
target and a trigger (``target = {"kpi", "target", "trigger": {"metric", "op", "value"}}``, the
same numbers in its message); examples name only segments with at least ``min_example_size``
top-priority customers.  The proposed model leads only when its evidence is not weak (CV R² ≥
``model.weak_r2``); otherwise it is a pilot, listed after the actions the data supports.

KPI targets follow seed 000: convert ``conversion_target`` (30%) of the mismatched customers;
a segment's mismatch rate is brought to the rate of the whole top-priority pool."""

from __future__ import annotations

import pandas as pd

from crmlens.analyses.base import Metric, Recommendation
from crmlens.analyses.investment_mismatch.base_table import COMPONENTS
from crmlens.analyses.investment_mismatch.config import InvestmentMismatchConfig
from crmlens.analyses.investment_mismatch.stages import worst_stage


def kpi(name: str, target, metric: str, op: str, value) -> dict:
    return {"kpi": name, "target": target, "trigger": {"metric": metric, "op": op, "value": value}}


def recommendations(
    df: pd.DataFrame,
    m: dict[str, Metric],
    tables: dict[str, pd.DataFrame],
    cfg: InvestmentMismatchConfig,
    gap: dict,
) -> tuple[Recommendation, ...]:
    v = {k: x.value for k, x in m.items()}
    top = df[df["top_priority"]]
    model = _model(v, tables, cfg)
    strong = model is not None and model.code == "rec.mm.recalibrate"
    recs = [model] if strong else []
    recs += [
        r
        for r in (
            _onboarding_gate(top, tables["groups"], cfg, v),
            _lifecycle_gate(tables["stages"], cfg, v),
            _industry(tables["groups"], cfg, v),
            _component(tables["gap_decomposition"], cfg, gap),
            _roi_alert(cfg, v),
        )
        if r is not None
    ]
    if model is not None and not strong:
        recs.append(model)
    recs.append(_monitor(cfg, v))
    return tuple(recs)


def _model(v: dict, tables: dict, cfg: InvestmentMismatchConfig) -> Recommendation | None:
    if "model_mismatch_rate_test" not in v:
        return None
    weights = tables["feature_bias"].dropna(subset=["proposed_weight"])
    weights = weights.sort_values(["proposed_weight", "feature"], ascending=[False, True])
    driver = weights.iloc[0] if len(weights) else None
    code = "rec.mm.recalibrate" if v["model_evidence"] != "weak" else "rec.mm.pilot_model"
    return Recommendation(
        code,
        {
            "current": v["current_mismatch_rate_test"],
            "model": v["model_mismatch_rate_test"],
            "r2": v["model_cv_r2"],
            "sd": v["model_cv_r2_sd"],
            "driver": driver["feature"] if driver is not None else "",
            "weight": driver["proposed_weight"] if driver is not None else None,
            "corr": v["corr_priority_composite"],
            "threshold": cfg.bias_follows,
        },
        kpi(
            "mismatch_rate_in_top",
            v["model_mismatch_rate_test"],
            "corr_priority_composite",
            "<",
            cfg.bias_follows,
        ),
    )


def _onboarding_gate(
    top: pd.DataFrame, groups: pd.DataFrame, cfg: InvestmentMismatchConfig, v: dict
) -> Recommendation | None:
    """The large group (≥ ``min_example_size`` top-priority customers) where an onboarding gate
    helps most (largest drop of the mismatch rate; ties: higher rate, then industry and size by
    name), with the effect on the whole pool as the KPI."""
    gate = top["customer_onboarding_score"] >= cfg.onboarding_gate
    if not gate.any():
        return None
    gate_rows = []
    for g in groups[groups["top_customers"] >= cfg.min_example_size].itertuples(index=False):
        members = top[
            (top["industry_vertical"] == g.industry_vertical)
            & (top["company_size_tier"] == g.company_size_tier)
        ]
        kept = members[members["customer_onboarding_score"] >= cfg.onboarding_gate]
        if len(kept):
            before = float(members["mismatched"].mean())
            after = float(kept["mismatched"].mean())
            gate_rows.append(
                (
                    before - after,
                    before,
                    g.industry_vertical,
                    g.company_size_tier,
                    after,
                    len(members),
                )
            )
    overall_after = float(top.loc[gate, "mismatched"].mean())
    params = {
        "gate": cfg.onboarding_gate,
        "overall_before": v["mismatch_rate_in_top"],
        "overall_after": overall_after,
        "below": int((~gate).sum()),
    }
    target = kpi(
        "mismatch_rate_in_top", overall_after, "customer_onboarding_score", "<", cfg.onboarding_gate
    )
    if not gate_rows:
        return Recommendation("rec.mm.onboarding_gate_pool", params, target)
    drop, before, ind, size, after, n = sorted(gate_rows, key=lambda x: (-x[0], -x[1], x[2], x[3]))[
        0
    ]
    example = {"industry": ind, "size": size, "before": before, "after": after, "n": n}
    return Recommendation("rec.mm.onboarding_gate", params | example, target)


def _lifecycle_gate(
    stages: pd.DataFrame, cfg: InvestmentMismatchConfig, v: dict
) -> Recommendation | None:
    s = worst_stage(stages, cfg.min_example_size)
    if s is None or not s["mismatch_rate_in_top"] > v["mismatch_rate_in_top"]:
        return None
    return Recommendation(
        "rec.mm.lifecycle_gate",
        {
            "stage": s["lifecycle_stage"],
            "top": int(s["top_customers"]),
            "rate": s["mismatch_rate_in_top"],
            "pool_rate": v["mismatch_rate_in_top"],
            "roi_mismatched": s["mean_roi_mismatched"],
            "roi_matched": s["mean_roi_top_matched"],
        },
        kpi(
            f"mismatch_rate_in_top[{s['lifecycle_stage']}]",
            v["mismatch_rate_in_top"],
            f"mismatch_rate_in_top[{s['lifecycle_stage']}]",
            ">",
            v["mismatch_rate_in_top"],
        ),
    )


def _industry(
    groups: pd.DataFrame, cfg: InvestmentMismatchConfig, v: dict
) -> Recommendation | None:
    """The riskiest large group whose relative risk is above 1 with 95% confidence."""
    if not len(groups):
        return None
    sig = groups[(groups["rr_low"] > 1) & (groups["top_customers"] >= cfg.min_example_size)]
    if not len(sig):
        return None
    g = sig.iloc[0]
    name = f"{g['industry_vertical']}/{g['company_size_tier']}"
    return Recommendation(
        "rec.mm.industry",
        {
            "industry": g["industry_vertical"],
            "size": g["company_size_tier"],
            "rr": g["rr"],
            "low": g["rr_low"],
            "high": g["rr_high"],
            "mismatched": int(g["mismatched"]),
            "top": int(g["top_customers"]),
            "rate": g["mismatch_rate"],
            "pool_rate": v["mismatch_rate_in_top"],
        },
        kpi(f"mismatch_rate_in_top[{name}]", v["mismatch_rate_in_top"], f"rr_low[{name}]", ">", 1),
    )


def _component(
    decomposition: pd.DataFrame, cfg: InvestmentMismatchConfig, gap: dict
) -> Recommendation | None:
    """The component that drives the pool's composite gap; KPI: the mismatched customers' raw
    mean closes ``conversion_target`` of its gap to the matched customers."""
    shares = {k: s for k, s in gap["shares"].items() if s == s}
    if not shares:
        return None
    comp = max(shares, key=lambda k: shares[k])
    row = decomposition.set_index("component").loc[comp]
    now, matched = float(row["mean_mismatched"]), float(row["mean_top_matched"])
    goal = now + cfg.conversion_target * (matched - now)
    return Recommendation(
        "rec.mm.component",
        {
            "component": comp,
            "share": shares[comp],
            "gap": gap["gaps"][comp],
            "now": now,
            "matched": matched,
            "target": goal,
            "closed": cfg.conversion_target,
        },
        kpi(f"mean_{comp}_mismatched", goal, COMPONENTS[comp], "<", now),
    )


def _roi_alert(cfg: InvestmentMismatchConfig, v: dict) -> Recommendation:
    goal = round(v["top_roi_below_alert"] * (1 - cfg.conversion_target))
    return Recommendation(
        "rec.mm.roi_alert",
        {"count": v["top_roi_below_alert"], "threshold": cfg.roi_alert, "target": goal},
        kpi("top_roi_below_alert", goal, "roi", "<", cfg.roi_alert),
    )


def _monitor(cfg: InvestmentMismatchConfig, v: dict) -> Recommendation:
    goal_rate = v["mismatch_rate_in_top"] * (1 - cfg.conversion_target)
    goal_count = round(v["mismatched"] * (1 - cfg.conversion_target))
    return Recommendation(
        "rec.mm.monitor",
        {
            "rate": v["mismatch_rate_in_top"],
            "corr": v["corr_priority_composite"],
            "count": v["mismatched"],
            "target_rate": goal_rate,
            "target_count": goal_count,
            "converted": cfg.conversion_target,
        },
        kpi(
            "mismatch_rate_in_top",
            goal_rate,
            "mismatch_rate_in_top",
            ">",
            v["mismatch_rate_in_top"],
        )
        | {"cadence": "quarterly"},
    )
