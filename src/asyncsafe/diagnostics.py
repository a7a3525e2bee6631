"""The one result type every front end consumes."""

from __future__ import annotations

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
        return cls(**data)


@dataclass(frozen=True, order=True)
class FileError:
    """A file that could not be checked; printed as ``path: error: reason``."""

    path: str
    reason: str
    # An internal error's traceback (``check --verbose`` prints it); not part of its identity.
    traceback: str = field(default="", compare=False, repr=False)

    def __str__(self) -> str:
        return f"{display_path(self.path)}: error: {self.reason}"


def display_path(path: str) -> str:
    """``path`` as a person reads it. A name that is not valid UTF-8 arrives with its bytes as
    lone surrogates (``os.fsdecode``), which no output can encode: they are shown as ``\\xff``."""
    return path.encode("utf-8", "surrogateescape").decode("utf-8", "backslashreplace")
