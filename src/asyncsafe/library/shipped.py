"""The summaries shipped in the wheel, for libraries the environment does not have installed (a
pre-commit hook's environment has none of the project's dependencies).

Built by ``scripts/build_library_summaries.py`` from pinned releases; read lazily, on the first
library name the environment cannot answer. An installed library always wins: it is the code
that runs.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from functools import lru_cache
from importlib import resources
from typing import Any

from asyncsafe.library.summaries import Verdict

SHIPPED_FILE = "shipped.json"
TOPS_FILE = "shipped_top_level.txt"  # the top-level modules covered: read first, a few bytes


@dataclass(frozen=True)
class Shipped:
    functions: dict[str, Any]  # qualname -> Verdict.to_json()
    classes: frozenset[str]  # library classes whose constructor or a method is summarized
    tops: frozenset[str]  # top-level modules covered

    def covers(self, qualname: str) -> bool:
        return qualname.split(".", 1)[0] in self.tops

    def summary(self, qualname: str) -> Verdict | None:
        found = self.functions.get(qualname)
        return Verdict.from_json(found) if found is not None else None

    def is_class(self, qualname: str) -> bool:
        return qualname in self.classes


def parse_shipped(data: dict[str, Any]) -> Shipped:
    functions: dict[str, Any] = {}
    classes: set[str] = set()
    tops: set[str] = set()
    for entry in data.get("distributions", {}).values():
        functions.update(entry.get("functions", {}))
        classes.update(entry.get("classes", []))
        tops.update(entry.get("top_level", []))
    return Shipped(functions, frozenset(classes), frozenset(tops))


@lru_cache(maxsize=1)
def shipped_top_level() -> frozenset[str]:
    try:
        text = resources.files(__package__ or "asyncsafe.library").joinpath(TOPS_FILE).read_text(encoding="utf-8")
    except OSError:
        return frozenset()
    return frozenset(text.split())


def covers(qualname: str) -> bool:
    """Whether the shipped set may know this name (without loading it)."""
    return qualname.split(".", 1)[0] in shipped_top_level()


@lru_cache(maxsize=1)
def shipped() -> Shipped:
    try:
        text = resources.files(__package__ or "asyncsafe.library").joinpath(SHIPPED_FILE).read_text(encoding="utf-8")
        return parse_shipped(json.loads(text))
    except (OSError, ValueError):
        return Shipped({}, frozenset(), frozenset())
