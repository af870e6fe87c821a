"""Escaping CRM text for each secondary output.  CRM values (account names, industries, titles,
column names) are data typed by anyone with CRM access; they must never become markup, a
spreadsheet formula or a terminal control sequence.

* ``markdown_text`` — inline Markdown: HTML special characters become entities, Markdown syntax
  (``\\ ` [ ] |``, a leading ``#``/``-``/``+``/``*``) is backslash-escaped and line breaks become
  spaces, so a value stays inside its paragraph, heading or table cell.
* ``csv_safe_frame`` — OWASP "CSV injection": a text cell starting with ``= + - @``, a tab or a
  carriage return gets a leading single quote, so spreadsheet programs show it as text.  Only
  text cells change; numeric columns are written as numbers (``-5`` stays ``-5``).  The quote is
  part of the cell value in ``tables/*.csv``; Parquet tables keep the original values.
* ``terminal_text`` — C0/C1 control characters (ESC, BEL, CSI…) and bidirectional overrides are
  replaced with U+FFFD before anything from the data is printed; tabs and line breaks become
  spaces, so one message stays one line.
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING

if TYPE_CHECKING:  # pragma: no cover
    import pandas as pd

FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
_MD_INLINE = re.compile(r"([\\`\[\]|])")
_MD_LEADING = re.compile(r"^(\s*)([#>+*-])")
_CONTROL = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069]")
_SPACE_LIKE = re.compile("[\t\n\r\u2028\u2029]")


def markdown_text(text: str) -> str:
    """``text`` as literal inline Markdown (no HTML, links, code, headings or table columns)."""
    s = _SPACE_LIKE.sub(" ", str(text))
    s = s.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
    s = _MD_INLINE.sub(r"\\\1", s)
    return _MD_LEADING.sub(r"\1\\\2", s)


def csv_safe(value: object) -> object:
    """One cell: text that a spreadsheet would read as a formula gets a leading quote."""
    if isinstance(value, str) and value.startswith(FORMULA_START):
        return "'" + value
    return value


def _safe_text(s: pd.Series) -> pd.Series:
    text = s.astype("string")
    risky = text.str.startswith(FORMULA_START).fillna(False).astype(bool)
    if s.dtype == object and risky.any():  # numbers in an object column stay numbers
        risky[risky] = s[risky].map(lambda v: isinstance(v, str)).astype(bool)
    if not risky.any():
        return s
    out = s.astype(object).copy()
    out[risky] = "'" + text[risky].astype(object)
    return out


def csv_safe_frame(df: pd.DataFrame) -> pd.DataFrame:
    """A copy of ``df`` whose text cells are safe to open in a spreadsheet (see ``csv_safe``).
    Categorical columns are handled per category, text columns with one vectorised test."""
    import pandas as pd  # loaded where frames are written: the CLI imports this module

    out = df.copy(deep=False)
    for col in out.columns:
        s = out[col]
        if isinstance(s.dtype, pd.CategoricalDtype):
            cats = s.cat.categories
            if cats.dtype == object or pd.api.types.is_string_dtype(cats.dtype):
                safe = [csv_safe(c) for c in cats]
                out[col] = (
                    s.cat.rename_categories(safe)
                    if len(set(safe)) == len(safe)
                    else s.astype(object).map(csv_safe)
                )
        elif s.dtype == object or pd.api.types.is_string_dtype(s.dtype):
            out[col] = _safe_text(s)
    return out


def terminal_text(text: object) -> str:
    """``text`` without terminal control sequences or bidi overrides, on one line."""
    return _CONTROL.sub("\ufffd", _SPACE_LIKE.sub(" ", str(text)))
