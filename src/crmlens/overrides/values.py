"""Override values: checked against the field an analysis declares, stored as text."""

from __future__ import annotations

import datetime as dt
import math
from typing import Any

from crmlens.analyses import REGISTRY, AnalysisSpec
from crmlens.analyses.spec import OverrideField
from crmlens.config import CrmlensConfig
from crmlens.errors import CrmlensError


class OverrideError(CrmlensError):
    code = "error.override"


def field_of(analysis: str, field: str) -> tuple[AnalysisSpec, OverrideField]:
    """The registered analysis and its overridable ``field``, or a usage error naming both."""
    spec = REGISTRY.get(analysis)
    if spec is None:
        raise OverrideError(
            "error.analysis_unknown", name=analysis, allowed=", ".join(REGISTRY) or "-"
        )
    found = spec.override_field(field)
    if found is None:
        allowed = ", ".join(f.name for f in spec.overridable) or "-"
        raise OverrideError("error.override_field", analysis=analysis, field=field, allowed=allowed)
    return spec, found


def allowed_values(field: OverrideField, config: CrmlensConfig) -> tuple[str, ...]:
    return tuple(field.choices(config)) if field.choices is not None else ()


def normalise(field: OverrideField, raw: Any, config: CrmlensConfig) -> str | None:
    """The stored text of ``raw`` for ``field``, or None when it is not a valid value."""
    if raw is None or (isinstance(raw, float) and math.isnan(raw)):
        return None
    if field.kind == "choice":
        text = str(raw).strip().casefold()
        return _choices(field, config).get(text)
    if field.kind == "number":
        try:
            number = float(str(raw).strip().rstrip("%")) if isinstance(raw, str) else float(raw)
        except ValueError:
            return None
        low = -math.inf if field.minimum is None else field.minimum
        high = math.inf if field.maximum is None else field.maximum
        return repr(number) if math.isfinite(number) and low <= number <= high else None
    day = parse_date(raw)
    return day.isoformat() if day is not None else None


def _choices(field: OverrideField, config: CrmlensConfig) -> dict[str, str]:
    """Each allowed value by its name and its label in every report language (a zh workbook
    may be filled in with the Chinese label), compared without case."""
    from crmlens.report.i18n import LANGS, tr_value

    out = {}
    for choice in allowed_values(field, config):
        for label in (choice, *(tr_value(choice, lang) for lang in LANGS)):
            out.setdefault(label.strip().casefold(), choice)
    return out


def parse_date(raw: Any) -> dt.date | None:
    """A date from a workbook cell or CLI text (ISO ``YYYY-MM-DD`` only); None when it is not."""
    if isinstance(raw, dt.datetime):
        return raw.date()
    if isinstance(raw, dt.date):
        return raw
    try:
        return dt.date.fromisoformat(str(raw).strip())
    except ValueError:
        return None


def expiry(raw: Any, today: dt.date) -> dt.date | None:
    """An expiry date (blank: none); a date that is not one or already past is an error."""
    if raw is None or (isinstance(raw, str) and not raw.strip()):
        return None
    day = parse_date(raw)
    if day is None:
        raise OverrideError("error.override_expiry", value=str(raw))
    if day < today:
        raise OverrideError("error.override_expiry_past", value=day.isoformat())
    return day


def checked_reason(reason: Any) -> str:
    text = "" if reason is None else str(reason).strip()
    if not text:
        raise OverrideError("error.override_reason")
    return text
