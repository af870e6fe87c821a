"""Account health score — the stages: engine read (``inputs``), sub-scores, weights, score,
tiers and reasons (``score``), risk matrix, low-health profile, variance shares and the 6-month
outlook (``tables``), playbooks as action rows (``plan``), narrative codes (``narrative``)."""

from __future__ import annotations

import time

from crmlens.analyses.base import AnalysisResult
from crmlens.analyses.engine import data_end
from crmlens.analyses.health_score import backtest, dated, narrative, plan, tables
from crmlens.analyses.health_score.inputs import read_inputs
from crmlens.analyses.health_score.score import score
from crmlens.analyses.spec import RunContext
from crmlens.analyses.toolkit import check_action_rows, plan_summary


def compute(ctx: RunContext) -> AnalysisResult:
    started = time.perf_counter()
    cfg = ctx.section
    inputs = read_inputs(ctx)
    ctx.laps("engine.accounts")
    end = data_end(ctx.data, ctx.as_of)  # windows end at the data's last closed deal
    table = dated.attach(inputs.table, dated.dated_inputs(ctx, cfg, end))
    ctx.laps("engine.dated_tables")
    scored = score(table, cfg, inputs.size_column, inputs.absent)
    df = scored.table
    df["email_share"] = tables.email_share(df)
    ctx.laps("score")
    outlook = tables.outlook(df, cfg)
    df = plan.prioritise(df, outlook)
    actions = check_action_rows(plan.action_plan(df, cfg, ctx.as_of), "account_id", ctx.as_of)
    ctx.laps("action_plan")
    result_tables = {
        "accounts": df,
        "top_low_health": narrative.top_accounts(df, cfg.top_n),
        "risk_matrix": tables.risk_matrix(df, cfg),
        "low_health_profile": tables.low_health_profile(df, scored.components),
        "variance_shares": tables.variance_shares(df, scored.components),
        "outlook_by_quartile": tables.outlook_by_quartile(outlook),
        "score_distribution": tables.score_distribution(df),
        "action_plan": actions,
        "plan_summary": plan_summary(actions),
        "entities": narrative.entities(df),
    }
    scored = type(scored)(df, scored.unmeasurable, scored.components)
    check = backtest.run(ctx, cfg, end)
    result_tables["backtest_by_tier"] = check.table
    ctx.laps("backtest")
    metrics = {**narrative.metrics(scored, result_tables), **narrative.backtest_metrics(check)}
    findings = (
        *narrative.findings(metrics, scored, result_tables),
        narrative.backtest_finding(check),
    )
    recs = narrative.recommendations(metrics, result_tables, cfg)
    ctx.laps("tables_and_findings")
    provenance = ctx.provenance(started, analysis=ctx.spec.name, row_counts={"accounts": len(df)})
    method = {
        **narrative.method(cfg, scored, inputs.size_column),
        "backtest": {
            "cutoff": check.cutoff.isoformat(),
            "horizon": cfg.backtest_horizon_days,
            "dropped": check.metrics.get("dropped", []),
        },
        "window_end": end.isoformat(),
    }
    return AnalysisResult(ctx.spec.name, metrics, result_tables, findings, recs, method, provenance)
