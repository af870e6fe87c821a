"""One exception hierarchy rooted at :class:`CrmlensError`.

Every error carries a reason ``code`` (a key of the i18n catalogs, under ``error.``) and the
parameters that fill the message.  The CLI renders ``code`` + ``params`` in the user's language;
nothing below the CLI formats user-facing sentences.
"""

from __future__ import annotations

from typing import Any


class CrmlensError(Exception):
    code: str = "error.generic"

    def __init__(self, code: str | None = None, **params: Any) -> None:
        self.code = code or self.code
        self.params = params
        super().__init__(f"{self.code} {params}")


class ConfigError(CrmlensError):
    code = "error.config"


class SourceError(CrmlensError):
    code = "error.source"


class ValidationFailed(CrmlensError):
    """Raised when a dataset has blocking data-quality problems; carries the profile."""

    code = "error.validation_failed"

    def __init__(self, profile: Any) -> None:
        super().__init__(self.code, count=len(profile.blocking))
        self.profile = profile


class AnalysisError(CrmlensError):
    code = "error.analysis"


class OutputError(CrmlensError):
    code = "error.output"
