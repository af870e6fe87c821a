"""Run analyses against a source: validate once, run every requested analysis that is not blocked.

This is the library entry point the CLI, the demo and the monitor call.

A requested analysis with blocking data problems is *blocked*: it is skipped, its problems are kept
in ``RunOutcome.problems`` and the caller fails (exit 1) after doing what could run.  When no
analysis is named (all registered ones), an analysis whose tables are all absent from the source
is *not applicable* rather than blocked: a source with only contacts runs contact coverage.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass, field

from crmlens.analyses import REGISTRY, AnalysisResult
from crmlens.config import CrmlensConfig
from crmlens.errors import AnalysisError, ValidationFailed
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


def applicable(data: Dataset, names: list[str]) -> list[str]:
    """The analyses of ``names`` with at least one of their required tables in ``data``."""
    return [n for n in names if any(data.has_table(s.name) for s in REGISTRY[n].requires)]


def issues_blocking(profile: DataQualityProfile, name: str) -> list[Issue]:
    """The blocking issues of ``profile`` that stop analysis ``name``."""
    return [
        issue
        for issue in profile.blocking
        if name in DataQualityProfile(profile.analyses, [issue]).blocked_analyses()
    ]


def run(
    source, names: list[str], config: CrmlensConfig, as_of: dt.date | None = None
) -> RunOutcome:
    named = bool(names) and list(names) != ["all"]
    names = resolve(names)
    data = open_dataset(source, config)
    profile = validate(data, set(names))
    blocked = profile.blocked_analyses()
    if blocked >= set(names):
        raise ValidationFailed(profile)
    tables = sorted({spec.name for n in names if n not in blocked for spec in REGISTRY[n].requires})
    outcome = RunOutcome(profile, fingerprint=data.fingerprint(tables))
    for name in names:
        if name in blocked:
            absent = not applicable(data, [name])
            outcome.skipped[name] = NOT_APPLICABLE if absent and not named else BLOCKED
            outcome.problems[name] = issues_blocking(profile, name)
            continue
        outcome.results[name] = REGISTRY[name].run(data, config, as_of=as_of)
    return outcome
