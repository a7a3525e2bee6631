"""Fix builders: the rewrites rules attach to their findings (``ctx.report(..., fix=...)``).

They run during the one walk, so they can ask the resolver what a name means at the call
site. Each returns ``None`` when the rewrite is not certain; the finding then simply has no
fix. ``asyncsafe.fix`` applies them (``--fix``/``--diff``) and adds the imports they need.
"""

from __future__ import annotations

import libcst as cst

from asyncsafe.engine.events import Fix
from asyncsafe.engine.scopes import BUILTIN_NAMES, Resolver, ScopeKind
from asyncsafe.engine.values import Ref


def awaited(call: cst.Call, *, safe: bool = True) -> Fix:
    """``coro()`` -> ``await coro()``: a coroutine that was called but never awaited."""
    return Fix(call, await_(call), safe=safe)


def await_(call: cst.Call, **changes: object) -> cst.Await:
    """``await`` in front of ``call`` (changed by ``changes``), outside its parentheses."""
    inner = call.with_changes(lpar=(), rpar=(), **changes)
    return cst.Await(expression=inner, lpar=call.lpar, rpar=call.rpar)


def await_method_twin(call: cst.Call, twin: str, *, safe: bool = True) -> Fix | None:
    """``qs.get(...)`` -> ``await qs.aget(...)``: the async twin on the same receiver."""
    if not isinstance(call.func, cst.Attribute):
        return None
    renamed = call.func.with_changes(attr=cst.Name(twin))
    return Fix(call, await_(call, func=renamed), safe=safe)


def await_function_twin(
    resolver: Resolver, call: cst.Call, twin: str, *, safe: bool = True
) -> Fix | None:
    """``time.sleep(x)`` -> ``await asyncio.sleep(x)``: same arguments, awaited.

    ``twin`` is the canonical name; the import it needs is added unless the name is
    already reachable at the call site.
    """
    found = reference(resolver, twin)
    if found is None:
        return None
    func, imports = found
    return Fix(call, await_(call, func=func), imports, safe)


def async_for(owner: cst.For | cst.CompFor | None, *, safe: bool = True) -> Fix | None:
    """``for x in qs:`` -> ``async for x in qs:`` (comprehension clauses too)."""
    if owner is None or owner.asynchronous is not None:
        return None
    return Fix(owner, owner.with_changes(asynchronous=cst.Asynchronous()), safe=safe)


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
    finder = _NameFinder(name)
    node.visit(finder)
    return finder.found


class _NameFinder(cst.CSTVisitor):
    def __init__(self, name: str) -> None:
        super().__init__()
        self.name = name
        self.found = False

    def on_visit(self, node: cst.CSTNode) -> bool:
        if self.found:
            return False
        if isinstance(node, cst.Attribute):  # `x.name` does not use the variable `name`
            node.value.visit(self)
            return False
        if isinstance(node, cst.Arg) and node.keyword is not None:  # nor does `f(name=...)`
            node.value.visit(self)
            return False
        if isinstance(node, cst.Name) and node.value == self.name:
            self.found = True
        return not self.found
