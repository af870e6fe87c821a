"""Title seniority and department classifiers (pure Python, applied to *distinct* values)."""

from __future__ import annotations

import re


def compile_rules(patterns: list[str]) -> re.Pattern[str]:
    """One case-insensitive alternation of the configured patterns; an empty list matches nothing."""
    if not patterns:
        return re.compile(r"(?!)")
    return re.compile("|".join(f"(?:{p})" for p in patterns), re.IGNORECASE)


def collapse(value: object) -> str:
    """Text with runs of whitespace collapsed to one space; "" for NULL or blank."""
    return "" if value is None else " ".join(str(value).split())
