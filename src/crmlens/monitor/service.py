"""The monitor job: run the analyses, compare with history, record the run, evaluate the alert
rules, notify, and write the report with "since last run" and alert sections."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from pathlib import Path

from crmlens.config import CrmlensConfig
from crmlens.monitor.changes import Changes, compute_changes
from crmlens.monitor.history import HistoryStore, Run
from crmlens.monitor.notify import Delivery, notify
from crmlens.monitor.rules import Alert, RuleSet, evaluate, load_rules
from crmlens.report.i18n import t
from crmlens.runner import RunOutcome
from crmlens.runner import run as run_analyses

SINCE_LAST_EVENTS = (("entered_tier", "high"), ("left_tier", "high"), ("new_zero_contacts", None), ("improved", None),
                     ("lost_executives", None), ("new_unknown_employees", None))


@dataclass
class MonitorOutcome:
    outcome: RunOutcome
    run: Run
    alerts: list[Alert] = field(default_factory=list)
    deliveries: list[Delivery] = field(default_factory=list)
    report: Path | None = None

    @property
    def critical(self) -> bool:
        return any(a.severity == "critical" for a in self.alerts)


def since_last(changes: Changes) -> dict | None:
    """Plain data for the report's "since last run" section."""
    if changes.previous_run is None:
        return None
    lists = {}
    for analysis in changes.transitions:
        for event, tier in SINCE_LAST_EVENTS:
            ents = changes.entities(analysis, event, tier)
            if len(ents):
                lists[f"{analysis}:{event}"] = ents
    return {"previous_run": changes.previous_run, "previous_as_of": changes.previous_as_of,
            "metric_deltas": changes.metric_deltas, "lists": lists}


def history_series(store: HistoryStore, results, as_of: dt.date) -> dict[tuple[str, str], list[float]]:
    runs = store.previous_runs(as_of)
    if runs.empty:
        return {}
    keep = set(runs["run_id"])
    out: dict[tuple[str, str], list[float]] = {}
    with store.connect(read_only=True) as con:
        df = con.execute("SELECT m.run_id, m.analysis, m.metric, m.value FROM metrics m JOIN runs r USING (run_id) "
                         "ORDER BY r.as_of, r.recorded_at, r.run_id").df()
    df = df[df["run_id"].isin(keep)]
    for (a, m), g in df.groupby(["analysis", "metric"], sort=False):
        out[(a, m)] = g["value"].tolist()
    return out


def monitor(source: str, config: CrmlensConfig, *, analyses: list[str] | None = None, rules_path: str | Path | None = None, history: str | Path | None = None,
            as_of: dt.date | None = None, out_dir: Path | None = None, lang: str = "en", png: bool = True) -> MonitorOutcome:
    from crmlens.report.writer import write_report

    as_of = as_of or dt.date.today()
    rules = load_rules(rules_path)  # validate before any work
    outcome = run_analyses(source, list(analyses or []), config, as_of)
    rules = RuleSet(rules=[r for r in rules.rules if r.analysis in outcome.results])
    store = HistoryStore(history or config.monitor.history, config.monitor.lock_timeout)
    changes = compute_changes(outcome.results, store, as_of)
    series = history_series(store, outcome.results, as_of)
    run = store.record(outcome.results, as_of=as_of, source=source, data_fingerprint=outcome.fingerprint, config_hash=config.fingerprint())
    current = {name: {k: m.value for k, m in r.metrics.items()} for name, r in outcome.results.items()}
    units = {(name, k): m.unit for name, r in outcome.results.items() for k, m in r.metrics.items()}
    alerts = evaluate(rules, current, series, changes, run.run_id, as_of.isoformat(), units)
    title = t("monitor.title", lang, as_of=as_of.isoformat(), count=len(alerts))
    deliveries = notify(alerts, list(config.monitor.webhooks), Path(config.monitor.alert_log), lang, title)
    result = MonitorOutcome(outcome, run, alerts, deliveries)
    if out_dir is not None:
        result.report = write_report(outcome.results, out_dir, lang=lang, top_n=config.report.top_n, profile=outcome.profile.to_dict(),
                                     png=png, excel_max_rows=config.report.excel_max_rows, since_last=since_last(changes),
                                     alerts=[a.to_dict() for a in alerts])
    return result
