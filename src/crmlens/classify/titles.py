"""Classify free-text contact titles into seniority levels.

The classifier runs on distinct titles only; the engine joins the resulting small lookup table
back to contacts, so cost grows with the number of distinct titles, not with contacts.
"""

from __future__ import annotations

from crmlens.classify import collapse, compile_rules
from crmlens.config import TitleRules

C_LEVEL = "c_level"
VP = "vp"
OTHER = "other"
UNKNOWN = "unknown"  # blank / NULL title
UNRECOGNISED = "unrecognised"  # text that matches no rule
LEVELS = (C_LEVEL, VP, OTHER, UNRECOGNISED, UNKNOWN)
DECISION_LEVELS = (C_LEVEL, VP)


class TitleClassifier:
    def __init__(self, rules: TitleRules) -> None:
        self.rules = rules
        self._exclude = compile_rules(rules.exclude)
        self._c = compile_rules(rules.c_level)
        self._vp = compile_rules(rules.vp)
        self._vp_phrases = compile_rules(rules.vp_phrases)
        self._other = compile_rules(rules.known_other)

    def level(self, title: str | None) -> str:
        t = collapse(title)
        if not t:
            return UNKNOWN
        if self._exclude.search(t):
            return OTHER
        # VP is checked before C-level so "Vice President" is one VP, never also "President".
        if self._vp.search(t):
            # "Co-Founder & CEO, VP..." style combos: a C-level word outside the VP phrases wins.
            return C_LEVEL if self._c.search(self._vp_phrases.sub(" ", t)) else VP
        if self._c.search(t):
            return C_LEVEL
        if self._other.search(t):
            return OTHER
        return UNRECOGNISED

    def classify_many(self, titles: list[str | None]) -> dict[str | None, str]:
        return {t: self.level(t) for t in titles}
