"""Escaping CRM text for each secondary output.  CRM values (account names, industries, titles,
column names) are data typed by anyone with CRM access; they must never become markup, a
spreadsheet formula or a terminal control sequence.

* ``markdown_text`` — inline Markdown: HTML special characters become entities, Markdown syntax
  (``\\ ` [ ] |``, a leading ``#``/``-``/``+``/``*``) is backslash-escaped and line breaks become
  spaces, so a value stays inside its paragraph, heading or table cell.
* ``FORMULA_START`` — OWASP "CSV injection": a text cell starting with ``= + - @``, a tab or a
  carriage return gets a leading single quote in ``tables/*.csv`` (``csv_export``), so
  spreadsheet programs show it as text.  Only text cells change; numeric columns are written as
  numbers (``-5`` stays ``-5``).  Parquet tables keep the original values.
* ``terminal_text`` — C0/C1 control characters (ESC, BEL, CSI…) and bidirectional overrides are
  replaced with U+FFFD before anything from the data is printed; tabs and line breaks become
  spaces, so one message stays one line.
"""

from __future__ import annotations

import re

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


def terminal_text(text: object) -> str:
    """``text`` without terminal control sequences or bidi overrides, on one line."""
    return _CONTROL.sub("\ufffd", _SPACE_LIKE.sub(" ", str(text)))
