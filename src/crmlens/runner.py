"""Run analyses against a source: validate once, run every requested analysis that is not blocked.

This is the library entry point the CLI, the demo and the monitor call.

A requested analysis with blocking data problems is *blocked*: it is skipped, its problems are kept
in ``RunOutcome.problems`` and the caller fails (exit 1) after doing what could run.  When no
analysis is named (all registered ones), an analysis with a required table absent from the source
is *not applicable* rather than blocked (a source without campaigns simply has no campaign
analysis) and is not validated; when none is applicable, all are validated and fail as blocked.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field

from crmlens.analyses import REGISTRY, AnalysisResult
from crmlens.config import CrmlensConfig
from crmlens.errors import AnalysisError, ValidationFailed
from crmlens.progress import Stopwatch
from crmlens.schema.validate import DataQualityProfile, Issue, validate
from crmlens.sources import Dataset, open_source

BLOCKED = "error.validation_failed"
NOT_APPLICABLE = "run.not_applicable"


@dataclass
class RunOutcome:
    profile: DataQualityProfile
    results: dict[str, AnalysisResult] = field(default_factory=dict)
    skipped: dict[str, str] = field(default_factory=dict)  # analysis → reason code
    fingerprint: str = ""
    problems: dict[str, list[Issue]] = field(default_factory=dict)  # skipped analysis → its issues

    @property
    def blocked(self) -> dict[str, list[Issue]]:
        """Skipped analyses that were requested (or could have run) → their blocking problems."""
        return {
            name: self.problems.get(name, [])
            for name, code in self.skipped.items()
            if code == BLOCKED
        }


def resolve(names: list[str] | tuple[str, ...]) -> list[str]:
    if not names or list(names) == ["all"]:
        return list(REGISTRY)
    unknown = [n for n in names if n not in REGISTRY]
    if unknown:
        raise AnalysisError(
            "error.analysis_unknown", name=", ".join(unknown), allowed=", ".join(REGISTRY)
        )
    return list(dict.fromkeys(names))


def applicable(data: Dataset, names: list[str]) -> tuple[list[str], dict[str, list[str]]]:
    """The analyses that apply to ``data`` (one of their ``applies_with`` tables is present —
    their other missing tables then block them), and the others → their absent tables.  When
    none applies, every analysis is returned (so validation says why)."""
    absent: dict[str, list[str]] = {}
    for name in names:
        spec = REGISTRY[name]
        signature = spec.applies_with or tuple(t.name for t in spec.requires)
        if not any(data.has_table(t) for t in signature):
            absent[name] = [t.name for t in spec.requires if not data.has_table(t.name)]
    keep = [name for name in names if name not in absent]
    return (keep, absent) if keep else (list(names), {})


def open_dataset(source, config: CrmlensConfig):
    """Open ``source`` on the configured engine (DuckDB by default, Spark with engine.name: spark).
    ``source`` is a location (path or URL), an opened :class:`Dataset`, an Ibis backend, or a
    mapping of canonical table names to pandas/Arrow frames (the Python API)."""
    if isinstance(source, Dataset):
        return source
    if isinstance(source, Mapping):
        from crmlens.sources.memory import open_frames

        return open_frames(source, config.source)
    if hasattr(source, "list_tables") and hasattr(source, "table"):
        from crmlens.sources.memory import open_backend

        return open_backend(source, config.source)
    if config.engine.name == "spark":
        from crmlens.sources.spark import open_spark

        return open_spark(source, config.source, config.engine)
    return open_source(source, config.source, config.engine.duckdb_memory_limit)


def issues_blocking(profile: DataQualityProfile, name: str) -> list[Issue]:
    """The blocking issues of ``profile`` that stop analysis ``name``."""
    return [
        issue
        for issue in profile.blocking
        if name in DataQualityProfile(profile.analyses, [issue]).blocked_analyses()
    ]


def run(
    source,
    names: list[str],
    config: CrmlensConfig,
    as_of: dt.date | None = None,
    on_result: Callable[[AnalysisResult], None] | None = None,
) -> RunOutcome:
    named = bool(names) and list(names) != ["all"]
    names = resolve(names)
    watch = Stopwatch()
    data = open_dataset(source, config)
    absent: dict[str, list[str]] = {}
    if not named:
        names, absent = applicable(data, names)
    profile = validate(data, set(names))
    watch.lap("validate")
    blocked = profile.blocked_analyses()
    if blocked >= set(names):
        raise ValidationFailed(profile)
    tables = sorted({spec.name for n in names if n not in blocked for spec in REGISTRY[n].requires})
    outcome = RunOutcome(profile, fingerprint=data.fingerprint(tables))
    watch.lap("fingerprint")
    for name, missing in absent.items():
        outcome.skipped[name] = NOT_APPLICABLE
        outcome.problems[name] = [Issue("dq.table_missing", "blocking", t) for t in missing]
    for name in names:
        if name not in blocked:
            REGISTRY[name].preload()  # every import before the first result's report threads
    watch.lap("imports")
    for name in names:
        if name in blocked:
            outcome.skipped[name] = BLOCKED
            outcome.problems[name] = issues_blocking(profile, name)
            continue
        outcome.results[name] = REGISTRY[name].run(data, config, as_of=as_of)
        if on_result is not None:  # e.g. start drawing its charts while the next one computes
            on_result(outcome.results[name])
    return outcome
