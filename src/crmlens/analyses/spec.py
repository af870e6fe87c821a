"""What an analysis unit declares, and what it receives when it runs.

An analysis is a package under ``crmlens.analyses`` (or any importable package registered through
the ``crmlens.analyses`` entry-point group, or with :func:`crmlens.analyses.register`).  It builds
one :class:`AnalysisSpec`; the CLI, validation, report, Excel, summary, monitor and config schema
read specs from the registry and never name an analysis.

Views (headline metrics, tables, charts, method notes) are referenced by an import path and loaded
only when a report is written, so running an analysis never imports the charting stack.
"""

from __future__ import annotations

import datetime as dt
import importlib
import importlib.util
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path
from typing import TYPE_CHECKING, Any, Callable

from pydantic import BaseModel

from crmlens.schema.contracts import CONTRACTS, TableSpec

if TYPE_CHECKING:  # pragma: no cover
    from crmlens.analyses.base import AnalysisResult, Laps
    from crmlens.config import CrmlensConfig
    from crmlens.sources.base import Dataset


TIER_EVENTS = ("entered_tier", "left_tier")  # a rule names the tier
GENERIC_EVENTS = (*TIER_EVENTS, "improved")  # every unit with tiers has these
RULE_EVENTS = ("worsened",)  # rules may name it too; not listed in "since the last run" by default
EVENT_KINDS = ("became_zero", "became_false")


@dataclass(frozen=True)
class EntityModel:
    """The per-entity state the monitor compares run to run (the result's ``entities`` table).

    ``tiers`` are ordered from worst to best; a tier listed in ``unknown_tiers`` is a data gap:
    it ranks with the worst tier, and a move into or out of it is never an improvement.

    ``events`` maps an event name to ``(column, kind)``: ``became_zero`` (the column was > 0 in the
    previous run and is 0 now; the entity existed then) or ``became_false`` (it is false now and
    was true or unknown before, an entity new to this run included).

    ``known_flags`` are boolean columns saying a value is known: an entity whose flag went from
    true to false is never "improved" (its tier may have moved only because data went missing).

    ``since_last`` lists the events of the report's "since last run" section, in order (the tier
    events name the worst tier); None: entered and left the worst tier, improved, then every
    declared event."""

    kind: str = "account"
    tiers: tuple[str, ...] = ()
    unknown_tiers: tuple[str, ...] = ()
    events: dict[str, tuple[str, str]] = field(default_factory=dict)
    known_flags: tuple[str, ...] = ()
    since_last: tuple[str, ...] | None = None

    def __post_init__(self) -> None:
        for name, (_column, kind) in self.events.items():
            if name in (*GENERIC_EVENTS, *RULE_EVENTS) or kind not in EVENT_KINDS:
                raise ValueError(
                    f"entity event {name!r} ({kind!r}): a generic name or an unknown "
                    f"kind; kinds: {', '.join(EVENT_KINDS)}"
                )
        unknown = set(self.since_last or ()) - set(self.all_events)
        if unknown:
            raise ValueError(f"since_last names undeclared events: {', '.join(sorted(unknown))}")

    @property
    def all_events(self) -> tuple[str, ...]:
        """The events an entity rule of this analysis may name."""
        return (*GENERIC_EVENTS, *RULE_EVENTS, *self.events)

    @property
    def all_tiers(self) -> tuple[str, ...]:
        return (*self.tiers, *self.unknown_tiers)

    @property
    def ranks(self) -> dict[str, int]:
        """Tier → rank, higher is better; data-gap tiers rank with the worst."""
        return {**dict.fromkeys(self.unknown_tiers, 0), **{t: i for i, t in enumerate(self.tiers)}}

    def rank(self, tier: Any) -> float | None:
        """Higher is better; unknown tiers rank with the worst; None for a missing entity."""
        rank = self.ranks.get(tier) if isinstance(tier, str) else None
        return None if rank is None else float(rank)

    def since_last_events(self) -> tuple[tuple[str, str | None], ...]:
        """(event, tier) pairs of the "since last run" section; tier events name the worst tier."""
        events = self.since_last
        if events is None:
            events = (*GENERIC_EVENTS, *self.events) if self.tiers else tuple(self.events)
        worst = self.tiers[0] if self.tiers else None
        return tuple(
            (e, worst if e in TIER_EVENTS else None)
            for e in events
            if worst is not None or e not in GENERIC_EVENTS
        )


@dataclass(frozen=True)
class OverrideField:
    """A result field people may override (``crmlens override``; the workbook review sheet).

    ``kind``: ``choice`` (one of ``choices(config)``), ``number`` (between ``minimum`` and
    ``maximum``) or ``date`` (ISO ``YYYY-MM-DD``).  Values are stored as text."""

    name: str
    kind: str = "choice"
    choices: Callable[["CrmlensConfig"], tuple[str, ...]] | None = None
    minimum: float | None = None
    maximum: float | None = None


@dataclass(frozen=True, eq=False)
class AnalysisSpec:
    """Everything the generic layers need to know about one analysis."""

    name: str
    needs: dict[str, tuple[str, ...]]  # canonical table → the columns the analysis requires
    compute: Callable[["RunContext"], "AnalysisResult"]
    foreign_keys: dict[str, tuple[str, ...]] = field(
        default_factory=dict
    )  # table → FK columns checked
    uses: dict[str, tuple[str, ...]] = field(
        default_factory=dict
    )  # optional columns read when present
    checks: Callable[..., None] | None = None  # checks(data, config, add): cross-table validation
    contracts: tuple[TableSpec, ...] = ()  # tables this unit adds to the canonical model
    config_model: type[BaseModel] | None = None
    entity: EntityModel = EntityModel()
    views: str | None = None  # "package.module" exposing VIEWS (a report.views.AnalysisViews)
    package: str | None = None  # package holding messages/<lang>.yaml and rules.yaml
    order: int = 100  # position in reports and in `crmlens analyses`
    # with no analysis named, the analysis applies when ANY of these tables is in the source (its
    # other missing tables then block it); default: any of its required tables
    applies_with: tuple[str, ...] = ()

    benchmark: str | None = None  # "package.module" exposing a pandas baseline for `crmlens bench`
    overridable: tuple[OverrideField, ...] = ()  # fields people may override (after the model)

    def override_field(self, name: str) -> OverrideField | None:
        return next((f for f in self.overridable if f.name == name), None)

    @property
    def requires(self) -> tuple[TableSpec, ...]:
        return tuple(CONTRACTS[t] for t in self.needs)

    def run(
        self, data: "Dataset", config: "CrmlensConfig", *, as_of: dt.date | None = None
    ) -> "AnalysisResult":
        """Run on an opened dataset (the library entry point; the runner validates first)."""
        from crmlens.analyses.base import Laps

        ctx = RunContext(data, config, as_of or dt.date.today(), Laps(f"{self.name}."), self)
        return self.compute(ctx)

    def preload(self) -> None:
        """Import the unit's ``analysis`` module (what ``compute`` imports, with its heavy
        libraries).  ``run`` does this for every analysis before the first one computes: an
        import beside an earlier analysis' export threads took twice as long (1M accounts:
        investment mismatch's scipy import 1.2 s there, 0.6 s on its own)."""
        module = f"{self.package}.analysis" if self.package else None
        if module and importlib.util.find_spec(module) is not None:
            importlib.import_module(module)

    def load_views(self) -> Any:
        if self.views is None:
            return None
        return importlib.import_module(self.views).VIEWS

    def resource(self, *parts: str) -> Path | None:
        """A file shipped with the unit (messages, rules), or None."""
        if self.package is None:
            return None
        ref = resources.files(self.package).joinpath(*parts)
        return Path(str(ref)) if ref.is_file() else None

    def default_rules(self) -> dict[str, dict[str, Any]]:
        """The unit's default alert rules (``rules.yaml``) by id, as written (the monitor
        validates them; a report and a recommendation quote their thresholds)."""
        import yaml

        path = self.resource("rules.yaml")
        if path is None:
            return {}
        rules = (yaml.safe_load(path.read_text(encoding="utf-8")) or {}).get("rules", [])
        return {str(rule["id"]): rule for rule in rules}

    def messages(self, lang: str) -> dict[str, str]:
        import yaml

        path = self.resource("messages", f"{lang}.yaml")
        if path is None:
            return {}
        data = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
        return {str(k): str(v) for k, v in data.items()}


@dataclass
class RunContext:
    """What a unit's ``run`` receives: the data, its own config section, the whole config (for
    shared dictionaries such as title rules), the as-of date and a stage timer."""

    data: "Dataset"
    config: "CrmlensConfig"
    as_of: dt.date
    laps: "Laps"
    spec: AnalysisSpec

    @property
    def section(self) -> Any:
        return self.config.section(self.spec.name)

    def overrides(self, field: str) -> Any:
        """The human overrides of ``field`` of this analysis in force at the as-of date (an
        :class:`crmlens.overrides.apply.Overrides`), read from crmlens' override store."""
        from crmlens.overrides.apply import overrides_for  # lazy: the store is only read here

        return overrides_for(self.config, self.spec, field, self.as_of)

    def provenance(self, started: float, **extra: Any) -> dict[str, Any]:
        import time

        from crmlens import __version__

        return {
            "config_hash": self.config.fingerprint(),
            "engine": self.data.kind,
            "source": self.data.location,
            "version": __version__,
            "as_of": self.as_of.isoformat(),
            "seconds": round(time.perf_counter() - started, 3),
            "stage_seconds": dict(self.laps.seconds),
            **extra,
        }
