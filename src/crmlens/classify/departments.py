"""Map free-text departments to the key departments (Sales/Finance/Operations/IT/HR)."""

from __future__ import annotations


from crmlens.classify import collapse, compile_rules
from crmlens.config import DepartmentDictionary

UNKNOWN = "unknown"  # NULL / blank department
UNRECOGNISED = "unrecognised"  # text that matches no dictionary entry
OTHER_PREFIX = "other:"  # known but not a key department, e.g. "other:Marketing"


class DepartmentClassifier:
    def __init__(self, dictionary: DepartmentDictionary) -> None:
        self.dictionary = dictionary
        self._key = [(name, compile_rules(p)) for name, p in dictionary.key.items()]
        self._other = [(name, compile_rules(p)) for name, p in dictionary.other.items()]

    @property
    def key_departments(self) -> list[str]:
        return list(self.dictionary.key)

    def classify(self, department: str | None) -> str:
        d = collapse(department)
        if not d:
            return UNKNOWN
        for name, rx in self._key:
            if rx.search(d):
                return name
        for name, rx in self._other:
            if rx.search(d):
                return OTHER_PREFIX + name
        return UNRECOGNISED

    def classify_many(self, values: list[str | None]) -> dict[str | None, str]:
        return {v: self.classify(v) for v in values}
