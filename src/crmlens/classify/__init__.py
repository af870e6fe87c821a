"""Title seniority and department classifiers (pure Python, applied to *distinct* values)."""

from __future__ import annotations

import re

from crmlens.schema.contracts import MAX_TEXT_CHARS


def compile_rules(patterns: list[str]) -> re.Pattern[str]:
    """One case-insensitive alternation of the configured patterns; an empty list matches
    nothing."""
    if not patterns:
        return re.compile(r"(?!)")
    return re.compile("|".join(f"(?:{p})" for p in patterns), re.IGNORECASE)


def collapse(value: object) -> str:
    """Text with runs of whitespace collapsed to one space and cut to ``MAX_TEXT_CHARS`` (the rules
    read the start of a title or department, so a megabyte value costs no more than a short
    one); "" for NULL or blank."""
    return "" if value is None else " ".join(str(value).split())[:MAX_TEXT_CHARS]
