"""Making report data safe for every output format: characters XML and HTML forbid, written as visible escapes.

XML 1.0 allows only ``#x9 | #xA | #xD | [#x20-#xD7FF] | [#xE000-#xFFFD] | [#x10000-#x10FFFF]``; a NUL or
another control character in an exception message would make a JUnit file that no parser reads, and an HTML
page with a parse error.  :func:`printable_data` replaces each such character (lone surrogates included) by its
Python escape (``\\x00``, ``\\udcff``), so the text stays readable and the fact that it was there is kept.

>>> printable("a\\x00b\\udcffc")
'a\\\\x00b\\\\udcffc'
"""

from __future__ import annotations

import re
from typing import Any

__all__ = ["printable", "printable_data"]

#: Characters outside XML 1.0's Char production.
FORBIDDEN = re.compile("[^\t\n\r\u0020-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]")


def _escape(match: re.Match[str]) -> str:
    code = ord(match.group())
    return f"\\x{code:02x}" if code < 0x100 else f"\\u{code:04x}"


def printable(text: str) -> str:
    """``text`` with every character XML 1.0 forbids written as its escape."""
    return FORBIDDEN.sub(_escape, text)


def printable_data(data: Any) -> Any:
    """:func:`printable` applied to every string (keys too) inside ``data``."""
    if isinstance(data, str):
        return printable(data)
    if isinstance(data, dict):
        return {printable_data(k): printable_data(v) for k, v in data.items()}
    if isinstance(data, (list, tuple)):
        return [printable_data(v) for v in data]
    return data
