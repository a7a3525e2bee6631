"""Which named classes a class derives from, across the project (views, consumers, forms).

Built on the model index's module summaries: project classes are followed through imports and
re-exports to their definitions; classes outside the project are known by canonical name only
(``django.views.generic.View``), which is what rules match on.
"""

from __future__ import annotations

from dataclasses import dataclass

from asyncsafe.django.index import ModelIndex, builtin_name

MOST_ANCESTORS = 64


@dataclass(frozen=True)
class Ancestry:
    names: tuple[str, ...]  # the class itself first, then every ancestor found, nearest first
    complete: bool  # False when some base could not be resolved to a name
    external: tuple[str, ...] = ()  # names with no class statement in the project

    def any_startswith(self, *prefixes: str) -> bool:
        return any(name.startswith(prefixes) for name in self.names)


def ancestry(index: ModelIndex, qualname: str) -> Ancestry:
    names: list[str] = []
    external: list[str] = []
    complete = True
    pending = [index.canonical(qualname)]
    while pending and len(names) < MOST_ANCESTORS:
        current = pending.pop(0)
        if current in names:
            continue
        names.append(current)
        found = index.class_summary(current)
        if found is None:
            external.append(current)
            continue
        cls, summary = found
        for base in cls.bases:
            name = index.resolve_in(summary, base) or builtin_name(base)
            if name is None:
                complete = False
            else:
                pending.append(name)
    return Ancestry(tuple(names), complete, tuple(external))
