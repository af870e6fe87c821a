"""Customer segmentation with human judgement (客户细分) — seed 004: the stages.

1. Features (``features`` with ``expressions``, on the engine): one row per account — won deals
   (recency, frequency and monetary in the window), cases, contacts, owner load and the optional
   account columns.  Accounts without a won deal are prospects: counted, not segmented.
2. RFM (``rfm``): quintile scores with ties together, first-match segment rules, the "other"
   bucket.
3. People (``human``): overrides in force replace the model's segment (``ctx.overrides``); who,
   why and until when are kept beside the model's value.
4. Guard and plan (``guard``): per segment size, revenue, service-cost proxy; segments too small
   or without a distinct treatment flagged; playbook actions for the kept ones.
5. Clusters (``clusters``): scikit-learn in Python on the per-customer feature table.
6. Utilisation (``utilisation``), people vs. model (``human``), tables and narrative.
"""

from __future__ import annotations

import time

from crmlens.analyses.base import AnalysisResult
from crmlens.analyses.segmentation import clusters, guard, human, narrative, rfm, tables
from crmlens.analyses.segmentation import customer360, utilisation
from crmlens.analyses.segmentation.features import read_features
from crmlens.analyses.spec import RunContext
from crmlens.analyses.toolkit import check_action_rows, plan_summary


def compute(ctx: RunContext) -> AnalysisResult:
    started = time.perf_counter()
    cfg = ctx.section
    feats = read_features(ctx)
    customers = feats.table[feats.table["customer"]].reset_index(drop=True)
    scored = rfm.score(customers)
    scored["segment_model"] = rfm.segments(scored, cfg)
    ctx.laps("rfm")
    overrides = ctx.overrides("segment")
    applied = tables.ordered(overrides.apply(scored, "account_id", "segment_model"), cfg)
    ctx.laps("overrides")
    prof = guard.profile(applied, cfg)
    actions = check_action_rows(guard.plan(applied, prof, cfg, ctx.as_of), "account_id", ctx.as_of)
    ctx.laps("guard_and_plan")
    found = clusters.cluster(applied, cfg.clustering)
    if found is not None:
        applied["cluster"] = found.labels
    ctx.laps("clusters")
    c360 = _customer360(ctx, cfg, applied)
    complete = utilisation.completeness(ctx)
    features = found.features if found is not None else []
    util = utilisation.table(complete, applied, features, found.influence if found else {})
    steps = {
        "accounts": len(feats.table),
        "orphan_won": feats.orphan_won,
        "undated_won": feats.undated_won,
        "window_start": feats.window_start,
        "customers": customers,
        "applied": applied,
        "profile": prof,
        "plan": actions,
        "clusters": found,
        "cuts": rfm.cuts(scored),
        "utilisation": util,
        "utilisation_share": float(util["used"].mean()) if len(util) else None,
        "outcomes": human.outcomes(applied, cfg, ctx.as_of),
        "unknown_overrides": overrides.unknown_entities(feats.table["account_id"]),
        "warning_days": overrides.warning_days,
        "customer360": c360,
    }
    result_tables = {
        "customers": tables.customer_table(applied),
        "top_customers": tables.customer_table(applied).head(cfg.top_n),
        "segment_rules": rfm.rule_table(scored, scored["segment_model"].to_numpy(), cfg),
        "rfm_cuts": steps["cuts"],
        "segment_profile": prof,
        "overridden": human.overridden(applied),
        "disagreements": human.disagreements(applied),
        "override_outcomes": steps["outcomes"],
        "data_utilisation": util,
        "action_plan": actions,
        "plan_summary": plan_summary(actions),
        "review": overrides.review(applied, "account_id", "account_name", "segment_model"),
        "entities": tables.entities(applied, cfg),
    }
    if found is not None:
        result_tables |= {
            "cluster_profiles": found.profiles,
            "cluster_silhouettes": found.silhouettes,
            "cluster_stability": found.stability,
            "segment_clusters": clusters.crosstab(applied["segment"], found.labels),
        }
    if isinstance(c360, customer360.Customer360):
        result_tables["c360_segments"] = c360.segments
        if c360.crosstab is not None:
            result_tables["c360_account_segments"] = c360.crosstab
    metrics = narrative.metrics(steps, cfg)
    findings = narrative.findings(metrics, steps, cfg)
    recs = narrative.recommendations(metrics, steps, cfg)
    ctx.laps("tables_and_findings")
    method = narrative.method(cfg, steps, ctx.as_of)
    row_counts = {"accounts": len(feats.table), "customers": len(customers)}
    provenance = ctx.provenance(started, analysis=ctx.spec.name, row_counts=row_counts)
    return AnalysisResult(ctx.spec.name, metrics, result_tables, findings, recs, method, provenance)


def _customer360(ctx: RunContext, cfg, applied):
    """With ``rfm_source: customer360``: the customer-360 segments, or the value-table columns
    the source lacks (reported, the account-level analysis goes on); None otherwise."""
    if cfg.rfm_source != "customer360":
        return None
    missing = customer360.missing_columns(ctx)
    return missing or customer360.read(ctx, cfg, applied)
