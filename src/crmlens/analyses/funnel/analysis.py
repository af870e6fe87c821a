"""Pipeline funnel (seed 004: the model predicts, people adjust) — the stages: engine read
(``inputs``), timelines and the funnel as it is (``timeline``), back-test and final model
(``model``), forecast (``forecast``), tables, plan and narrative codes."""

from __future__ import annotations

import datetime as dt
import time

import numpy as np
import pandas as pd

from crmlens.analyses.base import AnalysisResult
from crmlens.analyses.engine import data_end
from crmlens.analyses.funnel import forecast, human, model, narrative
from crmlens.analyses.funnel.config import FunnelConfig
from crmlens.analyses.funnel.inputs import read_inputs, stage_order
from crmlens.analyses.funnel.timeline import funnel, segments, state_at
from crmlens.analyses.spec import RunContext
from crmlens.analyses.toolkit import (
    OPEN,
    Action,
    check_action_rows,
    due_dates,
    labels,
    plan_rows,
    plan_summary,
    tier_levels,
)

TIERS = ("low", "medium", "high")


def compute(ctx: RunContext) -> AnalysisResult:
    started = time.perf_counter()
    cfg: FunnelConfig = ctx.section
    end = data_end(ctx.data, ctx.as_of)
    inputs = read_inputs(ctx, cfg, end)
    deals = inputs.deals
    ctx.laps("engine.deals")
    rows = inputs.history
    seg = segments(rows)
    fun, _ = funnel(deals, seg, cfg.open_stages, end)
    ctx.laps("funnel")
    sources = _top_sources(deals, cfg)
    amounts, reps = inputs.amount_history, inputs.rep_history
    dated = model.numeric(amounts, reps)
    bt = backtest(deals, rows, cfg, end, sources, dated)
    ctx.laps("backtest")
    open_deals, fitted, train_info = predict(deals, rows, cfg, end, sources, fun, dated)
    ctx.laps("model")
    open_deals, review, unknown_overrides = human.apply(ctx, open_deals)
    open_deals = finish(open_deals, cfg, fun)
    judged = human.judged(ctx, deals, seg)
    ctx.laps("overrides")
    quarters, quarter = forecast.bookings(open_deals, end, cfg.simulations, cfg.seed, cfg.interval)
    tables = {
        "conversion": fun.conversion,
        "time_in_stage": fun.time_in_stage,
        "drops": fun.drops,
        "by_source": win_rates(deals, "lead_source"),
        "by_type": win_rates(deals, "type"),
        "by_owner": win_rates(deals, "owner_name" if "owner_name" in deals else "owner_id"),
        "by_amount_band": win_rates(deals.assign(amount_band=_bands(deals, cfg)), "amount_band"),
        "backtest_scores": bt["scores"],
        "reliability": bt["reliability"],
        "drivers": train_info["drivers"],
        "open_deals": open_deals,
        "forecast": quarters,
        "forecast_by_owner": forecast.by_group(open_deals, quarter, end, "owner_label"),
        "forecast_by_stage": forecast.by_group(open_deals, quarter, end, "stage"),
        "realised_bookings": forecast.realised(deals, end),
        "review": review,
        "override_judgement": human.who_is_right(judged),
        "override_scores": override_scores(judged),
    }
    plan = check_action_rows(action_plan(open_deals, cfg, ctx.as_of), "opportunity_id", ctx.as_of)
    tables["action_plan"] = plan
    tables["plan_summary"] = plan_summary(plan)  # the totals every output quotes
    tables["entities"] = entities(open_deals)
    ctx.laps("forecast_and_tables")
    metrics = narrative.metrics(deals, fun, bt, train_info, open_deals, quarters, cfg)
    findings = narrative.findings(metrics, fun, bt, train_info, inputs, tables, cfg)
    findings = (*findings, *narrative.override_findings(open_deals, tables, unknown_overrides))
    recs = narrative.recommendations(metrics, fun, tables, cfg)
    method = {
        "stages": stage_order(cfg),
        "open_stages": cfg.open_stages,
        "window_end": end.isoformat(),
        "backtest_split": bt["split"].isoformat(),
        "calibration": train_info["method"],
        "model_trained": fitted,
        "amount_feature": amounts,
        "rep_feature": reps,
        "min_won": cfg.min_won,
        "min_lost": cfg.min_lost,
        "snapshot_step_days": cfg.snapshot_step_days,
        "snapshot_days": cfg.snapshot_days,
        "simulations": cfg.simulations,
        "interval": cfg.interval,
        "stuck_percentile": cfg.stuck_percentile,
        "counts": fun.counts,
    }
    provenance = ctx.provenance(
        started,
        analysis=ctx.spec.name,
        row_counts={"opportunities": len(deals), "history": len(inputs.history)},
    )
    return AnalysisResult(ctx.spec.name, metrics, tables, findings, recs, method, provenance)


def _top_sources(deals: pd.DataFrame, cfg: FunnelConfig) -> list[str]:
    if "lead_source" not in deals:
        return []
    counts = deals["lead_source"].dropna().astype(str).value_counts()
    return sorted(counts.index[: cfg.top_sources])


def _bands(deals: pd.DataFrame, cfg: FunnelConfig) -> np.ndarray:
    amount = pd.to_numeric(deals["amount"], errors="coerce").to_numpy()
    edges = [0.0, *cfg.amount_bands]
    names = [f"< {int(cfg.amount_bands[0]):,}"]
    names += [f"{int(a):,}–{int(b):,}" for a, b in zip(cfg.amount_bands, cfg.amount_bands[1:])]
    names += [f"≥ {int(cfg.amount_bands[-1]):,}"]
    idx = np.searchsorted(edges[1:], np.nan_to_num(amount, nan=-1), side="right")
    return np.where(np.isnan(amount), "unknown", np.asarray(names, dtype=object)[idx])


def win_rates(deals: pd.DataFrame, col: str) -> pd.DataFrame:
    """Closed deals per group: won, lost, win rate, median days to win."""
    if col not in deals:
        return pd.DataFrame(columns=["group", "closed", "won", "win_rate", "median_cycle_days"])
    closed = deals[deals["closed_by_end"]].copy()
    closed["cycle"] = (closed["close_date"] - closed["created_date"]).dt.days
    closed["group"] = closed[col].fillna("unknown").astype(str)
    g = closed.groupby("group")
    out = g.agg(closed=("won_by_end", "size"), won=("won_by_end", "sum")).reset_index()
    cycle = closed[closed["won_by_end"]].groupby("group")["cycle"].median()
    out["win_rate"] = out["won"] / out["closed"]
    out["median_cycle_days"] = out["group"].map(cycle)
    return out.sort_values(["closed", "group"], ascending=[False, True]).reset_index(drop=True)


def _enough(deals: pd.DataFrame, cutoff: pd.Timestamp, cfg: FunnelConfig) -> tuple[bool, int, int]:
    known = deals["is_closed"] & (deals["close_date"] <= cutoff)
    won = int((known & deals["is_won"]).sum())
    lost = int((known & ~deals["is_won"]).sum())
    return won >= cfg.min_won and lost >= cfg.min_lost, won, lost


def backtest(deals, rows, cfg: FunnelConfig, end: dt.date, sources, dated: tuple) -> dict:
    """Train on outcomes known by ``end − backtest_days``; score the deals open on that date whose
    outcome was known by ``end`` — baseline, model and the reps' own probability."""
    split = end - dt.timedelta(days=cfg.backtest_days)
    cut = pd.Timestamp(split)
    empty = {"split": split, "scores": pd.DataFrame(), "reliability": pd.DataFrame()}
    ok, won, lost = _enough(deals, cut, cfg)
    empty.update(won=won, lost=lost, trained=False)
    train = model.snapshots(deals, rows, cfg, split)
    test = state_at(deals, rows, cut)
    closed_later = (deals["closed_by_end"] & (deals["close_date"] > cut)).to_numpy(dtype=bool)
    test = test[closed_later[test["deal"].to_numpy()]]
    if not len(train) or not len(test) or train["won"].nunique() < 2:
        return empty
    y = deals["won_by_end"].to_numpy(dtype=bool)[test["deal"].to_numpy()]
    rates = model.baseline_rates(train, cfg.open_stages)
    stage_rate = np.array([rates[s] for s in cfg.open_stages])
    preds = {"baseline": stage_rate[test["order"].to_numpy()]}
    fitted = None
    if ok:
        x_train = model.features(train, deals, cfg, sources)
        fitted = model.fit(train, x_train, won + lost, cfg, dated)
    if fitted is not None and fitted.win is not None:
        x_test = model.features(test, deals, cfg, sources)
        preds["model"] = fitted.win.predict_proba(fitted.design.matrix(x_test))[:, 1]
    rep = test["probability"].to_numpy(dtype="float64") / 100.0
    rows, rel = [], []
    for source, p in preds.items():
        rows.append({"source": source, **model.scores(y, p)})
        rel.append(model.reliability(y, p, source))
    has_rep = ~np.isnan(rep)
    if has_rep.any():
        rows.append({"source": "reps", **model.scores(y[has_rep], rep[has_rep])})
        rel.append(model.reliability(y[has_rep], rep[has_rep], "reps"))
    return {
        "split": split,
        "scores": pd.DataFrame(rows),
        "reliability": pd.concat(rel, ignore_index=True),
        "won": won,
        "lost": lost,
        "trained": "model" in preds,
    }


def predict(deals, rows, cfg: FunnelConfig, end: dt.date, sources, fun, dated: tuple):
    """Probabilities for every deal open at the end date (the model when enough closed deals,
    else the baseline), with drivers, tier and stuck flag."""
    cut = pd.Timestamp(end)
    state = state_at(deals, rows, cut)
    ok, won, lost = _enough(deals, cut, cfg)
    train = model.snapshots(deals, rows, cfg, end)
    info = {
        "method": None,
        "drivers": pd.DataFrame(columns=["feature", "coefficient"]),
        "won": won,
        "lost": lost,
        "trained": False,
        "training_rows": len(train),
        "skipped": {},
    }
    info.update(_baselines(state, deals, train, fun, cfg))
    fitted = None
    if ok and len(train) and train["won"].nunique() == 2 and len(state):
        x_train = model.features(train, deals, cfg, sources)
        fitted = model.fit(train, x_train, won + lost, cfg, dated)
        info["skipped"] = fitted.skipped
    state["p_win"] = state["p_baseline"]
    state["p_next"] = state["p_next_baseline"]
    if fitted is not None and fitted.win is not None:
        x = model.features(state, deals, cfg, sources)
        m = fitted.design.matrix(x)
        state["p_win"] = fitted.win.predict_proba(m)[:, 1]
        if fitted.next_stage is not None:
            state["p_next"] = fitted.next_stage.predict_proba(m)[:, 1]
        glob, named = model.drivers(fitted, x)
        for k in range(named.shape[1]):
            state[f"driver_{k + 1}"] = named[:, k]
        info.update(method=fitted.method, drivers=glob, trained=True)
    at = state["deal"].to_numpy()
    state["stage"] = np.asarray(cfg.open_stages, dtype=object)[state["order"].to_numpy()]
    state["amount"] = pd.to_numeric(deals["amount"], errors="coerce").to_numpy()[at]
    state["expected_close"] = deals["close_date"].to_numpy()[at]
    has_name = "account_name" in deals
    state["account_name"] = deals["account_name"].to_numpy()[at] if has_name else None
    owner = deals["owner_name"] if "owner_name" in deals else deals.get("owner_id")
    state["owner_label"] = (
        owner.fillna("unknown").to_numpy()[at] if owner is not None else ("unknown")
    )
    state["rep_probability"] = state["probability"] / 100.0
    ids = state["opportunity_id"]
    state["account_label"] = (state["account_name"].fillna(ids) if has_name else ids).to_numpy()
    return state.drop(columns=["deal", "amount_then"]), info["trained"], info


def _baselines(state, deals, train, fun, cfg: FunnelConfig) -> dict:
    """``p_baseline`` (win rate of the stage in the training snapshots) and ``p_next_baseline``
    (the stage's conversion) of each open deal.  Without training snapshots the win rate of every
    deal closed by the end date stands in (0 when none closed: no outcome is known); a stage
    without a conversion rate takes the conversion of all stages pooled (else ``p_baseline``).
    Returns what stood in, for the findings — never a NaN probability."""
    rates = model.baseline_rates(train, cfg.open_stages) if len(train) else {}
    closed = int(deals["closed_by_end"].sum())
    overall = float(deals["won_by_end"].sum()) / closed if closed else 0.0
    by_stage = {k: rates.get(s, np.nan) for k, s in enumerate(cfg.open_stages)}
    p = state["order"].map(by_stage).astype("float64")
    out = {"win_fallback": None, "next_fallback": None}
    if p.isna().any():
        out["win_fallback"] = {"rate": overall, "deals": int(p.isna().sum()), "closed": closed}
    state["p_baseline"] = p.fillna(overall).to_numpy()
    c = fun.conversion
    conv = dict(zip(c["order"], c["conversion"]))
    resolved = int((c["reached"] - c["still_open"]).sum())
    pooled = float(c["converted"].sum()) / resolved if resolved else np.nan
    nxt = state["order"].map(conv).astype("float64")
    if nxt.isna().any():
        out["next_fallback"] = {"rate": pooled, "deals": int(nxt.isna().sum())}
    nxt = nxt.fillna(pooled).to_numpy()
    state["p_next_baseline"] = np.where(np.isnan(nxt), state["p_baseline"].to_numpy(), nxt)
    return out


def finish(state: pd.DataFrame, cfg: FunnelConfig, fun) -> pd.DataFrame:
    """Stuck flag, tier, weighted amount and priority from the probability in force."""
    p90 = dict(zip(fun.time_in_stage["order"], fun.time_in_stage["p90_days"]))
    state["stuck"] = state["days_in_stage"] > state["order"].map(p90)
    level = tier_levels(state["p_win"].to_numpy(), [cfg.low_probability, cfg.high_probability])
    state["tier"] = labels(level, TIERS).to_numpy()
    state["weighted_amount"] = state["amount"].fillna(0.0) * state["p_win"]
    state = state.sort_values(
        ["stuck", "weighted_amount", "opportunity_id"], ascending=[False, False, True]
    ).reset_index(drop=True)
    state["priority_rank"] = np.arange(1, len(state) + 1)
    return state


def override_scores(judged: pd.DataFrame) -> pd.DataFrame:
    """Calibration by source on the judged overrides: mean Brier of the people's, the model's and
    the CRM's probabilities on the same deals."""
    rows = []
    for source in ("human", "model", "crm"):
        col = judged.get(f"brier_{source}") if len(judged) else None
        known = col.dropna() if col is not None else pd.Series(dtype=float)
        rows.append(
            {"source": source, "n": len(known), "brier": known.mean() if len(known) else np.nan}
        )
    return pd.DataFrame(rows)


def action_plan(open_deals: pd.DataFrame, cfg: FunnelConfig, as_of: dt.date) -> pd.DataFrame:
    """Stuck deals get a review within the first milestone; low-probability deals a
    qualify-or-close decision within the last (``toolkit.plan_rows``: deal, milestone, code)."""
    last = len(cfg.milestones_days) - 1
    plan = plan_rows(
        [
            Action("action.funnel_unstick", open_deals["stuck"].to_numpy(dtype=bool), 0),
            Action(
                "action.funnel_qualify_or_close", (open_deals["tier"] == "low").to_numpy(), last
            ),
        ]
    )
    idx = plan.entity
    days = np.asarray(cfg.milestones_days, dtype="int64")
    n = len(idx)
    return pd.DataFrame(
        {
            "priority_rank": open_deals["priority_rank"].to_numpy(dtype="int64")[idx],
            "opportunity_id": open_deals["opportunity_id"].to_numpy()[idx],
            "account_name": open_deals["account_name"].to_numpy()[idx],
            "owner_name": open_deals["owner_label"].to_numpy()[idx],
            "owner_role": np.full(n, "account_executive", dtype=object),
            "stage": open_deals["stage"].to_numpy()[idx],
            "p_win": open_deals["p_win"].to_numpy(dtype="float64")[idx],
            "amount": open_deals["amount"].to_numpy()[idx],
            "action": np.asarray(plan.codes, dtype=object)[plan.action],
            "quantity": plan.quantity,
            "detail": np.full(n, "", dtype=object),
            "milestone_days": days[plan.milestone],
            "due_date": np.asarray(due_dates(as_of, days), dtype=object)[plan.milestone],
            "status": np.full(n, OPEN, dtype=object),
        }
    )


def entities(open_deals: pd.DataFrame) -> pd.DataFrame:
    name = open_deals["account_name"].fillna(open_deals["opportunity_id"])
    return pd.DataFrame(
        {
            "entity_id": open_deals["opportunity_id"].to_numpy(),
            "entity_name": name.to_numpy(),
            "tier": open_deals["tier"].to_numpy(),
            "p_win": open_deals["p_win"].to_numpy(),
            "stuck": open_deals["stuck"].to_numpy(dtype=bool),
        }
    )
