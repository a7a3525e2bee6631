"""The async twin of a blocking catalog call: the texts a message quotes, and the certain rewrite.

Django names every async twin ``"a" + name`` with the same signature (``login`` -> ``alogin``,
``session.get`` -> ``session.aget``). Where the catalog marks a call ``fixable`` and the
configured Django version has the twin, ``f(...)`` becomes ``await af(...)``.
"""

from __future__ import annotations

from dataclasses import dataclass

import libcst as cst

from asyncsafe.engine.events import Fix
from asyncsafe.engine.scopes import FunctionInfo, Resolver
from asyncsafe.engine.values import UNKNOWN, Ref, Value
from asyncsafe.rules.rewrites import Parents, await_function_twin, await_method_twin, short_code

QUOTE_LIMIT = 60


def quote(node: cst.CSTNode) -> str:
    """The node's code for a message; a long attribute chain keeps only its last name."""
    fallback = f"<...>.{node.attr.value}" if isinstance(node, cst.Attribute) else "<...>"
    return short_code(node, fallback, limit=QUOTE_LIMIT)


@dataclass(frozen=True)
class Twin:
    name: str  # the twin's name: "alogin", "aget"
    callee_text: str  # the call's callee as written: "auth.login", "request.session.get"
    twin_text: str  # the same with the twin: "auth.alogin", "request.session.aget"
    imports: tuple[str, ...]  # what a bare twin name needs: "from django.contrib.auth import alogin"


def twin_of(call: cst.Call, callee: Value, resolver: Resolver) -> Twin | None:
    """``x.f`` -> ``x.af``; a bare imported ``f`` -> ``af`` plus its import (None when that name
    is already bound to something else in this scope)."""
    func = call.func
    if isinstance(func, cst.Attribute):
        twin = f"a{func.attr.value}"
        text = quote(func)
        return Twin(twin, text, f"{text.rpartition('.')[0]}.{twin}", ())
    if isinstance(func, cst.Name) and isinstance(callee, Ref) and "." in callee.qualname:
        module, _, name = callee.qualname.rpartition(".")
        twin = f"a{name}"
        wanted = Ref(f"{module}.{twin}")
        bound = resolver.lookup(twin)
        if bound is not UNKNOWN and bound != wanted:
            return None
        imports = () if bound == wanted else (f"from {module} import {twin}",)
        return Twin(twin, func.value, twin, imports)
    return None


def callee_texts(call: cst.Call, twin: Twin | None) -> dict[str, str]:
    """``{callee}`` and ``{twin}`` for messages (the twin named even where no fix is possible)."""
    if twin is not None:
        return {"callee": twin.callee_text, "twin": twin.twin_text}
    callee = quote(call.func)
    head, dot, name = callee.rpartition(".")
    return {"callee": callee, "twin": f"{head}{dot}a{name}"}


class AwaitRewriter:
    """Builds ``await`` rewrites for one file, where ``await`` is allowed and means the same:
    directly in the ``async def`` (or a list/set/dict comprehension in it), never in a generator
    expression, which ``await`` would turn into an async generator."""

    def __init__(self) -> None:
        self.parents = Parents()

    def twin_fix(self, call: cst.Call, twin: Twin, function: FunctionInfo | None) -> Fix | None:
        """``f(...)`` -> ``await af(...)``; already awaited (a TypeError today): rename only."""
        if not self._can_await(call, function):
            return None
        assert function is not None
        parent = self.parents.of(function, call)
        if isinstance(call.func, cst.Attribute):
            return await_method_twin(call, twin.name, parent, twin.imports)
        if isinstance(parent, cst.Await):
            return Fix(call, call.with_changes(func=cst.Name(twin.name)), twin.imports)
        return await_function_twin(call, twin.name, parent, twin.imports)

    def receiver_fix(
        self, receiver: cst.BaseExpression, awaited: cst.BaseExpression, function: FunctionInfo | None
    ) -> Fix | None:
        """``receiver.x`` -> ``(await awaited).x``, marked unsafe: the value may differ."""
        if not self._can_await(receiver, function):
            return None
        assert function is not None
        if isinstance(self.parents.of(function, receiver), cst.Await):
            return None
        replacement = cst.Await(awaited, lpar=[cst.LeftParen()], rpar=[cst.RightParen()])
        return Fix(receiver, replacement, safe=False)

    def _can_await(self, node: cst.CSTNode, function: FunctionInfo | None) -> bool:
        if function is None or not function.is_async:
            return False
        current: cst.CSTNode | None = node
        while current is not None and current is not function.node:
            if isinstance(current, cst.GeneratorExp):
                return False
            current = self.parents.of(function, current)
        return True
