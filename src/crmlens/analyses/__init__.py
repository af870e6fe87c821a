"""Analyses, registered by name.  ``REGISTRY`` (name → :class:`AnalysisSpec`) is the one place the
CLI, validation, reports, the monitor and the config schema look analyses up.

Built-in units are the sub-packages of this package that define ``SPEC``; other packages register
through the ``crmlens.analyses`` entry-point group (value: ``package:SPEC``), by being named in
the ``CRMLENS_ANALYSES`` environment variable (comma-separated modules that define ``SPEC``), or
by calling :func:`register` themselves.  Registration is cheap: a unit's heavy modules load when
it runs.
"""

from __future__ import annotations

import importlib
import os
import pkgutil
from importlib.metadata import entry_points

from crmlens.analyses.base import AnalysisResult, Finding, Metric, Recommendation  # noqa: F401
from crmlens.analyses.spec import AnalysisSpec, EntityModel, RunContext  # noqa: F401
from crmlens.schema.contracts import (
    CONTRACTS,
    CORE_TABLES,
    add_contract,
    declare_needs,
    forget_needs,
)

REGISTRY: dict[str, AnalysisSpec] = {}


def register(spec: AnalysisSpec) -> AnalysisSpec:
    """Add (or replace) an analysis; keeps the registry ordered by ``spec.order`` then name."""
    if spec.name in REGISTRY:  # replacing: nothing of the old spec stays behind
        unregister(spec.name)
    for contract in spec.contracts:
        add_contract(contract)
    declare_needs(spec.name, spec.needs, spec.foreign_keys, spec.uses, spec.checks)
    REGISTRY[spec.name] = spec
    ordered = sorted(REGISTRY.values(), key=lambda s: (s.order, s.name))
    REGISTRY.clear()
    REGISTRY.update((s.name, s) for s in ordered)
    return spec


def unregister(name: str) -> None:
    """Remove an analysis and the table contracts it brought (a canonical table, or one another
    registered analysis also brings, stays)."""
    spec = REGISTRY.pop(name, None)
    forget_needs(name)
    still_used = {c.name for other in REGISTRY.values() for c in other.contracts}
    for contract in spec.contracts if spec else ():
        if contract.name not in CORE_TABLES | still_used:
            CONTRACTS.pop(contract.name, None)


def _load_builtin() -> None:
    for info in pkgutil.iter_modules(__path__):
        if info.ispkg:
            module = importlib.import_module(f"{__name__}.{info.name}")
            if isinstance(getattr(module, "SPEC", None), AnalysisSpec):
                register(module.SPEC)
    for ep in entry_points(group="crmlens.analyses"):
        spec = ep.load()
        if isinstance(spec, AnalysisSpec):
            register(spec)
    for name in filter(
        None, (m.strip() for m in os.environ.get("CRMLENS_ANALYSES", "").split(","))
    ):
        spec = getattr(importlib.import_module(name), "SPEC", None)
        if isinstance(spec, AnalysisSpec):
            register(spec)


_load_builtin()
