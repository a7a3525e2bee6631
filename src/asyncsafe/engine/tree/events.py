"""What the walker tells rules, and what rules hand back.

Rules ("checkers") never traverse the tree themselves: the one walker visits each node once,
resolves what it needs through the shared resolver, and calls the checkers' hooks.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, ClassVar, Protocol

import libcst as cst

from asyncsafe.diagnostics import Diagnostic
from asyncsafe.engine.tree.scopes import FunctionInfo, Resolver, TypeProvider
from asyncsafe.engine.tree.values import Value

if TYPE_CHECKING:
    from asyncsafe.catalog import Catalog
    from asyncsafe.config import Settings
    from asyncsafe.engine.facts.project import Project


@dataclass(frozen=True)
class CallSite:
    node: cst.Call
    callee: Value
    function: FunctionInfo | None
    awaited: bool

    @property
    def in_async(self) -> bool:
        return self.function is not None and self.function.is_async


@dataclass(frozen=True)
class EvalSite:
    """An expression evaluated through a Python protocol (iteration, truth test, ...)."""

    node: cst.BaseExpression
    value: Value
    protocol: str  # iterate | aiterate | truth | contains | index | format | len | compare | enter
    function: FunctionInfo | None

    @property
    def in_async(self) -> bool:
        return self.function is not None and self.function.is_async


@dataclass(frozen=True)
class AttributeSite:
    """``receiver.attr`` read (not assigned, not deleted)."""

    node: cst.Attribute
    receiver: Value
    function: FunctionInfo | None
    is_callee: bool

    @property
    def in_async(self) -> bool:
        return self.function is not None and self.function.is_async


@dataclass(frozen=True)
class Fix:
    """A rewrite the rule is certain of: replace ``target`` (by identity) with ``replacement``.

    ``imports`` are statements the rewritten code needs, e.g. ``"import asyncio"`` or
    ``"from django.contrib.auth import alogin"``; ``safe=False`` marks rewrites that can change
    behaviour (applied only with --unsafe-fixes).
    """

    target: cst.CSTNode
    replacement: cst.CSTNode
    imports: tuple[str, ...] = ()
    safe: bool = True


@dataclass(frozen=True)
class Finding:
    node: cst.CSTNode
    code: str
    message: str
    suggestion: str | None
    function: FunctionInfo | None
    fix: Fix | None = None


class DeferringWalk(Protocol):
    """A walk that left function bodies for later (the walker, seen from the call graph)."""

    @property
    def deferred(self) -> Mapping[str, object] | None: ...

    def walk_deferred(self, local: str) -> None: ...

    def close(self) -> None: ...


@dataclass
class FileContext:
    path: str
    module: str
    is_package: bool
    settings: Settings
    catalog: Catalog
    resolver: Resolver
    project: Project | None = None
    rules: RuleSet | None = None  # what the run handed in; dependencies are walked with it too
    findings: list[Finding] = field(default_factory=list)
    tree: cst.Module | None = None  # the module being walked, set when the walk starts
    # Module-level findings placed by line (deployment rules, read with ``ast``): reported as they are.
    placed: list[Diagnostic] = field(default_factory=list)
    # A dependency walked for its sync functions (the bodies chains run through), not checked:
    # its async functions only make coroutines when called, so their bodies are not walked.
    helpers_only: bool = False
    # The walk that left this file's sync function bodies for later (``Walker.defer_sync_functions``):
    # the call graph walks one when a chain first reaches it.
    deferring: DeferringWalk | None = None

    def report(
        self,
        node: cst.CSTNode,
        code: str,
        message: str,
        suggestion: str | None,
        function: FunctionInfo | None = None,
        fix: Fix | None = None,
    ) -> None:
        """Record a finding. Findings in sync functions are kept too: they are the summaries
        that transitive analysis (an async caller of a blocking sync helper) is built from."""
        if self.settings.is_enabled(code):
            scope = function if function is not None else self.resolver.function()
            self.findings.append(Finding(node, code, message, suggestion, scope, fix))


    def report_at(self, diagnostic: Diagnostic) -> None:
        """Record a finding that belongs to the module, not to a function (ASF7xx)."""
        if self.settings.is_enabled(diagnostic.code):
            self.placed.append(diagnostic)


class Checker:
    """Base class for rule code. Override only the hooks you need; ``codes`` lists what you emit."""

    codes: ClassVar[frozenset[str]] = frozenset()

    def __init__(self, ctx: FileContext) -> None:
        self.ctx = ctx

    def on_call(self, site: CallSite) -> None:
        pass

    def on_evaluate(self, site: EvalSite) -> None:
        pass

    def on_attribute(self, site: AttributeSite) -> None:
        pass

    def on_function_exit(self, function: FunctionInfo) -> None:
        pass

    def on_module_exit(self, module: cst.Module) -> None:
        """After the whole module is walked: for rules that need every function first."""

    def on_deferred_walked(self) -> None:
        """After function bodies that a dependency's walk left for later were walked (the
        call graph asks for one function of a dependency at a time, ``Walker.walk_deferred``)."""

    def on_file_without_async(self, path: str) -> None:
        """Instead of a walk, for a file that holds no ``async def`` but passed the prefilter
        for the deployment rules (``engine/input/prefilter.py``): no tree is parsed, since no
        finding can be in an async body; only module-level findings placed by line."""


@dataclass(frozen=True)
class RuleSet:
    """What the run layer hands the engine: the rules' checkers, in dispatch order, and the type
    knowledge rule families add beyond the catalog. The engine never imports ``asyncsafe.rules``."""

    checkers: tuple[type[Checker], ...]
    providers: tuple[Callable[[Catalog], TypeProvider], ...]

    def instantiate(self, ctx: FileContext) -> list[Checker]:
        return [checker(ctx) for checker in self.checkers]
