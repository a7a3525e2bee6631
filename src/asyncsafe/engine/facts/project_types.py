"""The type provider for the project's own code, and the call graph a file's walk shares with it."""

from __future__ import annotations

import libcst as cst

from asyncsafe.catalog import Catalog
from asyncsafe.engine.facts.callgraph import PROJECT, SUPER, CallGraph
from asyncsafe.engine.tree.awaitables import (
    COROUTINE_FUNCTION,
    async_iterator,
    awaited_result,
    coroutine,
)
from asyncsafe.engine.tree.events import FileContext
from asyncsafe.engine.tree.scopes import Resolver
from asyncsafe.engine.tree.values import Instance, Ref, Value

SYNC_TO_ASYNC = "asgiref.sync.SyncToAsync"  # what sync_to_async(f) returns (catalog type)


class ProjectTypes:
    """What the project's own code makes: instances of its classes, ``super()``, and coroutines
    (its ``async def`` functions, ``@sync_to_async`` helpers, ``sync_to_async(f)(...)``)."""

    def __init__(self, catalog: Catalog) -> None:
        self.ctx: FileContext | None = None
        self._graph: CallGraph | None = None

    def start_file(self, ctx: FileContext) -> None:
        self.ctx = ctx
        self._graph = None

    @property
    def graph(self) -> CallGraph:
        ctx = self.ctx
        assert ctx is not None, "start_file() was not called"
        if self._graph is None:
            project = ctx.project
            self._graph = (
                project.facts("asyncsafe.callgraph", CallGraph)
                if project is not None
                else CallGraph(None, ctx.settings)
            )
        if ctx.tree is not None:
            self._graph.adopt(ctx.module, ctx.path, ctx.tree)
        return self._graph

    def call_result(self, callee: Value, call: cst.Call | None, resolver: Resolver) -> Value | None:
        if isinstance(callee, Instance) and callee.type_name in (SYNC_TO_ASYNC, COROUTINE_FUNCTION):
            return coroutine()
        if callee == Ref("builtins.super"):
            function = resolver.function()
            if function is not None and function.class_qualname is not None:
                return Instance(function.class_qualname, SUPER)
            return None
        function = resolver.function()
        if function is not None and function.is_async:
            symbol = self.graph.function_for(callee)
            if symbol is not None and symbol.returns_coroutine:
                return coroutine()
            if symbol is not None and symbol.returns_async_iterator:
                return async_iterator()
        if isinstance(callee, Ref) and self.graph.module_of(callee.qualname):
            return Instance(callee.qualname, PROJECT)
        return None

    def member(self, receiver: Value, name: str) -> Value | None:
        return None

    def annotation(self, qualname: str) -> Value | None:
        return Instance(qualname, PROJECT) if self.graph.module_of(qualname) else None

    def element(self, iterable: Value) -> Value | None:
        return None

    def entered(self, manager: Value) -> Value | None:
        return None

    def awaited(self, awaitable: Value, node: cst.BaseExpression) -> Value | None:
        return awaited_result(awaitable)

    def subscript(self, value: Value, node: cst.Subscript) -> Value | None:
        return None


def graph_made_for(ctx: FileContext) -> CallGraph | None:
    """The call graph a file's walk used, if it used one (asking does not make one)."""
    for provider in ctx.resolver.providers:
        if isinstance(provider, ProjectTypes):
            return provider._graph
    return None


def graph_for(ctx: FileContext) -> CallGraph:
    """The call graph a file's walk shares with its type provider."""
    for provider in ctx.resolver.providers:
        if isinstance(provider, ProjectTypes):
            return provider.graph
    raise LookupError("the ProjectTypes provider is not installed for this file")
