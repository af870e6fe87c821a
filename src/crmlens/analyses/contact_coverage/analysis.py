"""Key-account contact coverage risk (联系人配置风险监控) — seeds 001 and 002: the stages.

All constants come from the unit's config section (``ctx.section``).

1. Key accounts (``key_accounts``) — drop NULL revenue, rank by revenue desc then ``account_id``
   asc, keep the top ``ceil(n × share)``.  Accounts tied with the last one kept but ranked after
   it are reported as ``tied_excluded`` (the cut is strict; the tie-break is documented).  An
   Unknown/NULL size class is inferred from the employee count first (``size_from_employees``).
2. Per account, on the engine (``expressions``): contacts, density, decision ratio, department
   coverage, red-line flags, the flag score, the red-line gaps and the priority order (risk ↓,
   revenue ↓, size, decision gap ↓, coverage gap ↓, id).
3. Peer track (``peers``): thresholds per industry × size group and industry must-haves; the
   relative peer standard (density below a fraction of the peers' median), which still differs
   when the peer track collapses onto the red line (``peers.collapse`` says when).
4. Risk (``risk``): both seed models (weighted flags, additive points), the gap score, tiers of
   the selected model, data gaps (missing data never lowers a tier); the final order.
   NULL revenue is not a data gap here: such accounts cannot be ranked, are left out of the key
   accounts and reported (``revenue_null_high_risk``).
5. Workload — the joint plan, computed once (``risk.joint_plan``) —, revenue-weighted priority
   score, queues (``risk``), action plan (``plan``).
6. Outcomes (``outcomes``, when opportunities are present): win, renewal and expansion rates by
   risk tier and failed metric, with Wilson / Newcombe intervals, and the verdict on the model.
7. Tables and playbooks (``tables``), metrics, findings and recommendations as codes
   (``narrative``).

The engine does every join and group-by over contacts; Python receives the per-key-account table
(at most ``share`` of accounts, already in priority order) and aggregates of the rest.  Each
stage's wall time is recorded in ``provenance['stage_seconds']`` (see docs/performance.md).
"""

from __future__ import annotations

import time

from crmlens.analyses.base import AnalysisResult
from crmlens.analyses.contact_coverage import narrative, outcomes, peers, plan, risk, tables
from crmlens.analyses.contact_coverage.key_accounts import read_key_accounts
from crmlens.analyses.spec import RunContext
from crmlens.analyses.toolkit import check_action_rows


def compute(ctx: RunContext) -> AnalysisResult:
    started = time.perf_counter()
    cfg = ctx.section
    source = read_key_accounts(ctx)
    key_depts = source.key_departments
    df = source.table

    present = peers.presence(df, key_depts)
    must = peers.must_have_matrix(df["industry_normalized"], cfg, key_depts)
    groups, codes = peers.peer_thresholds(df, cfg)
    df = peers.apply_peer_track(df, groups, codes, present, must, key_depts)
    df = peers.apply_relative_standard(df, cfg)
    df = risk.assess(df, cfg, len(key_depts))
    df, present, must = risk.reorder(df, present, must, cfg)
    dept_add = risk.workload(df, cfg, present, must, key_depts)
    df = risk.priority(df, cfg)
    ctx.laps("key_account_metrics")
    actions = plan.action_plan(df, cfg, ctx.as_of, present, dept_add, key_depts)
    check_action_rows(actions, "account_id", ctx.as_of)
    ctx.laps("action_plan")

    outcome_tables, outcome_summary = outcomes.outcome_tables(ctx, df)
    ctx.laps("outcomes")

    result_tables = tables.build_tables(df, groups, cfg, source, actions) | outcome_tables
    metrics = narrative.metrics(
        df, groups, source, cfg, outcome_summary, result_tables["plan_summary"]
    )
    findings = narrative.findings(metrics, result_tables)
    recs = narrative.recommendations(metrics, result_tables, cfg, df)
    ctx.laps("tables_and_findings")
    method = narrative.method(cfg, ctx.config, ctx.as_of)
    row_counts = {"accounts": source.accounts, "contacts": source.quality["contacts_total"]}
    provenance = ctx.provenance(started, analysis=ctx.spec.name, row_counts=row_counts)
    return AnalysisResult(ctx.spec.name, metrics, result_tables, findings, recs, method, provenance)
