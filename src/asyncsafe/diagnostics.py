"""The one result type every front end consumes."""

from __future__ import annotations

import re
from dataclasses import asdict, dataclass, field
from typing import Any


@dataclass(frozen=True, order=True)
class Diagnostic:
    """A finding. Lines are 1-based; columns are 1-based, as ruff and flake8 print them."""

    path: str
    line: int
    column: int
    end_line: int
    end_column: int
    code: str
    message: str
    suggestion: str | None = None
    fixable: str | None = None  # "safe" or "unsafe" when --fix (--unsafe-fixes) can rewrite it

    def to_json(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> Diagnostic:
        """A finding from its JSON (the report's extra keys, ``url`` and ``fix``, are ignored)."""
        return cls(**{key: value for key, value in data.items() if key in _FIELDS})


_FIELDS = frozenset(Diagnostic.__dataclass_fields__)


@dataclass(frozen=True, order=True)
class FileError:
    """A file that could not be checked; printed as ``path: error: reason``."""

    path: str
    reason: str
    # An internal error's traceback (``check --verbose`` prints it); not part of its identity.
    traceback: str = field(default="", compare=False, repr=False)

    def __str__(self) -> str:
        return escape(f"{display_path(self.path)}: error: {self.reason}")


# --- escaping for people ------------------------------------------------------------------------
# A file name or a source excerpt can hold CR/LF, ESC or other C0/C1 characters. Printed raw, a CR
# or LF starts a new output line (a GitHub Actions runner runs any line starting with ``::`` as a
# workflow command) and ESC sequences drive the terminal. Every human-readable line asyncsafe
# prints passes through ``escape``: such characters become Python-style escapes (``\r``,
# ``\x1b``), and a byte of an undecodable file name (a lone surrogate) becomes ``\xNN``.

_NAMED = {"\n": "\\n", "\r": "\\r", "\t": "\\t"}
# C0 (tab included: it can hide text in a column), DEL, C1, Unicode line/paragraph separators,
# and the surrogates Python uses for undecodable bytes of a file name.
_UNSAFE = re.compile("[\x00-\x1f\x7f-\x9f\u2028\u2029\ud800-\udfff]")


def _visible(match: re.Match[str]) -> str:
    char = match.group()
    named = _NAMED.get(char)
    if named is not None:
        return named
    code = ord(char)
    if 0xDC80 <= code <= 0xDCFF:  # surrogateescape: the original byte
        return f"\\x{code - 0xDC00:02x}"
    return f"\\x{code:02x}" if code <= 0xFF else f"\\u{code:04x}"


def escape(text: str) -> str:
    """``text`` with every control character written as an escape (one line stays one line)."""
    return _UNSAFE.sub(_visible, text)


def display_path(path: str) -> str:
    """``path`` as a person reads it. A name that is not valid UTF-8 arrives with its bytes as
    lone surrogates (``os.fsdecode``), which no output can encode: they are shown as ``\\xff``."""
    return path.encode("utf-8", "surrogateescape").decode("utf-8", "backslashreplace")
