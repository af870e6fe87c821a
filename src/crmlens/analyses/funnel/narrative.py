"""Funnel narrative as codes: headline metrics, findings, recommendations."""

from __future__ import annotations

import pandas as pd

from crmlens.analyses.base import Finding, Metric, Recommendation
from crmlens.analyses.funnel.config import FunnelConfig
from crmlens.stats.basic import rate


def _score(bt: dict, source: str, key: str):
    s = bt.get("scores")
    if s is None or not len(s) or source not in set(s["source"]):
        return None
    value = s.loc[s["source"] == source, key].iloc[0]
    return None if pd.isna(value) else float(value)


def metrics(deals, fun, bt, info, open_deals, quarters, cfg: FunnelConfig) -> dict[str, Metric]:
    closed = deals["closed_by_end"]
    won = int(deals["won_by_end"].sum())
    cycle = (
        deals.loc[deals["won_by_end"], "close_date"]
        - deals.loc[deals["won_by_end"], "created_date"]
    ).dt.days
    conv = fun.conversion.dropna(subset=["conversion"])
    this = quarters.iloc[0]
    out = {
        "opportunities": Metric(len(deals)),
        "closed_deals": Metric(int(closed.sum())),
        "win_rate": Metric(rate(won, int(closed.sum())), "ratio"),
        "median_cycle_days": Metric(float(cycle.median()) if len(cycle) else None, "days"),
        "open_deals": Metric(len(open_deals)),
        "pipeline": Metric(float(open_deals["amount"].fillna(0).sum()), "usd"),
        "weighted_pipeline": Metric(float(open_deals["weighted_amount"].sum()), "usd"),
        "forecast_this_quarter": Metric(float(this["expected"]), "usd"),
        "forecast_low": Metric(float(this["interval_low"]), "usd"),
        "forecast_high": Metric(float(this["interval_high"]), "usd"),
        "forecast_next_quarter": Metric(float(quarters.iloc[1]["expected"]), "usd"),
        "stuck_deals": Metric(int(open_deals["stuck"].sum())),
        "lowest_stage_conversion": Metric(
            float(conv["conversion"].min()) if len(conv) else None, "ratio"
        ),
        "model_trained": Metric("yes" if info["trained"] else "no", "text"),
        "model_brier": Metric(_score(bt, "model", "brier"), "score"),
        "baseline_brier": Metric(_score(bt, "baseline", "brier"), "score"),
        "rep_brier": Metric(_score(bt, "reps", "brier"), "score"),
        "model_auc": Metric(_score(bt, "model", "auc"), "score"),
    }
    return out


def findings(m, fun, bt, info, inputs, tables, cfg: FunnelConfig) -> tuple[Finding, ...]:
    v = {k: x.value for k, x in m.items()}
    out = [
        Finding(
            "fn.win_rate",
            {
                "closed": v["closed_deals"],
                "win_rate": v["win_rate"],
                "cycle": v["median_cycle_days"],
            },
        )
    ]
    conv = fun.conversion.dropna(subset=["conversion"])
    if len(conv):
        worst = conv.sort_values(["conversion", "order"]).iloc[0]
        slow = fun.time_in_stage.dropna(subset=["median_days"])
        slowest = slow.sort_values(["median_days", "order"], ascending=[False, True]).iloc[0]
        out.append(
            Finding(
                "fn.bottleneck",
                {
                    "stage": worst["stage"],
                    "conversion": worst["conversion"],
                    "slow_stage": slowest["stage"],
                    "days": slowest["median_days"],
                },
                "warning",
            )
        )
    drops = fun.drops
    if drops["lost"].sum() > 0:
        top = drops.sort_values(["lost", "order"], ascending=[False, True]).iloc[0]
        out.append(Finding("fn.drops", {"stage": top["stage"], "share": top["lost_share"]}))
    out += _fallbacks(info)
    if not info["trained"] and "win" not in info.get("skipped", {}):
        out.append(
            Finding(
                "fn.model_not_trained",
                {
                    "won": info["won"],
                    "lost": info["lost"],
                    "min_won": cfg.min_won,
                    "min_lost": cfg.min_lost,
                },
                "warning",
            )
        )
    mb, bb, rb = v["model_brier"], v["baseline_brier"], v["rep_brier"]
    if mb is not None and bb is not None:
        code = "fn.model_better" if mb < bb else "fn.model_not_better"
        out.append(
            Finding(
                code,
                {
                    "model": mb,
                    "baseline": bb,
                    "reps": rb,
                    "auc": v["model_auc"],
                    "split": bt["split"].isoformat(),
                },
                "info" if mb < bb else "warning",
            )
        )
    if rb is not None and mb is not None:
        code = "fn.model_beats_reps" if mb < rb else "fn.reps_beat_model"
        out.append(Finding(code, {"model": mb, "reps": rb}))
    if rb is not None and bb is not None and rb > bb:
        out.append(Finding("fn.reps_overconfident", {"reps": rb, "baseline": bb}, "warning"))
    if v["stuck_deals"]:
        out.append(
            Finding(
                "fn.stuck",
                {"count": v["stuck_deals"], "pct": cfg.stuck_percentile},
                "warning",
            )
        )
    out.append(
        Finding(
            "fn.forecast",
            {
                "quarter": tables["forecast"].iloc[0]["quarter"],
                "expected": v["forecast_this_quarter"],
                "low": v["forecast_low"],
                "high": v["forecast_high"],
                "level": cfg.interval,
            },
        )
    )
    undated = tables["forecast"][tables["forecast"]["quarter"] == "undated"]
    if len(undated):
        row = undated.iloc[0]
        params = {k: row[k] for k in ("pipeline", "expected")}
        out.append(Finding("fn.undated_pipeline", {"deals": int(row["open_deals"]), **params}))
    c = fun.counts
    if c["regressions"] or c["reopenings"]:
        out.append(
            Finding(
                "dq.funnel_history_noise",
                {k: c[k] for k in ("regressions", "deals_regressed", "reopenings")},
            )
        )
    if c["deals_without_history"]:
        out.append(
            Finding("dq.funnel_no_history", {"count": c["deals_without_history"]}, "warning")
        )
    if inputs.orphan_history:
        out.append(Finding("dq.funnel_orphan_history", {"count": inputs.orphan_history}, "warning"))
    if inputs.unmapped_stages:
        out.append(
            Finding(
                "dq.funnel_unmapped_stages",
                {
                    "stages": sorted(inputs.unmapped_stages),
                    "rows": sum(inputs.unmapped_stages.values()),
                },
                "warning",
            )
        )
    if inputs.after_close:
        out.append(Finding("dq.funnel_after_close", {"count": inputs.after_close}))
    return tuple(out)


def _fallbacks(info) -> list[Finding]:
    """What stood in where a model or a baseline could not be estimated (see ``predict``)."""
    from crmlens.analyses.funnel.model import MIN_MINORITY

    out = [
        Finding(f"fn.model_{target}_skipped", {"examples": n, "needed": MIN_MINORITY}, "warning")
        for target, n in info.get("skipped", {}).items()
    ]
    if info.get("win_fallback"):
        out.append(Finding("fn.baseline_fallback", info["win_fallback"], "warning"))
    if info.get("next_fallback"):
        out.append(Finding("fn.next_stage_fallback", {"deals": info["next_fallback"]["deals"]}))
    return out


def recommendations(m, fun, tables, cfg: FunnelConfig) -> tuple[Recommendation, ...]:
    v = {k: x.value for k, x in m.items()}
    out = []
    if v["stuck_deals"]:
        stuck = tables["open_deals"]
        stuck = stuck[stuck["stuck"]]
        out.append(
            Recommendation(
                "rec.funnel_unstick",
                {
                    "count": len(stuck),
                    "amount": float(stuck["amount"].fillna(0).sum()),
                    "days": cfg.milestones_days[0],
                },
                {"metric": "stuck_deals", "op": "<", "value": v["stuck_deals"]},
            )
        )
    conv = fun.conversion.dropna(subset=["conversion"])
    if len(conv):
        worst = conv.sort_values(["conversion", "order"]).iloc[0]
        out.append(
            Recommendation(
                "rec.funnel_bottleneck",
                {"stage": worst["stage"], "conversion": worst["conversion"]},
                {"metric": "lowest_stage_conversion", "op": ">", "value": worst["conversion"]},
            )
        )
    if (
        v["rep_brier"] is not None
        and v["model_brier"] is not None
        and v["model_brier"] < v["rep_brier"]
    ):
        out.append(
            Recommendation(
                "rec.funnel_use_model", {"model": v["model_brier"], "reps": v["rep_brier"]}
            )
        )
    low = tables["open_deals"]
    low = low[low["tier"] == "low"]
    if len(low):
        out.append(
            Recommendation(
                "rec.funnel_qualify",
                {
                    "count": len(low),
                    "threshold": cfg.low_probability,
                    "days": cfg.milestones_days[-1],
                },
            )
        )
    return tuple(out)


def override_findings(open_deals, tables, unknown: list[str]) -> tuple[Finding, ...]:
    out = []
    n_prob = int(open_deals["probability_overridden"].sum())
    n_close = int(open_deals["close_overridden"].sum())
    if n_prob or n_close:
        shift = open_deals.loc[open_deals["probability_overridden"]]
        out.append(
            Finding(
                "fn.overrides_in_force",
                {
                    "probabilities": n_prob,
                    "dates": n_close,
                    "mean_change": float((shift["p_win"] - shift["p_win_model"]).mean())
                    if n_prob
                    else 0.0,
                },
            )
        )
    judged = tables["override_judgement"]
    for _, row in judged.iterrows():
        if row["verdict"] in ("helps", "hurts"):
            out.append(
                Finding(
                    f"fn.override_{row['verdict']}",
                    {
                        "person": row["changed_by"],
                        "judged": int(row["judged"]),
                        "human": row["brier_human"],
                        "model": row["brier_model"],
                    },
                    "warning" if row["verdict"] == "hurts" else "info",
                )
            )
    if unknown:
        out.append(Finding("fn.overrides_unknown_deals", {"count": len(unknown)}, "warning"))
    return tuple(out)
