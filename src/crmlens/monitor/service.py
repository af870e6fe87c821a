"""The monitor job: run the analyses, compare with history, evaluate the alert rules, record the run
and queue its alerts (one transaction), deliver the outbox, and write the report with "since last
run" and alert sections.

Comparisons use only strictly earlier as-of dates.  A run whose analyses were blocked by data
problems is not recorded, raises no alert and leaves the report folder as it was; the caller
fails naming the problems (``MonitorOutcome.blocked``).  An analysis recorded by the previous run
that cannot run now counts as blocked, even when its tables vanished altogether.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from pathlib import Path

from crmlens.config import CrmlensConfig
from crmlens.monitor.changes import Changes, compute_changes, entity_model
from crmlens.monitor.history import HistoryStore, Run, new_run_id
from crmlens.monitor.notify import Delivery, channel_label, deliver_outbox
from crmlens.monitor.rules import Alert, RuleSet, evaluate, load_rules
from crmlens.runner import RunOutcome
from crmlens.sources.url import display_url
from crmlens.runner import run as run_analyses
from crmlens.schema.validate import Issue


@dataclass
class MonitorOutcome:
    outcome: RunOutcome
    run: Run | None  # None when the run was blocked (not recorded)
    alerts: list[Alert] = field(default_factory=list)
    deliveries: list[Delivery] = field(default_factory=list)
    report: Path | None = None
    blocked: dict[str, list[Issue]] = field(default_factory=dict)  # analysis → blocking problems

    @property
    def critical(self) -> bool:
        return any(a.severity == "critical" for a in self.alerts)


def since_last(changes: Changes) -> dict | None:
    """Plain data for the report's "since last run" section."""
    if changes.previous_run is None:
        return None
    lists, tiers = {}, {}
    for analysis in changes.transitions:
        for event, tier in entity_model(analysis).since_last_events():
            ents = changes.entities(analysis, event, tier)
            if len(ents):
                lists[f"{analysis}:{event}"] = ents
                tiers[f"{analysis}:{event}"] = tier
    return {
        "previous_run": changes.previous_run,
        "previous_as_of": changes.previous_as_of,
        "metric_deltas": changes.metric_deltas,
        "lists": lists,
        "tiers": tiers,
    }


def history_series(
    store: HistoryStore, results, as_of: dt.date
) -> dict[tuple[str, str], list[float]]:
    """(analysis, metric) → one value per earlier date (its latest run), oldest first."""
    runs = store.previous_runs(as_of)
    if runs.empty:
        return {}
    keep = set(runs["run_id"])
    out: dict[tuple[str, str], list[float]] = {}
    with store.connect(read_only=True) as con:
        df = con.execute(
            "SELECT m.run_id, m.analysis, m.metric, m.value"
            " FROM metrics m JOIN runs r USING (run_id) "
            "ORDER BY r.as_of, r.recorded_at, r.run_id"
        ).df()
    df = df[df["run_id"].isin(keep)]
    for (a, m), g in df.groupby(["analysis", "metric"], sort=False):
        out[(a, m)] = g["value"].tolist()
    return out


def cohort_of(store: HistoryStore, results, as_of: dt.date):
    """For recovery rules: (entities of the latest run at least ``days`` days before ``as_of``,
    entities of this run), or None when there is no such run."""

    def cohort(analysis: str, days: int):
        now = results[analysis].tables.get("entities") if analysis in results else None
        runs = store.previous_runs(as_of - dt.timedelta(days=days - 1))
        if now is None or runs.empty:
            return None
        return store.entities_of(str(runs.iloc[-1]["run_id"]), analysis), now

    return cohort


def blocked_analyses(
    outcome: RunOutcome, store: HistoryStore, as_of: dt.date
) -> dict[str, list[Issue]]:
    """Blocked analyses, plus skipped ones the previous run recorded (their data vanished)."""
    blocked = outcome.blocked
    previous = store.previous_runs(as_of)
    if not previous.empty:
        recorded = set(str(previous.iloc[-1]["analyses"]).split(","))
        blocked |= {n: outcome.problems.get(n, []) for n in outcome.skipped if n in recorded}
    return blocked


def monitor(
    source: str,
    config: CrmlensConfig,
    *,
    analyses: list[str] | None = None,
    rules_path: str | Path | None = None,
    history: str | Path | None = None,
    as_of: dt.date | None = None,
    out_dir: Path | None = None,
    lang: str = "en",
    png: bool = True,
) -> MonitorOutcome:
    from crmlens.report.writer import write_report

    as_of = as_of or dt.date.today()
    rules = load_rules(rules_path)  # validate before any work
    outcome = run_analyses(source, list(analyses or []), config, as_of)
    rules = RuleSet(rules=[r for r in rules.rules if r.analysis in outcome.results])
    store = HistoryStore(history or config.monitor.history, config.monitor.lock_timeout)
    hooks, log = list(config.monitor.webhooks), Path(config.monitor.alert_log)
    blocked = blocked_analyses(outcome, store, as_of)
    if blocked:  # never recorded, never compared against; earlier undelivered alerts still go out
        retried = deliver_outbox(store, hooks, log, lang)
        return MonitorOutcome(outcome, None, deliveries=retried, blocked=blocked)
    changes = compute_changes(outcome.results, store, as_of)
    series = history_series(store, outcome.results, as_of)
    run_id = new_run_id()
    current = {
        name: {k: m.value for k, m in r.metrics.items()} for name, r in outcome.results.items()
    }
    units = {(name, k): m.unit for name, r in outcome.results.items() for k, m in r.metrics.items()}
    cohort = cohort_of(store, outcome.results, as_of)
    alerts = evaluate(rules, current, series, changes, run_id, as_of.isoformat(), units, cohort)
    run = store.record(
        outcome.results,
        as_of=as_of,
        source=display_url(str(source)),
        data_fingerprint=outcome.fingerprint,
        config_hash=config.fingerprint(),
        run_id=run_id,
        alerts=[a.to_dict() for a in alerts],
        channels=[channel_label(h.url) for h in hooks],
    )
    deliveries = deliver_outbox(store, hooks, log, lang, current_run=run_id)
    result = MonitorOutcome(outcome, run, alerts, deliveries)
    if out_dir is not None:
        result.report = write_report(
            outcome.results,
            out_dir,
            lang=lang,
            top_n=config.report.top_n,
            profile=outcome.profile.to_dict(),
            png=png,
            excel_max_rows=config.report.excel_max_rows,
            since_last=since_last(changes),
            alerts=[a.to_dict() for a in alerts],
        )
    return result
