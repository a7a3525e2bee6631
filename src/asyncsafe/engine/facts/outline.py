"""What a module defines, read without walking any body.

Its functions (async or not, generators or not, how they are decorated), its classes with their
base classes, and its module-level aliases (imports, ``x = y``). Names are canonical: decorators
and bases are resolved through the module-level bindings, as the walker binds them. An outline
depends on its own file only, so it can be built at any moment (while another file is walked)
and cached by that file's content.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import libcst as cst

from asyncsafe.catalog import builtin_catalog
from asyncsafe.config import Settings
from asyncsafe.engine.input.modules import is_package_init
from asyncsafe.engine.tree.events import FileContext
from asyncsafe.engine.tree.scopes import Resolver
from asyncsafe.engine.tree.traverse import FastVisitor
from asyncsafe.engine.tree.values import Ref
from asyncsafe.engine.tree.walker import Walker, _child_blocks

UNKNOWN_DECORATOR = "?"

# Decorators that turn an async def into a sync function that runs its own event loop.
LOOP_DECORATORS = frozenset({"asgiref.sync.async_to_sync", "asgiref.sync.AsyncToSync"})
PROPERTY_DECORATORS = frozenset({
    "builtins.property", "functools.cached_property", "django.utils.functional.cached_property",
})
# Decorators known to keep an async def a coroutine function (Django's are coroutine-aware).
_KEEPS_COROUTINES = ("builtins.staticmethod", "builtins.classmethod", "functools.wraps", "django.")


@dataclass(frozen=True)
class FunctionSymbol:
    is_async: bool
    is_generator: bool = False  # async generators only (sync ones: ``Body.generator``, from the walk)
    decorators: tuple[str, ...] = ()
    in_class: bool = False

    @property
    def offloaded(self) -> bool:
        """``@sync_to_async`` and friends: calling it returns a coroutine; the body runs in a thread."""
        return not self.is_async and not builtin_catalog().wrappers.isdisjoint(self.decorators)

    @property
    def runs_loop(self) -> bool:
        """``@async_to_sync`` on an async def: calling it starts an event loop and waits for it."""
        return self.is_async and not LOOP_DECORATORS.isdisjoint(self.decorators)

    @property
    def is_property(self) -> bool:
        return self.in_class and not PROPERTY_DECORATORS.isdisjoint(self.decorators)

    @property
    def runs_when_called(self) -> bool:
        """Calling it runs its body right here, in the caller's thread."""
        return not self.is_async and not self.offloaded

    @property
    def returns_coroutine(self) -> bool:
        return self.offloaded or (self.is_async and not self.is_generator and self._plain_async)

    @property
    def returns_async_iterator(self) -> bool:
        return self.is_async and self.is_generator and self._plain_async

    @property
    def _plain_async(self) -> bool:
        return all(d.startswith(_KEEPS_COROUTINES) for d in self.decorators)


@dataclass(frozen=True)
class ClassSymbol:
    bases: tuple[str, ...] = ()


@dataclass
class Outline:
    module: str
    path: str
    functions: dict[str, FunctionSymbol] = field(default_factory=dict)  # local qualname -> symbol
    classes: dict[str, ClassSymbol] = field(default_factory=dict)
    aliases: dict[str, str] = field(default_factory=dict)  # module-level name -> canonical name

    def to_json(self) -> dict[str, Any]:
        return {
            "module": self.module,
            "path": self.path,
            "functions": {
                name: [f.is_async, f.is_generator, list(f.decorators), f.in_class]
                for name, f in self.functions.items()
            },
            "classes": {name: list(c.bases) for name, c in self.classes.items()},
            "aliases": self.aliases,
        }

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> Outline:
        return cls(
            module=data["module"],
            path=data["path"],
            functions={
                name: FunctionSymbol(bool(a), bool(g), tuple(d), bool(c))
                for name, (a, g, d, c) in data["functions"].items()
            },
            classes={name: ClassSymbol(tuple(bases)) for name, bases in data["classes"].items()},
            aliases=dict(data["aliases"]),
        )


def build_outline(module: str, path: str, tree: cst.Module, settings: Settings) -> Outline:
    ctx = FileContext(
        path=path,
        module=module,
        is_package=is_package_init(path),
        settings=settings,
        catalog=builtin_catalog(),
        resolver=Resolver([]),
    )
    walker = Walker(ctx, [])
    scope = walker.prescan(tree)
    outline = Outline(module, path)
    _Scanner(walker.resolver, outline).scan(tree.body, prefix="", in_class=False)
    for name, value in scope.bindings.items():
        if isinstance(value, Ref) and value.qualname != f"{module}.{name}":
            outline.aliases[name] = value.qualname
    return outline


class _Scanner:
    def __init__(self, resolver: Resolver, outline: Outline) -> None:
        self.resolver = resolver
        self.outline = outline

    def scan(self, body: Sequence[cst.CSTNode], prefix: str, in_class: bool) -> None:
        for statement in body:
            if isinstance(statement, cst.FunctionDef):
                self._function(statement, prefix, in_class)
            elif isinstance(statement, cst.ClassDef):
                local = prefix + statement.name.value
                bases = tuple(self._name_of(arg.value) for arg in statement.bases)
                self.outline.classes[local] = ClassSymbol(bases)
                self.scan(_statements(statement.body), f"{local}.", in_class=True)
            elif isinstance(statement, (cst.SimpleStatementLine, cst.SimpleStatementSuite)):
                for small in statement.body:
                    self._lambda(small, prefix, in_class)
            else:
                self.scan(_child_blocks(statement), prefix, in_class)

    def _function(self, node: cst.FunctionDef, prefix: str, in_class: bool) -> None:
        local = prefix + node.name.value
        if local in self.outline.functions and _is_accessor(node):
            return  # ``@name.setter``: the getter stays what reading the property runs
        self.outline.functions[local] = FunctionSymbol(
            is_async=node.asynchronous is not None,
            is_generator=node.asynchronous is not None and _yields(node.body),
            decorators=tuple(self._name_of(d.decorator) for d in node.decorators),
            in_class=in_class,
        )
        self.scan(_statements(node.body), f"{local}.<locals>.", in_class=False)

    def _lambda(self, node: cst.BaseSmallStatement, prefix: str, in_class: bool) -> None:
        if isinstance(node, cst.Assign) and isinstance(node.value, cst.Lambda):
            if len(node.targets) == 1 and isinstance(node.targets[0].target, cst.Name):
                local = prefix + node.targets[0].target.value
                self.outline.functions[local] = FunctionSymbol(is_async=False, in_class=in_class)

    def _name_of(self, expression: cst.BaseExpression) -> str:
        """Canonical name of a decorator (or decorator factory) or base class."""
        if isinstance(expression, cst.Call):
            expression = expression.func
        value = self.resolver.resolve(expression)
        return value.qualname if isinstance(value, Ref) else UNKNOWN_DECORATOR


def _is_accessor(node: cst.FunctionDef) -> bool:
    return any(
        isinstance(d.decorator, cst.Attribute) and d.decorator.attr.value in ("setter", "deleter")
        for d in node.decorators
    )


def _statements(suite: cst.BaseSuite) -> Sequence[cst.CSTNode]:
    if isinstance(suite, cst.IndentedBlock):
        return suite.body
    return [suite] if isinstance(suite, cst.SimpleStatementSuite) else []


class _YieldFinder(FastVisitor):
    """A ``yield`` in this function's own body (not in a nested def, lambda or class)."""

    def __init__(self) -> None:
        super().__init__()
        self.found = False

    def visit_Yield(self, node: cst.Yield) -> bool:
        self.found = True
        return False

    def visit_FunctionDef(self, node: cst.FunctionDef) -> bool:
        return False

    def visit_Lambda(self, node: cst.Lambda) -> bool:
        return False

    def visit_ClassDef(self, node: cst.ClassDef) -> bool:
        return False


def _yields(body: cst.BaseSuite) -> bool:
    finder = _YieldFinder()
    finder.walk(body)
    return finder.found
