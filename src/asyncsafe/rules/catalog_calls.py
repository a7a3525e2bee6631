"""The generic rule behind every catalog entry: a call, method or protocol that blocks."""

from __future__ import annotations

import libcst as cst

from asyncsafe.catalog import Blocking, Condition
from asyncsafe.engine.facts.callgraph import SELF
from asyncsafe.engine.facts.project_types import graph_for
from asyncsafe.engine.tree.events import CallSite, Checker, EvalSite, Fix
from asyncsafe.engine.tree.values import Instance, Member, Ref, Value, canonical_name
from asyncsafe.engine.tree.walker import dotted
from asyncsafe.rules.quotes import callee_texts, quote
from asyncsafe.rules.rewrites import (
    FixingChecker,
    async_for,
    await_allowed,
    await_canonical_twin,
    await_method_twin,
)


class CatalogChecker(FixingChecker):
    """Also ASF400: the user's ``blocking-calls`` win over the catalog, ``safe-calls`` over both.
    An awaited call never matches ``blocking-calls``: a pattern like ``mycompany.billing.*`` also
    covers the package's async twins, and what is awaited returned an awaitable."""

    def on_call(self, site: CallSite) -> None:
        name = canonical_name(site.callee)
        if name is not None and self.ctx.settings.is_safe_call(name):
            return
        configured = None
        if name is not None and not site.awaited:
            configured = self.ctx.catalog.configured_call(name)
        blocking = configured or self.lookup_call(site.callee)
        if blocking is not None and self._applies(blocking, site.node) and not self._own_method(site.callee):
            fix = self._call_fix(site, blocking)
            self.report(site.node, blocking, fix, callee_texts(site.node))

    def on_evaluate(self, site: EvalSite) -> None:
        if isinstance(site.value, Instance):
            blocking = self.ctx.catalog.protocol(site.value.type_name, site.protocol)
            if blocking is not None:
                fix = self._protocol_fix(site, blocking)
                self.report(site.node, blocking, fix, {"subject": quote(site.node)})

    def report(
        self,
        node: cst.CSTNode,
        blocking: Blocking,
        fix: Fix | None = None,
        texts: dict[str, str] | None = None,
    ) -> None:
        django = self.ctx.settings.django
        self.ctx.report(
            node,
            blocking.code,
            blocking.message(django, texts),
            blocking.suggestion(django, texts),
            fix=fix,
        )

    def _own_method(self, callee: Value) -> bool:
        """``self.name()`` where the project defines ``name`` (in the class or a project base):
        the call runs that definition, which the call graph follows with the class of ``self``,
        not the library API the catalog describes (e.g. ``self.exists()`` inside a session
        store class of the project that implements ``exists`` on the filesystem)."""
        if not isinstance(callee, Member) or callee.receiver.info != SELF:
            return False
        return graph_for(self.ctx).member(callee.receiver.type_name, callee.name) is not None

    def _call_fix(self, site: CallSite, blocking: Blocking) -> Fix | None:
        twin = blocking.twin_for(self.ctx.settings.django)
        if twin is None or site.awaited or site.function is None or not site.in_async:
            return None
        if not await_allowed(self.parents, site.function, site.node):
            return None
        parent = self.parents.of(site.function, site.node)
        if isinstance(site.callee, Member):
            return await_method_twin(site.node, twin, parent, safe=blocking.twin_safe)
        return await_canonical_twin(
            self.ctx.resolver, site.node, twin, parent, safe=blocking.twin_safe
        )

    def _protocol_fix(self, site: EvalSite, blocking: Blocking) -> Fix | None:
        twin = blocking.twin_for(self.ctx.settings.django)
        if twin != "async for" or site.protocol != "iterate" or site.function is None or not site.in_async:
            return None
        return async_for(site.node, self.parents, site.function, safe=blocking.twin_safe)

    def lookup_call(self, callee: Value) -> Blocking | None:
        if isinstance(callee, Ref):
            return self.ctx.catalog.call(callee.qualname)
        if isinstance(callee, Member):
            return self.ctx.catalog.method(callee.receiver.type_name, callee.name)
        return None

    def _applies(self, blocking: Blocking, call: cst.Call) -> bool:
        if blocking.only_when_given and not any(
            _argument(call, given) is not None for given in blocking.only_when_given
        ):
            return False
        return not any(self._matches(call, condition) for condition in blocking.unless)

    def _matches(self, call: cst.Call, condition: Condition) -> bool:
        key = str(condition.position) if condition.position is not None else condition.keyword
        arg = _argument(call, key or "")
        if arg is None:
            return False
        if isinstance(arg, (cst.Integer, cst.Float)):
            return arg.value == condition.value
        if isinstance(arg, cst.Name) and arg.value in ("True", "False", "None"):
            return arg.value == condition.value
        resolved = self.ctx.resolver.resolve(arg)
        if isinstance(resolved, Ref) and resolved.qualname == condition.value:
            return True
        return dotted(arg) == condition.value


def _argument(call: cst.Call, key: str) -> cst.BaseExpression | None:
    """The argument at position ``key`` (a digit string) or keyword ``key``, if passed."""
    if key.isdigit():
        positional = [a for a in call.args if a.keyword is None and not a.star]
        index = int(key)
        return positional[index].value if index < len(positional) else None
    for arg in call.args:
        if arg.keyword is not None and arg.keyword.value == key:
            return arg.value
    return None


CHECKERS: tuple[type[Checker], ...] = (CatalogChecker,)
