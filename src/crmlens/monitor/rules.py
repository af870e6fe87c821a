"""Alert rules (YAML, validated) and their evaluation.

Rule types: ``threshold`` (current value vs bound), ``consecutive`` (bound broken in each of the
last N runs, this one included), ``change`` (vs the previous run, absolute and/or relative),
``stalled`` (the metric has not increased in any of the last N runs, each against the run before
it: N + 1 recorded values), ``recovery`` (a KPI over a cohort: of the entities in ``tier`` in the
latest run at least ``days`` days ago, the share whose boolean entity column ``flag`` is true now
— an entity gone from this run counts as not recovered; fires below ``min_share``) and
``entity`` (events on entities between the previous run and this one: ``entered_tier`` and
``left_tier`` of a named tier, ``improved``, and the events the analysis declares in its
``EntityModel``; fires when more than ``more_than`` entities are affected).  Every alert has a
severity, an owner role and a message in en and zh (catalog defaults, or the rule's own
``message``).
"""

from __future__ import annotations

import math
import operator
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Annotated, Any, Callable, Literal, Union

import pandas as pd
import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from crmlens.errors import ConfigError
from crmlens.analyses import REGISTRY
from crmlens.analyses.spec import TIER_EVENTS
from crmlens.monitor.changes import Changes
from crmlens.report.i18n import LANGS, fmt_value, scoped_key, t

OPS = {
    "<": operator.lt,
    "<=": operator.le,
    ">": operator.gt,
    ">=": operator.ge,
    "==": operator.eq,
    "!=": operator.ne,
}
Op = Literal["<", "<=", ">", ">=", "==", "!="]
Severity = Literal["info", "warning", "critical"]


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Message(_Strict):
    en: str
    zh: str


class _Rule(_Strict):
    id: str
    analysis: str
    severity: Severity = "warning"
    owner: str = "revops"
    message: Message | None = None


class ThresholdRule(_Rule):
    type: Literal["threshold"]
    metric: str
    op: Op
    value: float


class ConsecutiveRule(_Rule):
    type: Literal["consecutive"]
    metric: str
    op: Op
    value: float
    runs: int = Field(2, ge=2)


class ChangeRule(_Rule):
    type: Literal["change"]
    metric: str
    direction: Literal["increase", "decrease", "any"] = "any"
    absolute: float | None = Field(None, ge=0)
    relative: float | None = Field(None, ge=0)
    runs: int = Field(1, ge=1)  # changes in a row (this run's included), e.g. 2: down twice

    @model_validator(mode="after")
    def _some_bound(self) -> "ChangeRule":
        if self.absolute is None and self.relative is None:
            raise ValueError("a change rule needs `absolute` and/or `relative`")
        return self


class StalledRule(_Rule):
    type: Literal["stalled"]
    metric: str
    runs: int = Field(3, ge=1)


class RecoveryRule(_Rule):
    type: Literal["recovery"]
    tier: str
    flag: str  # a boolean column of the analysis's entities table
    days: int = Field(90, ge=1)
    min_share: float = Field(0.7, ge=0, le=1)


class EntityRule(_Rule):
    type: Literal["entity"]
    event: str  # checked against the analysis's EntityModel by check_entity_rules
    tier: str | None = None
    more_than: int = Field(0, ge=0)

    @model_validator(mode="after")
    def _tier(self) -> "EntityRule":
        if self.event in TIER_EVENTS and not self.tier:
            raise ValueError(f"event {self.event} needs `tier`")
        return self


Rule = Annotated[
    Union[ThresholdRule, ConsecutiveRule, ChangeRule, StalledRule, RecoveryRule, EntityRule],
    Field(discriminator="type"),
]


class RuleSet(_Strict):
    rules: list[Rule]

    @model_validator(mode="after")
    def _unique(self) -> "RuleSet":
        ids = [r.id for r in self.rules]
        dup = sorted({i for i in ids if ids.count(i) > 1})
        if dup:
            raise ValueError(f"duplicate rule ids: {', '.join(dup)}")
        return self


def default_rules_text() -> str:
    """The bundled defaults: the ``rules.yaml`` of every registered analysis unit, in order."""
    rules: list = []
    for spec in REGISTRY.values():
        path = spec.resource("rules.yaml")
        if path is not None:
            rules += (yaml.safe_load(path.read_text(encoding="utf-8")) or {}).get("rules") or []
    return yaml.safe_dump({"rules": rules}, allow_unicode=True, sort_keys=False)


def load_rules(path: str | Path | None) -> RuleSet:
    if path is None:
        text, name = default_rules_text(), "(default rules)"
    else:
        try:
            text, name = Path(path).read_text(encoding="utf-8"), str(path)
        except FileNotFoundError:
            raise ConfigError("error.config_missing", file=str(path)) from None
        except (OSError, UnicodeDecodeError) as exc:
            raise ConfigError("error.config_unreadable", file=str(path), reason=str(exc)) from None
    try:
        data = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        raise ConfigError(
            "error.config_yaml", file=name, reason=str(exc).replace("\n", " ")
        ) from None
    try:
        rules = RuleSet.model_validate(data)
    except ValidationError as exc:
        err = exc.errors()[0]
        raise ConfigError(
            "error.rules_invalid",
            file=name,
            key=".".join(str(x) for x in err["loc"]) or "(top level)",
            reason=err["msg"],
            count=exc.error_count(),
        ) from None
    check_entity_rules(rules, name)
    return rules


def check_entity_rules(rules: RuleSet, file: str) -> None:
    """Entity rules name a registered analysis, one of its events and, for tier events, a tier."""
    for rule in rules.rules:
        if not isinstance(rule, (EntityRule, RecoveryRule)):
            continue
        spec = REGISTRY.get(rule.analysis)
        if spec is None:
            raise ConfigError(
                "error.rule_analysis_unknown",
                file=file,
                rule=rule.id,
                analysis=rule.analysis,
                allowed=", ".join(REGISTRY),
            )
        model = spec.entity
        if isinstance(rule, RecoveryRule):
            _check_tier(rule, model, file)
            continue
        if rule.event not in model.all_events:
            raise ConfigError(
                "error.rule_event_unknown",
                file=file,
                rule=rule.id,
                event=rule.event,
                analysis=rule.analysis,
                allowed=", ".join(model.all_events),
            )
        if rule.event in TIER_EVENTS:
            _check_tier(rule, model, file)


def _check_tier(rule, model, file: str) -> None:
    if rule.tier not in model.all_tiers:
        raise ConfigError(
            "error.rule_tier_unknown",
            file=file,
            rule=rule.id,
            tier=rule.tier,
            analysis=rule.analysis,
            allowed=", ".join(model.all_tiers),
        )


@dataclass
class Alert:
    rule_id: str
    type: str
    analysis: str
    severity: str
    owner: str
    run_id: str
    as_of: str
    metric: str | None = None
    value: float | None = None
    threshold: float | None = None
    previous: float | None = None
    count: int | None = None
    entities: list[str] = field(default_factory=list)
    message: dict[str, str] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


def evaluate(
    rules: RuleSet,
    current: dict[str, dict[str, Any]],
    series: dict[tuple[str, str], list[float]],
    changes: Changes,
    run_id: str,
    as_of: str,
    units: dict[tuple[str, str], str] | None = None,
    cohort: Cohort | None = None,
) -> list[Alert]:
    """``current``: analysis → {metric: value}; ``series``: (analysis, metric) → values of earlier
    runs, oldest first (the current value is not included); ``cohort(analysis, days)``: the
    entities of the latest run at least ``days`` days ago and of this run (recovery rules)."""
    alerts: list[Alert] = []
    for rule in rules.rules:
        if rule.analysis not in current:
            continue
        base = dict(
            rule_id=rule.id,
            type=rule.type,
            analysis=rule.analysis,
            severity=rule.severity,
            owner=rule.owner,
            run_id=run_id,
            as_of=as_of,
        )
        if isinstance(rule, RecoveryRule):
            alert = _recovery(rule, cohort, base)
            alerts += [alert] if alert else []
        elif isinstance(rule, StalledRule):
            alert = _stalled(rule, current, series, base)
            alerts += [alert] if alert else []
        elif isinstance(rule, (ThresholdRule, ConsecutiveRule, ChangeRule)):
            v = _num(current[rule.analysis].get(rule.metric))
            if v is None:
                continue
            history = [
                x
                for x in (_num(h) for h in series.get((rule.analysis, rule.metric), []))
                if x is not None
            ]
            if isinstance(rule, ThresholdRule) and OPS[rule.op](v, rule.value):
                alerts.append(Alert(**base, metric=rule.metric, value=v, threshold=rule.value))
            elif isinstance(rule, ConsecutiveRule):
                window = (history + [v])[-rule.runs :]
                if len(window) == rule.runs and all(OPS[rule.op](x, rule.value) for x in window):
                    alerts.append(
                        Alert(
                            **base,
                            metric=rule.metric,
                            value=v,
                            threshold=rule.value,
                            count=rule.runs,
                        )
                    )
            elif isinstance(rule, ChangeRule) and len(history) >= rule.runs:
                values = (history + [v])[-(rule.runs + 1) :]
                if all(_changed(rule, a, b) for a, b in zip(values, values[1:])):
                    alerts.append(
                        Alert(
                            **base,
                            metric=rule.metric,
                            value=v,
                            previous=history[-1],
                            threshold=rule.relative or rule.absolute,
                        )
                    )
        elif isinstance(rule, EntityRule):
            if changes.previous_run is None:
                continue  # the first run is the baseline
            ents = changes.entities(rule.analysis, rule.event, rule.tier)
            if len(ents) > rule.more_than:
                labels = [
                    f"{n} ({i})" if n and n != i else str(i)
                    for i, n in zip(ents["entity_id"], ents["entity_name"])
                ]
                alerts.append(
                    Alert(
                        **base,
                        metric=rule.event,
                        count=len(ents),
                        threshold=rule.more_than,
                        entities=labels[:50],
                    )
                )
    for a, rule in zip(alerts, [next(r for r in rules.rules if r.id == a.rule_id) for a in alerts]):
        spec = {"ratio": "pct", "usd": "usd", "count": "int"}.get(
            "ratio" if a.type == "recovery" else (units or {}).get((a.analysis, a.metric or "")),
            "num",
        )
        a.message = {lang: _message(a, rule, lang, spec) for lang in LANGS}
    return alerts


Cohort = Callable[[str, int], "tuple[pd.DataFrame, pd.DataFrame] | None"]


def _stalled(rule: StalledRule, current, series, base: dict) -> Alert | None:
    """No increase in each of the last ``runs`` runs (N + 1 values, this run's included)."""
    v = _num(current[rule.analysis].get(rule.metric))
    earlier = [x for x in map(_num, series.get((rule.analysis, rule.metric), [])) if x is not None]
    window = [*earlier, v][-(rule.runs + 1) :] if v is not None else []
    if len(window) < rule.runs + 1 or any(b > a for a, b in zip(window, window[1:])):
        return None
    return Alert(**base, metric=rule.metric, value=v, previous=window[0], count=rule.runs)


def _recovery(rule: RecoveryRule, cohort: Cohort | None, base: dict) -> Alert | None:
    """Share of the entities in ``tier`` then whose ``flag`` is true now, against ``min_share``."""
    frames = cohort(rule.analysis, rule.days) if cohort is not None else None
    if frames is None:
        return None
    then, now = frames
    ids = then.loc[then["tier"] == rule.tier, "entity_id"].astype(str)
    if ids.empty:
        return None
    flag = now.get(rule.flag, pd.Series(False, index=now.index)).astype(object).isin([True])
    recovered = set(now["entity_id"].astype(str)[flag.to_numpy()])
    share = sum(i in recovered for i in ids) / len(ids)
    if share >= rule.min_share:
        return None
    return Alert(**base, metric=rule.flag, value=share, threshold=rule.min_share, count=len(ids))


def _changed(rule: ChangeRule, previous: float, current: float) -> bool:
    """``current`` moved from ``previous`` in the rule's direction by at least its bounds."""
    delta = current - previous
    rel = abs(delta) / abs(previous) if previous else (math.inf if delta else 0.0)
    direction_ok = rule.direction == "any" or (
        delta > 0 if rule.direction == "increase" else delta < 0
    )
    big = (rule.absolute is None or abs(delta) >= rule.absolute) and (
        rule.relative is None or rel >= rule.relative
    )
    return delta != 0 and direction_ok and big


def _num(v: Any) -> float | None:
    if v is None or isinstance(v, bool) or isinstance(v, str):
        return None
    f = float(v)
    return None if math.isnan(f) else f


def _message(a: Alert, rule, lang: str, spec: str = "num") -> str:
    def f(v):  # metric values in the metric's unit (ratios as percentages)
        return None if v is None else fmt_value(v, spec, lang)

    params = {
        "rule": a.rule_id,
        "metric": t(f"metric.{a.analysis}.{a.metric}", lang)
        if a.metric and a.type != "entity"
        else a.metric,
        "value": f(a.value),
        "threshold": f(a.threshold) if a.type != "change" else a.threshold,
        "previous": f(a.previous),
        "count": a.count,
        "runs": getattr(rule, "runs", None),
        "days": getattr(rule, "days", None),
        "tier": getattr(rule, "tier", None),
        "op": getattr(rule, "op", ""),
        "entities": ", ".join(a.entities[:5]) + (" …" if len(a.entities) > 5 else ""),
    }
    if rule.message is not None:
        return getattr(rule.message, lang).format_map(_Fmt(params, lang))
    if a.type != "entity":
        return t(f"alert.{a.type}", lang, **params)
    return t(scoped_key("alert.entity", a.analysis, a.metric, lang), lang, **params)


class _Fmt(dict):
    def __init__(self, params: dict, lang: str) -> None:
        super().__init__(
            {
                k: ("—" if v is None else fmt_value(v, "num", lang) if isinstance(v, float) else v)
                for k, v in params.items()
            }
        )

    def __missing__(self, key: str) -> str:
        return "{" + key + "}"
