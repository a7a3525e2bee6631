"""What a module declares beyond its name bindings, for the resolver.

* The attributes of its classes that hold objects of a known type: ``self.client`` assigned
  ``redis.Redis()`` in any method, or a class-level ``client: redis.Redis``.
* Functions its decorators turn into cataloged objects (``@shared_task`` makes a Celery task).
* Through :class:`Exports`, the same facts of the other modules of the project, so that
  ``from myapp.clients import redis_client`` or ``from myapp.tasks import send_email`` is known.

The facts are collected by the walker's pre-scan (see ``classscan``), before the module is
visited, so a method sees an attribute assigned in a method defined after it.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Protocol

from asyncsafe.engine.tree.values import Instance, Member, Ref, Value

NONE = Ref("builtins.None")


@dataclass
class ClassFacts:
    qualname: str
    bases: list[Value] = field(default_factory=list)
    declared: dict[str, Value] = field(default_factory=dict)  # annotations: the author's word
    assigned: dict[str, list[Value]] = field(default_factory=dict)  # every value assigned

    def attribute(self, name: str) -> Instance | Member | None:
        """What the attribute holds when every assignment agrees (``None`` placeholders aside):
        an object of a known type, or a member of one (``root.chat.completions``, a bound method)."""
        declared = self.declared.get(name)
        if isinstance(declared, Instance):
            return declared
        values = [v for v in self.assigned.get(name, []) if v != NONE]
        if values and isinstance(values[0], (Instance, Member)) and all(v == values[0] for v in values):
            return values[0]
        return None

    @property
    def is_typed(self) -> bool:
        return any(self.attribute(name) for name in (*self.declared, *self.assigned))


class Exports(Protocol):
    """Facts of other project modules (implemented in ``engine.exports``)."""

    def value(self, qualname: str) -> Instance | None: ...

    def class_facts(self, qualname: str) -> ClassFacts | None: ...


MAX_BASE_DEPTH = 10


@dataclass
class Declarations:
    classes: dict[str, ClassFacts] = field(default_factory=dict)
    decorated: dict[str, str] = field(default_factory=dict)  # function qualname -> type
    exports: Exports | None = None
    _typed: dict[str, Instance | None] = field(default_factory=dict, repr=False)

    def typed(self, ref: Ref) -> Instance | None:
        """What a module-level name holds when it is an object of a known type: a decorated
        function here, or a client or task defined in another module of the project."""
        qualname = ref.qualname
        if qualname not in self._typed:
            self._typed[qualname] = self._find_typed(qualname)
        return self._typed[qualname]

    def _find_typed(self, qualname: str) -> Instance | None:
        if qualname in self.decorated:
            return Instance(self.decorated[qualname], qualname)
        if self.exports is None or _looks_like_class(qualname):
            return None
        return self.exports.value(qualname)

    def class_facts(self, qualname: str) -> ClassFacts | None:
        if qualname in self.classes:
            return self.classes[qualname]
        return self.exports.class_facts(qualname) if self.exports is not None else None

    def attribute(self, receiver: Value, name: str) -> Instance | Member | None:
        """``receiver.name`` for an instance of a project class, searching its bases."""
        if not isinstance(receiver, Instance):
            return None
        for facts in self._chain(receiver.type_name):
            found = facts.attribute(name)
            if found is not None:
                return found
        return None

    def construct(self, callee: Value) -> Instance | None:
        """Calling a project class whose instances carry typed attributes."""
        if not isinstance(callee, Ref) or not _looks_like_class(callee.qualname):
            return None
        if any(facts.is_typed for facts in self._chain(callee.qualname)):
            return Instance(callee.qualname)
        return None

    def _chain(self, qualname: str) -> Iterator[ClassFacts]:
        """The class and its project bases, nearest first (bounded, cycle-safe)."""
        pending = [qualname]
        seen: set[str] = set()
        while pending and len(seen) < MAX_BASE_DEPTH:
            facts = self.class_facts(pending.pop(0))
            if facts is None or facts.qualname in seen:
                continue
            seen.add(facts.qualname)
            yield facts
            pending.extend(b.qualname for b in facts.bases if isinstance(b, Ref))


def _looks_like_class(qualname: str) -> bool:
    """``CamelCase`` by convention; ``ALL_CAPS`` module constants are not classes."""
    last = qualname.rsplit(".", 1)[-1]
    return last[:1].isupper() and not last.isupper()
