"""Investment vs. return mismatch (客户投资策略错配) — seed 000: the stages.

Customers whose investment priority is in the top 30% but whose composite performance is in the
bottom 50%: how many, why (ROI, lifecycle, industry × size, behaviour), how biased the current
priority model is, what a transparent model would do instead, and what to change.

1. Engine side (``base_table`` with ``expressions``): de-duplication and the identity join; the
   analytical base table (one row per customer, a dozen columns) is then handed to
   numpy/scipy/scikit-learn for the statistics, which need row-level values.
2. Composite score, cohorts, ROI, gap decomposition, reasons (``composite``).
3. Groups, ROI distribution (``groups``), lifecycle stages with their denominators and the
   cohort ANOVA (``stages``); behaviour and model bias (``behaviour``), the same behaviour inside
   the top-priority pool, mismatched against matched (``pool``); the composite gap of the
   highest-risk groups in raw terms (``root_cause``); a transparent priority model
   (``priority_model``).
4. Tables, action plan and entities (``tables``, ``plan``); metrics, findings and recommendations
   as codes (``narrative``, ``recommendations``).

Missing data never makes a customer look better: a customer with a top-priority score but a NULL
composite metric cannot be judged, so it is kept as an entity with tier ``data_gap`` (counted in
``data_gap_top_priority``, never silently gone between monitor runs); a mismatched customer whose
ROI is undefined (NULL or ≤ 0 CAC, NULL CLV) gets the reason ``reason.roi_unknown`` and
top-priority customers with an undefined ROI are counted (``top_roi_unknown``).  The headline
cohort numbers are computed on complete rows only.
"""

from __future__ import annotations

import time

from crmlens.analyses.base import AnalysisResult
from crmlens.analyses.investment_mismatch import (
    behaviour,
    composite,
    groups,
    narrative,
    pool,
    recommendations,
    root_cause,
    stages,
    tables,
)
from crmlens.analyses.investment_mismatch.base_table import complete_rows, read_base
from crmlens.analyses.investment_mismatch.priority_model import fit_priority_model
from crmlens.analyses.spec import RunContext
from crmlens.analyses.toolkit import check_action_rows
from crmlens.errors import AnalysisError

MIN_ROWS = 10


def compute(ctx: RunContext) -> AnalysisResult:
    started = time.perf_counter()
    cfg = ctx.section
    raw, join = read_base(ctx.data, cfg)
    ctx.laps("engine.identity_join")
    df, dropped = complete_rows(raw)
    if len(df) < MIN_ROWS:
        raise AnalysisError("error.mm_too_few", rows=len(df), needed=MIN_ROWS)
    df, bounds = composite.composite(df, cfg)
    df, cut = composite.cohorts(df, cfg)
    df, roi = composite.roi(df, cfg)
    top = df[df["top_priority"]]
    group_table = groups.groups(top, cfg)
    steps = {
        "groups": group_table,
        "stages": stages.stages(df),
        "behaviour": behaviour.behaviour(df, cfg),
        "bias": behaviour.bias(df),
        "roles": behaviour.feature_roles(df, cfg),
        "pool": pool.pool(df, cfg),
        "root_cause": root_cause.root_cause(top, group_table, cfg),
        "anova": stages.log_roi_anova(df),
        "cohort_anova": stages.log_roi_anova(df, df["mismatched"]),
        "cut": cut,
        "roi": roi,
    }
    ctx.laps("composite_groups_behaviour_bias")
    model = fit_priority_model(df, cfg)
    ctx.laps("model")
    df["reasons"] = composite.reasons(df, cfg)
    overall_gap = composite.gap_decomposition(top, cfg)

    gaps = tables.data_gaps(raw, df, cut)
    result_tables = tables.build_tables(df, cfg, steps, bounds, overall_gap, gaps, model, ctx.as_of)
    check_action_rows(result_tables["action_plan"], "customer360_id", ctx.as_of)
    metrics = narrative.metrics(df, join, dropped, steps, model, len(gaps), cfg)
    findings = narrative.findings(metrics, result_tables, cfg)
    recs = recommendations.recommendations(df, metrics, result_tables, cfg, overall_gap)
    ctx.laps("tables_and_findings")
    method = narrative.method(cfg, bounds, roi, ctx.as_of)
    row_counts = {"value_rows": join["value_rows"], "base": len(df)}
    provenance = ctx.provenance(started, analysis=ctx.spec.name, row_counts=row_counts)
    return AnalysisResult(ctx.spec.name, metrics, result_tables, findings, recs, method, provenance)
