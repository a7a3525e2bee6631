"""What the engine knows an expression evaluates to.

Deliberately tiny: a canonical name (module, function, class), an instance of a known type,
a member read off such an instance, or nothing known. Precision first: anything the engine
cannot prove is ``UNKNOWN`` and no rule ever fires on it.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Union


@dataclass(frozen=True)
class Ref:
    """A module, function or class reached by its canonical dotted name (``requests.get``)."""

    qualname: str

    def member(self, attr: str) -> Ref:
        return Ref(f"{self.qualname}.{attr}")


@dataclass(frozen=True)
class Instance:
    """An object of a known type. ``info`` carries provider detail (e.g. a Django model)."""

    type_name: str
    info: object = None


@dataclass(frozen=True)
class Member:
    """``receiver.name`` on a known instance: a method to call or an attribute to read."""

    receiver: Instance
    name: str


@dataclass(frozen=True)
class Unknown:
    pass


UNKNOWN = Unknown()

Value = Union[Ref, Instance, Member, Unknown]


def canonical_name(value: Value) -> str | None:
    """The dotted name a callee is known by: ``requests.get``, or ``redis.Redis.get`` for a
    method of a tracked type. ``None`` when the engine does not know what it is."""
    if isinstance(value, Ref):
        return value.qualname
    if isinstance(value, Member):
        return f"{value.receiver.type_name}.{value.name}"
    return None
