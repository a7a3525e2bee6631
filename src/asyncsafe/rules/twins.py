"""The async twin of a blocking call: the source texts a message quotes, and the certain rewrite.

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

_EMPTY_MODULE = cst.Module(body=[])
_LONGEST_QUOTE = 60


def source_text(node: cst.CSTNode) -> str:
    """The node's code on one line, shortened when it would swamp the message."""
    text = " ".join(_EMPTY_MODULE.code_for_node(node).split())
    if len(text) > _LONGEST_QUOTE and isinstance(node, cst.Attribute):
        return f"<...>.{node.attr.value}"
    return text


@dataclass(frozen=True)
class Twin:
    callee_text: str
    twin_text: str
    func: cst.BaseExpression  # the new callee
    imports: tuple[str, ...]


def twin_of(call: cst.Call, callee: Value, resolver: Resolver) -> Twin | None:
    """``x.f`` -> ``x.af``; a bare imported ``f`` -> ``af`` plus its import (None if that name is
    already taken by something else)."""
    func = call.func
    if isinstance(func, cst.Attribute):
        new_func = func.with_changes(attr=cst.Name(f"a{func.attr.value}"))
        return Twin(source_text(func), source_text(new_func), new_func, ())
    if isinstance(func, cst.Name) and isinstance(callee, Ref) and "." in callee.qualname:
        module, _, name = callee.qualname.rpartition(".")
        twin = f"a{name}"
        wanted = Ref(f"{module}.{twin}")
        bound = resolver.lookup(twin)
        if bound is not UNKNOWN and bound != wanted:
            return None
        imports = () if bound == wanted else (f"from {module} import {twin}",)
        return Twin(func.value, twin, cst.Name(twin), imports)
    return None


def callee_texts(call: cst.Call, twin: Twin | None) -> dict[str, str]:
    if twin is not None:
        return {"callee": twin.callee_text, "twin": twin.twin_text}
    return {"callee": source_text(call.func)}


class AwaitRewriter:
    """Builds ``await twin(...)`` fixes for one file; parents are computed once, on first need."""

    def __init__(self, tree: cst.Module | None) -> None:
        self.tree = tree
        self._parents: dict[int, cst.CSTNode] | None = None

    def fix(self, call: cst.Call, twin: Twin, function: FunctionInfo | None) -> Fix | None:
        """``f(...)`` -> ``await af(...)``."""
        return self.await_fix(call, call.with_changes(func=twin.func), function, twin.imports)

    def await_fix(
        self,
        target: cst.BaseExpression,
        expression: cst.BaseExpression,
        function: FunctionInfo | None,
        imports: tuple[str, ...] = (),
        safe: bool = True,
    ) -> Fix | None:
        """Replace ``target`` with ``await expression``, where ``await`` is allowed and means
        the same (directly in the async function, not inside a generator expression)."""
        if function is None or not function.is_async or self.tree is None:
            return None
        parents = self._parent_map()
        parent = parents.get(id(target))
        if isinstance(parent, cst.Await) or self._in_generator(target, function, parents):
            return None
        awaited = cst.Await(expression=expression)
        if _is_operand(target, parent):  # `await af(x).y` would await `af(x).y`
            awaited = awaited.with_changes(lpar=[cst.LeftParen()], rpar=[cst.RightParen()])
        return Fix(target=target, replacement=awaited, imports=imports, safe=safe)

    @staticmethod
    def _in_generator(
        node: cst.CSTNode, function: FunctionInfo, parents: dict[int, cst.CSTNode]
    ) -> bool:
        """`await` inside a generator expression would turn it into an async generator."""
        current: cst.CSTNode | None = node
        while current is not None and current is not function.node:
            if isinstance(current, cst.GeneratorExp):
                return True
            current = parents.get(id(current))
        return False

    def _parent_map(self) -> dict[int, cst.CSTNode]:
        if self._parents is None:
            self._parents = {}
            pending: list[cst.CSTNode] = [self.tree] if self.tree is not None else []
            while pending:
                node = pending.pop()
                for child in node.children:
                    self._parents[id(child)] = node
                    pending.append(child)
        return self._parents


def _is_operand(node: cst.BaseExpression, parent: cst.CSTNode | None) -> bool:
    if isinstance(parent, (cst.Attribute, cst.Subscript)):
        return parent.value is node
    if isinstance(parent, cst.Call):
        return parent.func is node
    return False
