"""Settings values as the static reader knows them: a literal with where it was written, a list
or dict of such values, or ``Unknown`` (computed: the reader never guesses)."""

from __future__ import annotations

import ast
from dataclasses import dataclass
from typing import Union


@dataclass(frozen=True)
class Where:
    path: str
    line: int
    column: int  # 0-based, as ast gives it
    end_line: int | None = None
    end_column: int | None = None

    def __str__(self) -> str:
        return f"{self.path}:{self.line}"


@dataclass(frozen=True)
class Known:
    value: str | int | float | bool | None
    where: Where


@dataclass(frozen=True)
class KnownList:
    items: tuple[Value, ...]
    where: Where


@dataclass(frozen=True)
class KnownDict:
    items: tuple[tuple[str, Value], ...]
    where: Where
    partial: bool = False  # only these keys are certain (written into a computed dict)

    def get(self, key: str) -> Value | None:
        """The key's value; None when the dict certainly lacks it, Unknown when partial."""
        for name, value in reversed(self.items):
            if name == key:
                return value
        return Unknown() if self.partial else None

    def with_item(self, key: str, value: Value) -> KnownDict:
        kept = tuple(item for item in self.items if item[0] != key)
        return KnownDict((*kept, (key, value)), self.where, self.partial)


@dataclass(frozen=True)
class Unknown:
    where: Where | None = None


Value = Union[Known, KnownList, KnownDict, Unknown]


def literal_text(value: Value | None) -> str | None:
    """The string a known value holds, else None."""
    if isinstance(value, Known) and isinstance(value.value, str):
        return value.value
    return None


def where_of(path: str, node: ast.AST) -> Where:
    return Where(
        path,
        getattr(node, "lineno", 1),
        getattr(node, "col_offset", 0),
        getattr(node, "end_lineno", None),
        getattr(node, "end_col_offset", None),
    )
