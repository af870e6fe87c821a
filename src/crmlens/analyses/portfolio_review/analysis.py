"""Executive portfolio review (老板关注的客户分析七大维度) — seed 003: the stages.

1. ``read``: open the tables that exist, fix the window end (as-of) and the windows T12/P12.
2. Account facts on the engine (``expressions.account_facts``): revenue in T12 and P12, won-deal
   counts, first won / first closed deal, margins; joined to the account's segment labels.
3. Shared aggregates: the revenue ranking (``value.ranking``), retention sums
   (``growth.retention``), segment tables (``structure.segments``), classified cases.
4. One stage per dimension (``value``, ``growth``, ``risk``, ``structure``, ``needs``,
   ``experience``, ``competition``), each returning a :class:`cards.Card`.
5. The cards table, the findings (one answer sentence per card, or "not measurable" with the
   columns it needs; bad-input sentences first) and the method.
6. What to do (``plan``): action rows and one recommendation per dimension at alert or on watch
   (owner, target, due dates from the run's as-of, the default alert rule on its figure).

Python receives aggregates only: one row, or one row per quarter, segment or category.
"""

from __future__ import annotations

import time

import pandas as pd

from crmlens.analyses.base import AnalysisResult, Finding, Metric
from crmlens.analyses.portfolio_review import plan, read
from crmlens.analyses.portfolio_review.cards import SEVERITY, Card, Context, card_row, status
from crmlens.analyses.portfolio_review.competition import competition_card
from crmlens.analyses.portfolio_review.config import DIMENSIONS
from crmlens.analyses.portfolio_review.experience import experience_card
from crmlens.analyses.portfolio_review.expressions import (
    account_facts,
    normalised,
    with_attributes,
)
from crmlens.analyses.portfolio_review.growth import growth_card, retention
from crmlens.analyses.portfolio_review.needs import classified_cases, needs_card
from crmlens.analyses.portfolio_review.risk import risk_card
from crmlens.analyses.portfolio_review.structure import segments, structure_card
from crmlens.analyses.portfolio_review.value import ranking, value_card
from crmlens.analyses.spec import RunContext
from crmlens.analyses.toolkit import check_action_rows, plan_summary
from crmlens.schema.contracts import OPPORTUNITIES

STAGES = {
    "value": value_card,
    "growth": growth_card,
    "risk": risk_card,
    "structure": structure_card,
    "needs": needs_card,
    "experience": experience_card,
    "competition": competition_card,
}
REVENUE_DIMENSIONS = ("value", "growth", "risk", "structure")
REVENUE_NEEDS = f"{OPPORTUNITIES.name}.amount, is_won, close_date (won deals in T12)"


def compute(ctx: RunContext) -> AnalysisResult:
    started = time.perf_counter()
    cfg = ctx.section
    inputs = read.read_inputs(ctx)
    notes: list[Finding] = []
    if inputs.deals is None:
        notes.append(Finding("pr.no_opportunities", {"table": OPPORTUNITIES.name}, "critical"))
        inputs.deals = _empty_deals(ctx)
    dates = read.data_dates(inputs, ctx.as_of)
    end = read.window_end(cfg, dates, ctx.as_of)
    if end is None:
        end = ctx.as_of
        if dates.get("first") is not None:
            notes.append(
                Finding(
                    "pr.as_of_before_data",
                    {"as_of": str(end), "first": str(dates["first"])[:10]},
                    "critical",
                )
            )
    windows = read.windows(cfg, end)
    # computed once on the engine and reused by every dimension (Ibis ``cache``: a temporary
    # table on DuckDB/Postgres, a persisted DataFrame on Spark)
    facts = with_attributes(account_facts(inputs.deals, windows), inputs.accounts).cache()
    context = Context(cfg, inputs, windows, facts)
    ctx.laps("read")
    _shared(context)
    notes += _revenue_notes(context, dates)
    ctx.laps("shared_aggregates")
    cards = []
    for dimension in DIMENSIONS:
        card = STAGES[dimension](context)
        if dimension in REVENUE_DIMENSIONS and not context.shared["ranking"]["customers"]:
            card.missing(REVENUE_NEEDS)
        cards.append(card)
        ctx.laps(dimension)
    return _result(ctx, cfg, cards, notes, windows, dates, started)


def _shared(context: Context) -> None:
    shared = context.shared
    shared["ranking"] = ranking(context)
    shared["retention"] = retention(context)
    shared["segments"] = segments(context)
    if context.inputs.cases is not None:
        shared["cases"] = classified_cases(context)


def _revenue_notes(context: Context, dates: dict) -> list[Finding]:
    w = context.windows
    if not dates.get("deals"):
        return []
    if not dates.get("amounts_known"):
        return [Finding("pr.amounts_all_null", {"deals": dates["deals"]}, "critical")]
    out = []
    if not context.shared["ranking"]["customers"]:
        out.append(
            Finding("pr.no_won_t12", {"start": str(w.t12_start), "end": str(w.end)}, "critical")
        )
    null_won = context.shared["retention"].get("null_won_t12") or 0
    if null_won:
        out.append(Finding("pr.won_amount_null", {"count": int(null_won)}, "warning"))
    return out


def _empty_deals(ctx: RunContext):
    """A typed, empty opportunity table on the source's engine (no opportunities table: the
    dimensions that do not need deals still report)."""
    from crmlens.analyses.portfolio_review.read import TABLES

    spec, names = TABLES["deals"]
    dtypes = {"text": "string", "float": "float64", "int": "int64", "bool": "bool"}
    frame = pd.DataFrame(
        {n: pd.Series([], dtype=dtypes.get(spec.column(n).type, "datetime64[ns]")) for n in names}
    )
    table, _ = normalised(ctx.data.lookup(frame), {n: spec.column(n).type for n in names})
    return table


def _findings(cards: list[Card], cfg, notes: list[Finding]) -> list[Finding]:
    out = list(notes)
    for card in cards:
        level = status(card, cfg)
        if card.answer is not None and level != "not_measurable":
            answer = card.answer
            out.append(Finding(answer.code, {**answer.params, "status": level}, SEVERITY[level]))
        else:
            out.append(
                Finding(
                    "pr.not_measurable",
                    {"dimension": card.dimension, "needs": "; ".join(card.needs) or "—"},
                    "warning",
                )
            )
        out += card.notes
    return out


def _result(ctx, cfg, cards, notes, windows, dates, started) -> AnalysisResult:
    metrics: dict[str, Metric] = {
        "window_end": Metric(str(windows.end), "text"),
        "t12_start": Metric(str(windows.t12_start), "text"),
    }
    tables: dict[str, pd.DataFrame] = {"cards": pd.DataFrame([card_row(c, cfg) for c in cards])}
    for card in cards:
        metrics.update(card.metrics)
        tables.update(card.tables)
    actions = check_action_rows(plan.action_plan(cards, cfg, ctx.as_of), "dimension", ctx.as_of)
    tables["action_plan"] = actions
    tables["plan_summary"] = plan_summary(actions)  # the totals every output quotes
    recs = plan.recommendations(cards, cfg, actions, ctx.spec.default_rules())
    for card in cards:
        metrics[f"status_{card.dimension}"] = Metric(status(card, cfg), "text")
    findings = tuple(_findings(cards, cfg, notes))
    method = {**_method(cfg, windows, dates), "plan_as_of": str(ctx.as_of)}
    row_counts = {"customers_t12": ctx and metrics.get("customers_t12", Metric(0)).value or 0}
    provenance = ctx.provenance(started, analysis=ctx.spec.name, row_counts=row_counts)
    return AnalysisResult(ctx.spec.name, metrics, tables, findings, recs, method, provenance)


def _method(cfg, windows, dates) -> dict:
    return {
        "as_of_source": cfg.as_of_source,
        "window_end": str(windows.end),
        "t12": [str(windows.t12_start), str(windows.end)],
        "p12": [str(windows.p12_start), str(windows.p12_end)],
        "first_deal_date": None if dates.get("first") is None else str(dates["first"])[:10],
        **cfg.model_dump(mode="json"),
    }
