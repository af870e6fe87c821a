"""Message catalogs (zh, en) and locale-aware number formatting.

Catalogs are flat YAML files (``catalogs/<lang>.yaml``) keyed by reason/message code.  Templates
use ``str.format`` fields with crmlens format specs:

``{x:int}`` 1,234 · ``{x:pct}`` 12.3% · ``{x:usd}`` $1,234,567 (zh: 1,234,567 美元) ·
``{x:num}`` 1,234.57 · ``{x:num1}`` one decimal · ``{x:list}`` joined list · ``{x:t}`` the value
translated through the catalog key ``value.<x>`` when present · ``{x:p}`` a p-value (< 0.001) ·
``{x:pv}`` a p-value with its operator (p < 0.001, p = 0.218) · ``{x:col}`` a column name shown
with its ``col.<x>`` label · ``{x:feature}`` a model feature: a column, or a one-hot
``<column>_<value>`` shown as "label: value".  A number that rounds to zero never prints "-0.00".
"""

from __future__ import annotations

import math
import string
from functools import lru_cache
from importlib import resources
from typing import Any

import yaml

LANGS = ("en", "zh")


def catalog(lang: str) -> dict[str, str]:
    """The core catalog merged with the messages of every registered analysis unit."""
    if lang not in LANGS:
        raise ValueError(f"unsupported language {lang!r}; allowed: {', '.join(LANGS)}")
    from crmlens.analyses import REGISTRY

    return _merged(lang, tuple(REGISTRY.values()))[0]


def _owner(key: str, lang: str) -> str | None:
    """The analysis unit whose messages define ``key`` (None for the core catalog)."""
    from crmlens.analyses import REGISTRY

    owner = _merged(lang, tuple(REGISTRY.values()))[1].get(key)
    return None if owner == "core" else owner


@lru_cache(maxsize=None)
def core_catalog(lang: str) -> dict[str, str]:
    text = (
        resources.files("crmlens.report")
        .joinpath("catalogs", f"{lang}.yaml")
        .read_text(encoding="utf-8")
    )
    data = yaml.safe_load(text)
    return {str(k): str(v) for k, v in data.items()}


@lru_cache(maxsize=16)
def _merged(lang: str, specs: tuple) -> tuple[dict[str, str], dict[str, str]]:
    merged = dict(core_catalog(lang))
    owner = dict.fromkeys(merged, "core")
    for spec in specs:
        for key, text in spec.messages(lang).items():
            if key.startswith("col."):  # column labels are a unit's own: kept scoped as well
                merged[f"col.{spec.name}.{key[4:]}"] = text
                if key in merged and merged[key] != text:
                    continue  # another unit's wording stays the shared one
            if key in merged and merged[key] != text:
                raise ValueError(
                    f"message {key!r} of analysis {spec.name} is already defined by {owner[key]}"
                )
            merged[key], owner[key] = text, spec.name
    return merged, owner


class _Formatter(string.Formatter):
    def __init__(self, lang: str, scope: str | None = None) -> None:
        self.lang, self.scope = lang, scope

    def format_field(self, value: Any, spec: str) -> str:
        return fmt_value(value, spec, self.lang, self.scope)


def fmt_value(value: Any, spec: str, lang: str, scope: str | None = None) -> str:
    """``value`` in format ``spec``; ``t``/``list`` values are translated through the ``scope``
    unit's own ``value.<scope>.<value>`` first (units never clash on common words)."""
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "—"
    if spec == "int":
        return f"{int(round(float(value))):,}"
    if spec == "pct":
        return _unsigned_zero(f"{float(value) * 100:.1f}%")
    if spec == "usd":
        v = float(value)
        return f"{v:,.0f} 美元" if lang == "zh" else f"${v:,.0f}"
    if spec == "num":
        return _unsigned_zero(f"{float(value):,.2f}")
    if spec == "num1":
        return _unsigned_zero(f"{float(value):,.1f}")
    if spec == "list":
        items = list(value) if isinstance(value, (list, tuple)) else [value]
        joined = ("、" if lang == "zh" else ", ").join(tr_value(str(i), lang, scope) for i in items)
        return joined or "—"
    if spec == "t":
        return tr_value(str(value), lang, scope)
    if spec == "p":  # p-values: tiny ones are not "0.00"
        v = float(value)
        return "< 0.001" if v < 0.001 else f"{v:.3f}"
    if spec == "pv":  # p-values with their operator: "p < 0.001", never "p = < 0.001"
        v = float(value)
        return "p < 0.001" if v < 0.001 else f"p = {v:.3f}"
    if spec == "col":  # a column/feature name, shown with its catalog label when there is one
        return catalog(lang).get(f"col.{value}", str(value))
    if spec == "cols":  # several column names, each with its catalog label
        items = list(value) if isinstance(value, (list, tuple)) else [value]
        return ("、" if lang == "zh" else ", ").join(fmt_value(i, "col", lang) for i in items)
    if spec == "feature":
        return feature_label(str(value), lang)
    if isinstance(value, float):
        return _unsigned_zero(f"{value:,.2f}")
    if isinstance(value, int) and not isinstance(value, bool):
        return f"{value:,}"
    return format(value, spec)


def _unsigned_zero(text: str) -> str:
    """ "-0.00" → "0.00": a value that rounds to zero has no sign."""
    if text.startswith("-") and not any(ch in "123456789" for ch in text):
        return text[1:]
    return text


def feature_label(feature: str, lang: str) -> str:
    """A model feature in words: ``col.<feature>`` when the catalog has it, else a one-hot
    ``<column>_<value>`` as "column label: value" (the longest column the catalog knows)."""
    cat = catalog(lang)
    if f"col.{feature}" in cat:
        return cat[f"col.{feature}"]
    parts = feature.split("_")
    for cut in range(len(parts) - 1, 0, -1):
        column, value = "_".join(parts[:cut]), "_".join(parts[cut:])
        if f"col.{column}" in cat:
            sep = "：" if lang == "zh" else ": "
            return cat[f"col.{column}"] + sep + tr_value(value, lang)
    return feature


def tr_value(value: str, lang: str, scope: str | None = None) -> str:
    """Translate a data value (department, tier, size class…) when the catalog knows it: a unit's
    own ``value.<scope>.<value>`` first, then the shared ``value.<value>``."""
    cat = catalog(lang)
    if scope is not None and f"value.{scope}.{value}" in cat:
        return cat[f"value.{scope}.{value}"]
    return cat.get(f"value.{value}", value)


def tr_codes(text: str, lang: str) -> str:
    """Translate a '; '-joined list whose items may be catalog keys (e.g. reason codes)."""
    if not text:
        return text
    cat = catalog(lang)
    sep = "；" if lang == "zh" else "; "
    return sep.join(cat.get(part, cat.get(f"value.{part}", part)) for part in str(text).split("; "))


def t(key: str, lang: str, /, **params: Any) -> str:
    cat = catalog(lang)
    if key not in cat:
        raise KeyError(f"message {key!r} missing from the {lang} catalog")
    return _Formatter(lang, _owner(key, lang)).vformat(cat[key], (), _Defaulting(params))


def has(key: str, lang: str = "en") -> bool:
    return key in catalog(lang)


def column_label(column: str, lang: str, analysis: str | None = None) -> str:
    """A table column's header: the analysis's own label when it has one, else the shared one."""
    key = scoped_key("col", analysis, column, lang) if analysis else f"col.{column}"
    return t(key, lang)


def scoped_key(prefix: str, scope: str, name: str, lang: str = "en") -> str:
    """``prefix.scope.name`` when the catalog has it (e.g. an analysis's own wording of a generic
    monitor event), else ``prefix.name``."""
    key = f"{prefix}.{scope}.{name}"
    return key if has(key, lang) else f"{prefix}.{name}"


class _Defaulting(dict):
    def __missing__(self, key: str) -> Any:
        return None
