"""Scopes, bindings and the expression resolver (the engine's light type facts).

A scope maps local names to what they hold. Function bodies see the *final* module-level
bindings (they run after the module has been imported); inside a function, bindings are
updated in program order, so a reassignment clears or replaces what a name held.
"""

from __future__ import annotations

import builtins
from collections.abc import Iterable
from dataclasses import dataclass, field
from enum import Enum
from typing import TYPE_CHECKING, Protocol, runtime_checkable

import libcst as cst

from asyncsafe.engine.tree.declarations import Declarations
from asyncsafe.engine.tree.values import UNKNOWN, Instance, Member, Ref, Value

if TYPE_CHECKING:
    from asyncsafe.engine.tree.events import FileContext

BUILTIN_NAMES = frozenset(dir(builtins))
UNWRAPPED_ANNOTATIONS = frozenset(
    f"{module}.{name}"
    for module in ("typing", "typing_extensions")
    for name in ("Optional", "Annotated", "ClassVar", "Final")
)


def _is_none(node: cst.BaseExpression) -> bool:
    return isinstance(node, cst.Name) and node.value == "None" or (
        isinstance(node, cst.SimpleString) and node.evaluated_value == "None"
    )


class ScopeKind(Enum):
    MODULE = "module"
    CLASS = "class"
    FUNCTION = "function"
    LAMBDA = "lambda"
    COMPREHENSION = "comprehension"


@dataclass(eq=False)
class FunctionInfo:
    """A ``def``/``async def``/``lambda`` being walked. ``calls`` feeds transitive analysis."""

    qualname: str
    is_async: bool
    node: cst.CSTNode
    class_qualname: str | None = None
    decorators: list[Value] = field(default_factory=list)
    calls: list[tuple[cst.Call, Value, bool]] = field(default_factory=list)
    is_generator: bool = False  # a yield in its own body: calling it runs nothing yet


@dataclass(eq=False)
class Scope:
    kind: ScopeKind
    bindings: dict[str, Value] = field(default_factory=dict)
    function: FunctionInfo | None = None
    qualname: str = ""
    paths: dict[str, Value] = field(default_factory=dict)  # `request.user = ...` in this scope


class TypeProvider(Protocol):
    """Knowledge the resolver consults, in order; ``None`` means "not mine"."""

    def call_result(
        self, callee: Value, call: cst.Call | None, resolver: Resolver
    ) -> Value | None: ...

    def member(self, receiver: Value, name: str) -> Value | None: ...

    def annotation(self, qualname: str) -> Value | None: ...

    def element(self, iterable: Value) -> Value | None: ...

    def entered(self, manager: Value) -> Value | None: ...

    def awaited(self, awaitable: Value, node: cst.BaseExpression) -> Value | None: ...

    def subscript(self, value: Value, node: cst.Subscript) -> Value | None: ...


def dict_instance(items: Iterable[tuple[str | None, Value]]) -> Instance:
    """A dict whose values are known: ``Instance("builtins.dict", ((key, value), ...))``.
    Keys are string-literal keys (None for others and for ``**spread`` entries)."""
    return Instance("builtins.dict", tuple(items))


def _key_text(key: cst.BaseExpression) -> str | None:
    if isinstance(key, cst.SimpleString):
        value = key.evaluated_value
        return value if isinstance(value, str) else None
    return None


def dotted(node: cst.BaseExpression | None) -> str | None:
    """``a.b.c`` for a chain of names, else None."""
    if isinstance(node, cst.Name):
        return node.value
    if isinstance(node, cst.Attribute):
        base = dotted(node.value)
        return f"{base}.{node.attr.value}" if base else None
    return None


@runtime_checkable
class FileAware(Protocol):
    """Optional for providers: told which file is analyzed (its module, settings and project)
    before the walk starts, for knowledge that depends on the file (e.g. the project's models)."""

    def start_file(self, ctx: FileContext) -> None: ...


class Resolver:
    def __init__(self, providers: list[TypeProvider]) -> None:
        self.providers = providers
        self.scopes: list[Scope] = []
        self.declarations = Declarations()

    # --- scopes --------------------------------------------------------------------------------
    @property
    def current(self) -> Scope:
        return self.scopes[-1]

    def function(self) -> FunctionInfo | None:
        for scope in reversed(self.scopes):
            if scope.function is not None:
                return scope.function
            if scope.kind is ScopeKind.CLASS:
                return None
        return None

    def bind(self, name: str, value: Value) -> None:
        """Bind a name; the attribute paths recorded under it no longer hold."""
        self._forget_paths_under(name)
        self.current.bindings[name] = value

    def bind_path(self, path: str, value: Value) -> None:
        """``request.user = await request.auser()``: what ``request.user`` holds from here on."""
        self._forget_paths_under(path)
        self.current.paths[path] = value

    def _forget_paths_under(self, prefix: str) -> None:
        paths = self.current.paths
        if paths:
            for stale in [path for path in paths if path.startswith(f"{prefix}.")]:
                del paths[stale]

    def unbind(self, name: str) -> None:
        self.current.bindings.pop(name, None)

    def lookup(self, name: str) -> Value:
        innermost = self.scopes[-1] if self.scopes else None
        for scope in reversed(self.scopes):
            if scope.kind is ScopeKind.CLASS and scope is not innermost:
                continue  # class bodies are not enclosing scopes for their methods
            if name in scope.bindings:
                return scope.bindings[name]
        if name in BUILTIN_NAMES:
            return Ref(f"builtins.{name}")
        return UNKNOWN

    # --- expressions ---------------------------------------------------------------------------
    def resolve(self, node: cst.BaseExpression) -> Value:
        if isinstance(node, cst.Name):
            return self.lookup(node.value)
        if isinstance(node, cst.Attribute):
            return self._resolve_attribute(node, dotted(node))
        if isinstance(node, cst.Call):
            return self.call_result(self.resolve(node.func), node)
        if isinstance(node, cst.Await):
            return self._ask("awaited", self.resolve(node.expression), node)
        if isinstance(node, cst.Subscript):
            return self._ask("subscript", self.resolve(node.value), node)
        if isinstance(node, cst.BinaryOperation) and isinstance(node.operator, cst.Divide):
            left = self.resolve(node.left)
            if isinstance(left, Instance):
                return self.call_result(self.member(left, "__truediv__"), None)
        if isinstance(node, cst.NamedExpr):
            return self.resolve(node.value)
        if isinstance(node, cst.Dict):
            return dict_instance(
                (_key_text(e.key), self.resolve(e.value)) if isinstance(e, cst.DictElement)
                else (None, self.resolve(e.value))
                for e in node.elements
            )
        return UNKNOWN

    def _resolve_attribute(self, node: cst.Attribute, path: str | None) -> Value:
        """``path`` is ``dotted(node)``, handed down the chain: computing it at every link made
        resolving an n-link chain O(n^2)."""
        assigned = self._assigned_path(path) if path is not None else None
        if assigned is not None:
            return assigned
        if isinstance(node.value, cst.Attribute):
            base_path = path.rpartition(".")[0] if path is not None else None
            receiver = self._resolve_attribute(node.value, base_path)
        else:
            receiver = self.resolve(node.value)
        return self.member(receiver, node.attr.value)

    def _assigned_path(self, path: str) -> Value | None:
        """What ``a.b.c = value`` stored earlier in the enclosing function scopes, if anything."""
        for scope in reversed(self.scopes):
            if scope.kind is ScopeKind.MODULE:
                return None
            if path in scope.paths:
                return scope.paths[path]
            if path.split(".")[0] in scope.bindings:
                return None  # the base name is local here: an outer path is not the same object
        return None

    def parameter(self, function: FunctionInfo, name: str, position: int) -> Value:
        """What an unannotated parameter holds, judged by providers that know conventions
        (the first parameter of a view is the request). ``position`` skips ``self``/``cls``."""
        for provider in self.providers:
            hook = getattr(provider, "parameter", None)
            found = hook(function, name, position, self) if hook is not None else None
            if found is not None:
                return found  # type: ignore[no-any-return]
        return UNKNOWN

    def member(self, base: Value, attr: str) -> Value:
        if isinstance(base, Ref):
            base = self.declarations.typed(base) or base
        for provider in self.providers:
            found = provider.member(base, attr)
            if found is not None:
                return found
        if isinstance(base, Ref):
            return base.member(attr)
        if isinstance(base, Instance):
            return self.declarations.attribute(base, attr) or Member(base, attr)
        return UNKNOWN

    def call_result(self, callee: Value, call: cst.Call | None) -> Value:
        for provider in self.providers:
            found = provider.call_result(callee, call, self)
            if found is not None:
                return found
        return self.declarations.construct(callee) or UNKNOWN

    def annotation(self, node: cst.BaseExpression | None) -> Value:
        """What a parameter or attribute annotated with ``node`` holds (``X | None`` -> X)."""
        if node is None:
            return UNKNOWN
        if isinstance(node, cst.SimpleString):
            try:
                node = cst.parse_expression(node.evaluated_value)  # type: ignore[arg-type]
            except (cst.ParserSyntaxError, TypeError):
                return UNKNOWN
        if isinstance(node, cst.BinaryOperation) and isinstance(node.operator, cst.BitOr):
            return self._union_annotation([node.left, node.right])
        if isinstance(node, cst.Subscript):
            found = self._subscripted_annotation(node)
            if found is not None:
                return found
        target = self.resolve(node)
        if isinstance(target, Ref):
            return self._ask_name("annotation", target.qualname)
        return UNKNOWN

    def _subscripted_annotation(self, node: cst.Subscript) -> Value | None:
        """``Optional[X]``/``ClassVar[X]``/``Final[X]``/``Annotated[X, ...]`` -> X; ``Union[X, Y]``
        -> the first known; a generic such as ``QuerySet[Book]`` or ``redis.Redis[bytes]`` -> what
        the class says."""
        outer = self.resolve(node.value)
        if not isinstance(outer, Ref):
            return None
        arguments = [e.slice.value for e in node.slice if isinstance(e.slice, cst.Index)]
        if outer.qualname in UNWRAPPED_ANNOTATIONS:
            return self.annotation(arguments[0]) if arguments else UNKNOWN
        if outer.qualname == "typing.Union":
            return self._union_annotation(arguments)
        return self._ask_name("annotation", outer.qualname)

    def _union_annotation(self, members: list[cst.BaseExpression]) -> Value:
        """``X | None`` is an X; ``list | QuerySet`` may be a list, so it is nothing known."""
        types = [self.annotation(m) for m in members if not _is_none(m)]
        if types and all(t == types[0] for t in types):
            return types[0]
        return UNKNOWN

    def element(self, iterable: Value) -> Value:
        return self._ask("element", iterable)

    def entered(self, manager: Value) -> Value:
        return self._ask("entered", manager)

    def _ask(self, hook: str, value: Value, *extra: object) -> Value:
        if value is UNKNOWN and hook != "awaited":
            return UNKNOWN
        for provider in self.providers:
            found = getattr(provider, hook)(value, *extra)
            if found is not None:
                return found  # type: ignore[no-any-return]
        return UNKNOWN

    def _ask_name(self, hook: str, qualname: str) -> Value:
        for provider in self.providers:
            found = getattr(provider, hook)(qualname)
            if found is not None:
                return found  # type: ignore[no-any-return]
        return UNKNOWN
