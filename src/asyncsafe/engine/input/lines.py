"""Lines as Python counts them: split on ``\\r\\n``, ``\\r`` and ``\\n`` only.

``str.splitlines`` also splits on form feed, ``\\v``, ``\\x1c``-``\\x1e``, ``\\x85`` and U+2028/U+2029,
which Python source may hold in comments and strings: counting lines that way puts a ``# noqa``
on the wrong line and shifts every position after it. Everything that counts lines uses this.
"""

from __future__ import annotations

import re

NEWLINE = re.compile(r"\r\n|\r|\n")
_NEWLINE_BYTES = re.compile(rb"\r\n|\r|\n")


def split_lines(text: str, *, keepends: bool = False) -> list[str]:
    """``text.splitlines(keepends)``, but splitting only where Python ends a line."""
    lines: list[str] = []
    start = 0
    for match in NEWLINE.finditer(text):
        lines.append(text[start : match.end() if keepends else match.start()])
        start = match.end()
    if start < len(text):
        lines.append(text[start:])
    return lines


def line_starts(text: str) -> list[int]:
    """The offset at which each line begins (the first is 0)."""
    return [0, *(match.end() for match in NEWLINE.finditer(text))]


def line_of_offset(data: bytes, offset: int) -> int:
    """The 1-based line holding byte ``offset`` of ``data``."""
    return len(_NEWLINE_BYTES.findall(data, 0, offset)) + 1
