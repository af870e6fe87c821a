"""Run analyses against a source: validate once, run every requested analysis that is not blocked.

This is the library entry point the CLI, the demo and (later) the monitor call.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass, field

from crmlens.analyses import REGISTRY, AnalysisResult
from crmlens.config import CrmlensConfig
from crmlens.errors import AnalysisError, ValidationFailed
from crmlens.schema.validate import DataQualityProfile, validate
from crmlens.sources import Dataset, open_source


@dataclass
class RunOutcome:
    profile: DataQualityProfile
    results: dict[str, AnalysisResult] = field(default_factory=dict)
    skipped: dict[str, str] = field(default_factory=dict)  # analysis → reason code
    fingerprint: str = ""


def resolve(names: list[str] | tuple[str, ...]) -> list[str]:
    if not names or list(names) == ["all"]:
        return list(REGISTRY)
    unknown = [n for n in names if n not in REGISTRY]
    if unknown:
        raise AnalysisError("error.analysis_unknown", name=", ".join(unknown), allowed=", ".join(REGISTRY))
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


def run(source, names: list[str], config: CrmlensConfig, as_of: dt.date | None = None) -> RunOutcome:
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
            outcome.skipped[name] = "error.validation_failed"
            continue
        outcome.results[name] = REGISTRY[name].run(data, config, as_of=as_of)
    return outcome
