"""Building blocks for ``Fix`` rewrites: ``x.get(...)`` -> ``await x.aget(...)``, ``for`` -> ``async for``,
``time.sleep(x)`` -> ``await asyncio.sleep(x)``, a missing ``await``.

Rules construct fixes only where they are certain (the async twin exists in the configured
Django version, the code is directly in an ``async def``) and attach them with
``ctx.report(..., fix=...)``; ``asyncsafe.fix`` applies them (``--fix``/``--diff``), adds their
imports once and verifies the result. ``safe=False`` marks a rewrite that can change behaviour.
"""

from __future__ import annotations

import libcst as cst

from asyncsafe.engine.tree.events import Checker, FileContext, Fix
from asyncsafe.engine.tree.scopes import (
    BUILTIN_NAMES,
    FunctionInfo,
    Resolver,
    ScopeKind,
)
from asyncsafe.engine.tree.traverse import FastVisitor
from asyncsafe.engine.tree.values import Ref

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


class FixingChecker(Checker):
    """A checker that builds fixes: it keeps the parent links of the function being walked
    (built on first use, dropped when the function ends). Subclasses that override
    ``on_function_exit`` call ``super()``."""

    def __init__(self, ctx: FileContext) -> None:
        super().__init__(ctx)
        self.parents = Parents()

    def on_function_exit(self, function: FunctionInfo) -> None:
        self.parents.forget(function)


def await_allowed(parents: Parents, function: FunctionInfo, node: cst.CSTNode) -> bool:
    """``await`` may replace ``node``: no generator expression or lambda between it and the
    ``async def`` (an ``await`` there would not compile, or would make an async generator)."""
    current = parents.of(function, node)
    while current is not None and current is not function.node:
        if isinstance(current, (cst.GeneratorExp, cst.Lambda, cst.FunctionDef, cst.ClassDef)):
            return False
        current = parents.of(function, current)
    return current is function.node


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
    """The source of ``node`` when it fits in a message, else with call arguments elided
    (``Book.objects.filter(...)``), else ``fallback``."""
    text = code(node).strip()
    if len(text) <= limit and "\n" not in text:
        return text
    shortened = node.visit(_ElideArguments())
    elided = code(shortened).strip() if isinstance(shortened, cst.CSTNode) else ""
    return elided if elided and len(elided) <= limit and "\n" not in elided else fallback


class _ElideArguments(cst.CSTTransformer):
    def leave_Call(self, original_node: cst.Call, updated_node: cst.Call) -> cst.Call:
        if not updated_node.args:
            return updated_node
        return updated_node.with_changes(args=[cst.Arg(cst.Ellipsis())])


def await_method_twin(
    call: cst.Call,
    twin: str,
    parent: cst.CSTNode | None,
    imports: tuple[str, ...] = (),
    *,
    safe: bool = True,
) -> Fix | None:
    """``recv.name(args)`` -> ``await recv.twin(args)`` (parenthesized where precedence needs it)."""
    if not isinstance(call.func, cst.Attribute):
        return None
    renamed = call.with_changes(func=call.func.with_changes(attr=cst.Name(twin)))
    if isinstance(parent, cst.Await):  # `await qs.get()` (a TypeError today): only rename
        return Fix(call, renamed, imports, safe)
    return Fix(call, _awaited(renamed, call, parent), imports, safe)


def await_function_twin(
    call: cst.Call, twin: str, parent: cst.CSTNode | None, imports: tuple[str, ...] = ()
) -> Fix:
    """``name(args)`` -> ``await twin(args)`` (``twin`` must be importable as written)."""
    renamed = call.with_changes(func=cst.Name(twin))
    return Fix(call, _awaited(renamed, call, parent), imports)


def await_canonical_twin(
    resolver: Resolver,
    call: cst.Call,
    canonical: str,
    parent: cst.CSTNode | None,
    *,
    safe: bool = True,
) -> Fix | None:
    """``time.sleep(x)`` / ``nap(x)`` -> ``await asyncio.sleep(x)``: same arguments, awaited.

    ``canonical`` is the twin's dotted name; how to spell it here (and what to import) is
    decided by ``reference``. None when no spelling is certain.
    """
    found = reference(resolver, canonical)
    if found is None:
        return None
    func, imports = found
    return Fix(call, _awaited(call.with_changes(func=func), call, parent), imports, safe)


def awaited(call: cst.Call, parent: cst.CSTNode | None, *, safe: bool = True) -> Fix:
    """``coro()`` -> ``await coro()``: a coroutine that is called but never awaited."""
    return Fix(call, _awaited(call, call, parent), safe=safe)


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


def async_for(
    iterable: cst.BaseExpression, parents: Parents, function: FunctionInfo, *, safe: bool = True
) -> Fix | None:
    """``for x in it`` / ``[... for x in it]`` -> the ``async for`` form, when ``it`` is iterated there."""
    loop = parents.of(function, iterable)
    if isinstance(loop, cst.For) and loop.iter is iterable and loop.asynchronous is None:
        return Fix(loop, loop.with_changes(asynchronous=cst.Asynchronous()), safe=safe)
    if isinstance(loop, cst.CompFor) and loop.iter is iterable and loop.asynchronous is None:
        owner = parents.of(function, loop)
        while isinstance(owner, cst.CompFor):
            owner = parents.of(function, owner)
        if isinstance(owner, COMPREHENSIONS_ALLOWING_ASYNC):
            return Fix(loop, loop.with_changes(asynchronous=cst.Asynchronous()), safe=safe)
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


# --- spelling a canonical name at a given place ------------------------------------------------


def reference(resolver: Resolver, canonical: str) -> tuple[cst.BaseExpression, tuple[str, ...]] | None:
    """An expression naming ``canonical`` at the current position, and the import it needs.

    Prefers what the file already imports (``asyncio.sleep`` after ``import asyncio``,
    ``auth.alogin`` after ``from django.contrib import auth``); otherwise imports it, but
    only when that introduces no clash with a name the code already uses.
    """
    module, _, name = canonical.rpartition(".")
    if not module:
        return None
    if resolver.lookup(name) == Ref(canonical):
        return cst.Name(name), ()
    alias = _name_bound_to(resolver, module)
    if alias is not None:
        return cst.Attribute(value=cst.Name(alias), attr=cst.Name(name)), ()
    if "." not in module:
        if _is_free(resolver, module):
            return cst.parse_expression(canonical), (f"import {module}",)
        return None
    if _is_free(resolver, name):
        return cst.Name(name), (f"from {module} import {name}",)
    return None


def _name_bound_to(resolver: Resolver, module: str) -> str | None:
    """A local name that holds the module ``module`` here (its own name first)."""
    target = Ref(module)
    preferred = module.rpartition(".")[2]
    candidates = [preferred] + [
        name for scope in reversed(resolver.scopes) for name, value in scope.bindings.items()
        if value == target and name != preferred
    ]
    for name in candidates:
        if resolver.lookup(name) == target:
            return name
    return None


def _is_free(resolver: Resolver, name: str) -> bool:
    """Nothing visible here binds ``name``, and no enclosing function mentions it.

    The second check matters because a name assigned *later* in a function is local to the
    whole function: a module-level import would not be seen from the rewritten call.
    """
    if name in BUILTIN_NAMES or _visibly_bound(resolver, name):
        return False
    for scope in resolver.scopes:
        if scope.kind in (ScopeKind.FUNCTION, ScopeKind.LAMBDA) and scope.function is not None:
            if _mentions(scope.function.node, name):
                return False
    return True


def _visibly_bound(resolver: Resolver, name: str) -> bool:
    """Bound in a scope the current position sees (class bodies only from inside themselves)."""
    innermost = resolver.scopes[-1] if resolver.scopes else None
    return any(
        name in scope.bindings
        for scope in resolver.scopes
        if scope.kind is not ScopeKind.CLASS or scope is innermost
    )


def _mentions(node: cst.CSTNode, name: str) -> bool:
    return name in _mentioned_names(node)


# Names each function mentions, for the function being fixed (an identity check guards ids).
# Asked once per fix: visiting the whole function each time made fixing an n-line function O(n^2).
_MENTIONED: dict[int, tuple[cst.CSTNode, frozenset[str]]] = {}


def _mentioned_names(node: cst.CSTNode) -> frozenset[str]:
    cached = _MENTIONED.get(id(node))
    if cached is not None and cached[0] is node:
        return cached[1]
    finder = _NameFinder()
    finder.walk(node)
    if len(_MENTIONED) > 64:
        _MENTIONED.clear()
    _MENTIONED[id(node)] = (node, frozenset(finder.names))
    return frozenset(finder.names)


class _NameFinder(FastVisitor):
    """Every variable name used: not ``x.name`` (an attribute) nor ``f(name=...)`` (a keyword)."""

    def __init__(self) -> None:
        super().__init__()
        self.names: set[str] = set()

    def visit_Name(self, node: cst.Name) -> None:
        self.names.add(node.value)

    def visit_Attribute(self, node: cst.Attribute) -> bool:
        self.walk(node.value)
        return False

    def visit_Arg(self, node: cst.Arg) -> bool:
        if node.keyword is None:
            return True
        self.walk(node.value)
        return False
