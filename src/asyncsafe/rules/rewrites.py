"""Building blocks for ``Fix`` rewrites: ``x.get(...)`` -> ``await x.aget(...)``, ``for`` -> ``async for``.

Rules construct fixes only where they are certain (the async twin exists in the configured
Django version, the code is directly in an ``async def``); applying them is ``--fix``'s job.
"""

from __future__ import annotations

import libcst as cst

from asyncsafe.engine.events import Fix
from asyncsafe.engine.scopes import FunctionInfo

COMPREHENSIONS_ALLOWING_ASYNC = (cst.ListComp, cst.SetComp, cst.DictComp)


class Parents:
    """Parent links of one function body, built on first use (only when a fix is made)."""

    def __init__(self) -> None:
        self._maps: dict[int, dict[int, cst.CSTNode]] = {}

    def of(self, function: FunctionInfo, node: cst.CSTNode) -> cst.CSTNode | None:
        key = id(function.node)
        if key not in self._maps:
            self._maps[key] = _parent_map(function.node)
        return self._maps[key].get(id(node))

    def forget(self, function: FunctionInfo) -> None:
        self._maps.pop(id(function.node), None)


def _parent_map(root: cst.CSTNode) -> dict[int, cst.CSTNode]:
    parents: dict[int, cst.CSTNode] = {}
    pending = [root]
    while pending:
        node = pending.pop()
        for child in node.children:
            parents[id(child)] = node
            pending.append(child)
    return parents


def code(node: cst.CSTNode) -> str:
    return cst.Module(body=[]).code_for_node(node)


def short_code(node: cst.CSTNode, fallback: str, limit: int = 40) -> str:
    """The source of ``node`` when it fits in a message, else ``fallback``."""
    text = code(node).strip()
    return text if len(text) <= limit and "\n" not in text else fallback


def await_method_twin(
    call: cst.Call, twin: str, parent: cst.CSTNode | None, imports: tuple[str, ...] = ()
) -> Fix | None:
    """``recv.name(args)`` -> ``await recv.twin(args)`` (parenthesized where precedence needs it)."""
    if not isinstance(call.func, cst.Attribute):
        return None
    renamed = call.with_changes(func=call.func.with_changes(attr=cst.Name(twin)))
    if isinstance(parent, cst.Await):  # `await qs.get()` (a TypeError today): only rename
        return Fix(call, renamed, imports)
    return Fix(call, _awaited(renamed, call, parent), imports)


def await_function_twin(
    call: cst.Call, twin: str, parent: cst.CSTNode | None, imports: tuple[str, ...] = ()
) -> Fix:
    """``name(args)`` -> ``await twin(args)`` (``twin`` must be importable as written)."""
    renamed = call.with_changes(func=cst.Name(twin))
    return Fix(call, _awaited(renamed, call, parent), imports)


def _awaited(renamed: cst.Call, original: cst.Call, parent: cst.CSTNode | None) -> cst.Await:
    if original.lpar:
        return cst.Await(renamed.with_changes(lpar=[], rpar=[]), lpar=original.lpar, rpar=original.rpar)
    if _binds_tighter_than_await(original, parent):
        return cst.Await(renamed, lpar=[cst.LeftParen()], rpar=[cst.RightParen()])
    return cst.Await(renamed)


def _binds_tighter_than_await(node: cst.CSTNode, parent: cst.CSTNode | None) -> bool:
    """``x.get().y`` must become ``(await x.aget()).y``: the node is an attribute/call/index base."""
    if isinstance(parent, (cst.Attribute, cst.Subscript)):
        return parent.value is node
    if isinstance(parent, cst.Call):
        return parent.func is node
    return False


def async_for(iterable: cst.BaseExpression, parents: Parents, function: FunctionInfo) -> Fix | None:
    """``for x in it`` / ``[... for x in it]`` -> the ``async for`` form, when ``it`` is iterated there."""
    loop = parents.of(function, iterable)
    if isinstance(loop, cst.For) and loop.iter is iterable and loop.asynchronous is None:
        return Fix(loop, loop.with_changes(asynchronous=cst.Asynchronous()))
    if isinstance(loop, cst.CompFor) and loop.iter is iterable and loop.asynchronous is None:
        owner = parents.of(function, loop)
        while isinstance(owner, cst.CompFor):
            owner = parents.of(function, owner)
        if isinstance(owner, COMPREHENSIONS_ALLOWING_ASYNC):
            return Fix(loop, loop.with_changes(asynchronous=cst.Asynchronous()))
    return None


def list_to_async_comprehension(call: cst.Call, iterable: cst.BaseExpression) -> Fix:
    """``list(it)`` -> ``[row async for row in it]``."""
    replacement = cst.ListComp(
        elt=cst.Name("row"),
        for_in=cst.CompFor(
            target=cst.Name("row"), iter=iterable, asynchronous=cst.Asynchronous()
        ),
        lpar=list(call.lpar),
        rpar=list(call.rpar),
    )
    return Fix(call, replacement)
