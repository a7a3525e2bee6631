"""What calling a project function gives its caller (issue 16: values across function boundaries).

A project function, method, staticmethod, classmethod or property hands its caller what it
returns: the type its annotation names (``-> Optional[Conversation]``, ``-> QuerySet[Book]``,
``-> "Book"``), else what every ``return`` statement of its body resolves to, when they agree.
An ``async def`` (or an ``@sync_to_async`` helper) gives that value once awaited.

The callee is read from the module's ``ast`` summary (the model index already holds it): its
return annotation, else its return values, with the local assignments they depend on (in source
order), each re-parsed alone with libcst and resolved with every type provider in the callee's
module scope; no body is walked. Answers are memoized per process and project, with what they
read (``engine/reads.py``). Precision first: a value is handed over only
when it is an object of a known type (a QuerySet, a manager, a model instance, a tracked client,
a coroutine); disagreeing returns, unknown decorators and generators give nothing.

``sync_to_async(f)(...)`` gives, once awaited, what ``f(...)`` gives: ``Model.objects.filter``
or ``user.groups.all`` run in the thread only *build* a QuerySet, which comes back unevaluated
(``QuerySetInfo.offloaded``, rule ASF112).
"""

from __future__ import annotations

import ast
from collections.abc import Sequence
from dataclasses import replace

import libcst as cst

from asyncsafe.catalog import Catalog
from asyncsafe.config import Settings
from asyncsafe.django.index import ModelIndex
from asyncsafe.django.methods import own_nodes
from asyncsafe.django.orm import (
    QUERYSET,
    QUERYSET_KINDS,
    Loaded,
    ModelInstance,
    OrmTypes,
    QuerySetInfo,
)
from asyncsafe.django.summary import Function, ModuleSummary
from asyncsafe.engine.cache.reads import recorded
from asyncsafe.engine.facts.callgraph import SELF, SUPER, Callee
from asyncsafe.engine.facts.outline import KEEPS_COROUTINES, FunctionSymbol
from asyncsafe.engine.facts.project import Project
from asyncsafe.engine.facts.project_types import SYNC_TO_ASYNC, graph_for
from asyncsafe.engine.tree.awaitables import coroutine, is_coroutine
from asyncsafe.engine.tree.declarations import NONE
from asyncsafe.engine.tree.events import FileContext, RuleSet
from asyncsafe.engine.tree.providers import FileTypes
from asyncsafe.engine.tree.scopes import Resolver, Scope, ScopeKind
from asyncsafe.engine.tree.values import UNKNOWN, Instance, Member, Ref, Value

RETURNS = "asyncsafe.returns"
PROJECT_GENERATOR = "asyncsafe.generator"  # Instance.info: the Callee whose generator it is
CONTEXT_MANAGER = "contextlib.contextmanager"
# Decorators that leave what a function returns as it is.
TRANSPARENT = frozenset({
    "builtins.staticmethod", "builtins.classmethod", "builtins.property",
    "functools.cached_property", "django.utils.functional.cached_property",
    "functools.cache", "functools.lru_cache",
})
QUERYSET_CLASSES = frozenset({"django.db.models.QuerySet", "django.db.models.query.QuerySet"})
MAX_NESTING = 6
# Calls whose string arguments name what they give: an attribute, a model.
LITERAL_LOOKUPS = frozenset({"builtins.getattr", "django.apps.apps.get_model", "django.apps.registry.apps.get_model"})  # inference of a callee that calls other project functions, and so on


class ReturnIndex:
    """What each project function returns; per project and process (``Project.facts``)."""

    def __init__(self, project: Project) -> None:
        self.project = project
        self.settings: Settings | None = None
        self.catalog: Catalog | None = None
        self.rules: RuleSet | None = None
        self._memo: dict[tuple[str, str], Value] = {}
        self._nodes: dict[tuple[str, str], tuple[Function, str | None] | None] = {}
        self._facts: dict[tuple[str, str, str], object] = {}  # the other per-function answers
        self._contexts: dict[str, FileContext] = {}
        self._worth: dict[int, tuple[bool, bool]] = {}  # id() of a summary's function node
        self._nesting = 0

    @recorded
    def returned(self, module: str, local: str) -> Value:
        """What calling ``module.local`` gives (awaited, for an async def): UNKNOWN when unsure."""
        key = (module, local)
        if key not in self._memo:
            self._memo[key] = UNKNOWN  # a recursive function: nothing known while inferring
            if self._nesting < MAX_NESTING:
                self._nesting += 1
                try:
                    self._memo[key] = self._infer(module, local)
                except BaseException:
                    del self._memo[key]  # e.g. a RecursionError: the deeper retry asks again
                    raise
                finally:
                    self._nesting -= 1
        return self._memo[key]

    @recorded
    def keeps_coroutines(self, module: str, local: str) -> bool:
        """Does the project decorator ``module.local`` keep an ``async def`` a coroutine function
        (a ``functools.wraps``-style wrapper that is itself async, or forwards to it)?"""
        found = self._node(module, local)
        return found is not None and found[1] is None and _keeps_async(found[0])

    def _node(self, module: str, local: str) -> tuple[Function, str | None] | None:
        """The function's ``ast`` (and its class's name, for a method)."""
        key = (module, local)
        if key not in self._nodes:
            summary = ModelIndex.for_project(self.project).summary(module)
            self._nodes[key] = _function_node(summary, local) if summary is not None else None
        return self._nodes[key]

    def function_named(self, callee: Value) -> Function | None:
        """The ``ast`` of the project function a call of ``callee`` runs: a module function
        (``Ref``) or a method found on the receiver's class or its project bases (``Member``)."""
        index = ModelIndex.for_project(self.project)
        if isinstance(callee, Ref):
            split = index.module_of(callee.qualname)
            found = self._node(*split) if split is not None else None
        elif isinstance(callee, Member) and index.in_project(callee.receiver.type_name):
            method = index.find_method(callee.receiver.type_name, callee.name)
            found = (method[0], None) if method is not None else None
        else:
            found = None
        return found[0] if found is not None else None

    def worth(self, function: Function) -> tuple[bool, bool]:
        """(calling it may give a value, it is a property): read once per function."""
        key = id(function)
        if key not in self._worth:
            called = bool(
                function.decorator_list or function.returns is not None
                or _may_return_an_object(function)
                or (not isinstance(function, ast.AsyncFunctionDef) and _is_generator(function))
            )
            read = any("property" in ast.unparse(d) for d in function.decorator_list)
            self._worth[key] = (called, read)
        return self._worth[key]

    @recorded
    def generator(self, module: str, local: str) -> bool:
        """Is ``module.local`` a sync generator function (calling it runs nothing yet)?"""
        key = ("generator", module, local)
        if key not in self._facts:
            found = self._node(module, local)
            sync = found is not None and not isinstance(found[0], ast.AsyncFunctionDef)
            self._facts[key] = sync and found is not None and _is_generator(found[0])
        return bool(self._facts[key])

    @recorded
    def dropped_calls(self, module: str, local: str) -> tuple[tuple[str, ...], dict[str, int]]:
        """The positional parameters of ``module.local`` and, for those it calls as a statement of
        its own (the result dropped: ``callback(request)``), the line of that call."""
        found = self._node(module, local)
        if found is None:
            return (), {}
        function = found[0]
        names = _positional(function)
        dropped: dict[str, int] = {}
        for node in own_nodes(function):
            if isinstance(node, ast.Expr) and isinstance(node.value, ast.Call):
                called = node.value.func
                if isinstance(called, ast.Name) and called.id in names:
                    dropped.setdefault(called.id, node.lineno)
        return names, dropped

    @recorded
    def parameter_reads(self, module: str, local: str) -> tuple[tuple[str, ...], dict[str, tuple[tuple[str, int], ...]]]:
        """The positional parameters of ``module.local`` and, per parameter it never rebinds, the
        attributes it reads off it (``param.attr``, not called), each with its first line."""
        key = ("reads", module, local)
        if key not in self._facts:
            self._facts[key] = self._parameter_reads(module, local)
        return self._facts[key]  # type: ignore[return-value]

    def _parameter_reads(self, module: str, local: str) -> tuple[tuple[str, ...], dict[str, tuple[tuple[str, int], ...]]]:
        found = self._node(module, local)
        if found is None:
            return (), {}
        function = found[0]
        names = _positional(function)
        nodes = own_nodes(function)
        rebound = {n.id for n in nodes if isinstance(n, ast.Name) and not isinstance(n.ctx, ast.Load)}
        called = {id(n.func) for n in nodes if isinstance(n, ast.Call)}
        reads: dict[str, dict[str, int]] = {}
        for node in nodes:
            if isinstance(node, ast.Attribute) and isinstance(node.ctx, ast.Load) and id(node) not in called:
                owner = node.value
                if isinstance(owner, ast.Name) and owner.id in names and owner.id not in rebound:
                    reads.setdefault(owner.id, {}).setdefault(node.attr, node.lineno)
        return names, {name: tuple(attrs.items()) for name, attrs in reads.items()}

    def _infer(self, module: str, local: str) -> Value:
        summary = ModelIndex.for_project(self.project).summary(module)
        found = self._node(module, local)
        if found is None or summary is None:
            return UNKNOWN
        function, owner = found
        if function.returns is None and not _may_return_an_object(function):
            return UNKNOWN  # no return could give an object of a known type
        if not isinstance(function, ast.AsyncFunctionDef) and _is_generator(function):
            return UNKNOWN
        resolver = self._resolver(module)
        if resolver is None:
            return UNKNOWN
        outer = resolver.scopes  # a callee of the same module may be inferring with it
        resolver.scopes = [Scope(ScopeKind.MODULE, _module_bindings(summary), qualname=module)]
        if owner is not None:
            resolver.scopes.append(Scope(ScopeKind.CLASS, qualname=f"{module}.{owner}"))
        try:
            return self._returned_value(function, owner, resolver)
        finally:
            resolver.scopes = outer

    def _returned_value(self, function: Function, owner: str | None, resolver: Resolver) -> Value:
        if function.returns is not None:
            annotation = _expression(function.returns)
            orm = next(p for p in resolver.providers if isinstance(p, OrmTypes))
            return _annotated(annotation, resolver, orm) if annotation is not None else UNKNOWN
        resolver.scopes.append(Scope(ScopeKind.FUNCTION, _parameters(function, resolver, owner)))
        returned = [v for v in _own_returns(function) if v is not None]
        _bind_locals(function, returned, resolver)
        return agreed([_resolved(v, resolver) for v in returned])

    def _resolver(self, module: str) -> Resolver | None:
        """A resolver with every type provider, in the callee's module (and class) scope; one
        file context per module (its providers are what costs)."""
        path = self.project.modules.get(module)
        if path is None or self.settings is None or self.rules is None:
            return None
        if module not in self._contexts:
            from asyncsafe.catalog import builtin_catalog
            from asyncsafe.engine.facts.context import build_context

            catalog = self.catalog or builtin_catalog()
            ctx = build_context(path, self.settings, catalog, self.rules, self.project)
            for provider in ctx.resolver.providers:
                if isinstance(provider, ReturnTypes):
                    provider.inferring = True  # the callee's own calls are followed, sync or not
            self._contexts[module] = ctx
        return self._contexts[module].resolver


def _expression(node: ast.expr) -> cst.BaseExpression | None:
    """An expression of the callee as libcst sees it (only the ones a return depends on)."""
    try:
        return cst.parse_expression(ast.unparse(node))
    except (cst.ParserSyntaxError, ValueError, RecursionError):
        return None


def _resolved(node: ast.expr, resolver: Resolver) -> Value:
    expression = _expression(node)
    return resolver.resolve(expression) if expression is not None else UNKNOWN


def _parameters(function: Function, resolver: Resolver, owner: str | None) -> dict[str, Value]:
    """What the parameters hold: ``self``/``cls`` of a method, annotated ones, nothing else."""
    decorators = {ast.unparse(d) for d in function.decorator_list}
    positional = [*function.args.posonlyargs, *function.args.args]
    bound: dict[str, Value] = {}
    for index, argument in enumerate([*positional, *function.args.kwonlyargs]):
        value: Value = UNKNOWN
        if index == 0 and owner is not None and positional and "staticmethod" not in decorators:
            qualname = f"{resolver.scopes[0].qualname}.{owner}"
            value = Ref(qualname) if "classmethod" in decorators else Instance(qualname, SELF)
        elif argument.annotation is not None:
            annotation = _expression(argument.annotation)
            value = resolver.annotation(annotation) if annotation is not None else UNKNOWN
        bound[argument.arg] = value
    return bound


def _bind_locals(function: Function, returned: list[ast.expr], resolver: Resolver) -> None:
    """Bind the local names the returns depend on, from their assignments in source order; a
    name bound any other way (a loop, a with, unpacking), or to values that disagree, holds
    nothing known."""
    nodes = own_nodes(function)
    assigned: list[tuple[str, ast.expr]] = []
    for node in nodes:
        if isinstance(node, ast.Assign) and len(node.targets) == 1 and isinstance(node.targets[0], ast.Name):
            assigned.append((node.targets[0].id, node.value))
        elif isinstance(node, ast.AnnAssign) and isinstance(node.target, ast.Name) and node.value:
            assigned.append((node.target.id, node.value))
    unsure = _other_binders(nodes, assigned)
    needed = _needed(returned, assigned)
    scope = resolver.current
    values: dict[str, list[Value]] = {}
    for name, value in assigned:
        if name in needed:
            scope.bindings[name] = _resolved(value, resolver)
            values.setdefault(name, []).append(scope.bindings[name])
    for name, found in values.items():
        same = len({_shape(v) for v in found}) == 1 and name not in unsure
        scope.bindings[name] = found[0] if same else UNKNOWN


def _other_binders(nodes: Sequence[ast.AST], assigned: list[tuple[str, ast.expr]]) -> set[str]:
    """Names also bound by something other than a plain assignment (counted once per target)."""
    plain = {id(value) for _, value in assigned}
    stores = [n for n in nodes if isinstance(n, ast.Name) and not isinstance(n.ctx, ast.Load)]
    targets = [
        n.targets[0] for n in nodes
        if isinstance(n, ast.Assign) and len(n.targets) == 1 and id(n.value) in plain
    ] + [n.target for n in nodes if isinstance(n, ast.AnnAssign) and n.value is not None and id(n.value) in plain]
    counted = {id(t) for t in targets}
    return {n.id for n in stores if id(n) not in counted}


def _needed(returned: list[ast.expr], assigned: list[tuple[str, ast.expr]]) -> set[str]:
    """Local names the return values read, directly or through other assignments."""
    by_name: dict[str, list[ast.expr]] = {}
    for name, value in assigned:
        by_name.setdefault(name, []).append(value)
    needed: set[str] = set()
    pending = list(returned)
    while pending:
        for node in ast.walk(pending.pop()):
            if isinstance(node, ast.Name) and node.id in by_name and node.id not in needed:
                needed.add(node.id)
                pending.extend(by_name[node.id])
    return needed


def _function_node(summary: ModuleSummary, local: str) -> tuple[Function, str | None] | None:
    parts = local.split(".")
    if len(parts) == 1:
        function = summary.functions.get(parts[0])
        return (function, None) if function is not None else None
    if len(parts) == 2 and parts[0] in summary.classes:
        method = summary.classes[parts[0]].methods.get(parts[1])
        return (method, parts[0]) if method is not None else None
    return None


# Return values that are never an object of a known type: a literal, a computed value.
PLAIN_VALUES = (
    ast.Constant, ast.JoinedStr, ast.List, ast.Tuple, ast.Dict, ast.Set, ast.ListComp,
    ast.DictComp, ast.SetComp, ast.GeneratorExp, ast.Compare, ast.BoolOp, ast.UnaryOp, ast.BinOp,
    ast.Lambda,
)


def _may_return_an_object(function: Function) -> bool:
    """Some ``return`` gives a value, and none gives a plain one (which makes the returns
    disagree, so nothing is handed over): only then is the body worth walking."""
    values = [v for v in _own_returns(function) if not (isinstance(v, ast.Constant) and v.value is None)]
    return all(v is not None and not isinstance(v, PLAIN_VALUES) for v in values) and bool(values)


def _positional(function: Function) -> tuple[str, ...]:
    return tuple(a.arg for a in (*function.args.posonlyargs, *function.args.args))


def _keeps_async(decorator: Function) -> bool:
    """``def deco(func)`` returning ``func`` itself, an inner ``async def``, an inner ``def`` whose
    every return is ``func(...)`` (the coroutine, forwarded), or (a decorator factory) an inner
    decorator that does one of these. Anything else is not known to keep a coroutine."""
    if isinstance(decorator, ast.AsyncFunctionDef):
        return False
    arguments = _positional(decorator)
    wrapped = arguments[0] if arguments else None
    inner = {
        node.name: node for node in ast.walk(decorator)
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)) and node is not decorator
    }
    returned = _own_returns(decorator)
    return bool(returned) and all(_kept(value, wrapped, inner) for value in returned)


def _kept(value: ast.expr | None, wrapped: str | None, inner: dict[str, Function]) -> bool:
    if not isinstance(value, ast.Name):
        return False
    if value.id == wrapped:
        return True  # registers and returns the function itself
    function = inner.get(value.id)
    if function is None:
        return False
    if isinstance(function, ast.AsyncFunctionDef):
        return True
    forwards = all(
        isinstance(r, ast.Call) and isinstance(r.func, ast.Name) and r.func.id == wrapped
        for r in _own_returns(function)
    )
    return (forwards and bool(_own_returns(function))) or _keeps_async(function)


def _own_returns(function: Function) -> list[ast.expr | None]:
    """The values of ``function``'s own ``return`` statements (not those of nested functions)."""
    return [node.value for node in own_nodes(function) if isinstance(node, ast.Return)]


def _is_generator(function: Function) -> bool:
    return any(isinstance(node, (ast.Yield, ast.YieldFrom)) for node in own_nodes(function))


def _literals(call: cst.Call) -> list[str | None]:
    """The call's positional arguments: each string literal's text, None for anything else."""
    texts: list[str | None] = []
    for arg in call.args:
        if arg.keyword is not None or arg.star:
            break
        value = arg.value.evaluated_value if isinstance(arg.value, cst.SimpleString) else None
        texts.append(value if isinstance(value, str) else None)
    return texts


def _module_bindings(summary: ModuleSummary) -> dict[str, Value]:
    bindings: dict[str, Value] = {name: Ref(q) for name, q in summary.imports.items()}
    for name in (*summary.assigns, *summary.classes, *summary.functions):
        bindings[name] = Ref(f"{summary.module}.{name}")
    return bindings


def _annotated(annotation: cst.BaseExpression, resolver: Resolver, orm: OrmTypes) -> Value:
    """What a return annotation promises; ``QuerySet[Book]`` is trusted here (unlike on a
    parameter, where libraries annotate duck-typed arguments that way)."""
    if isinstance(annotation, cst.SimpleString):
        try:
            annotation = cst.parse_expression(str(annotation.evaluated_value))
        except (cst.ParserSyntaxError, TypeError):
            return UNKNOWN
    queryset = _queryset_annotation(annotation, resolver, orm)
    if queryset is not None:
        return queryset
    found = resolver.annotation(annotation)
    return found if _handed_over(found) else UNKNOWN


def _queryset_annotation(annotation: cst.BaseExpression, resolver: Resolver, orm: OrmTypes) -> Value | None:
    outer = annotation.value if isinstance(annotation, cst.Subscript) else annotation
    target = resolver.resolve(outer)
    if not isinstance(target, Ref) or target.qualname not in QUERYSET_CLASSES:
        return None
    model: str | None = None
    if isinstance(annotation, cst.Subscript) and annotation.slice:
        inner = annotation.slice[0].slice
        if isinstance(inner, cst.Index):
            is_class, found = orm.model_class(resolver.resolve(inner.value))
            model = found.qualname if is_class and found is not None else None
    found_model = orm.index.model(model) if model else None
    spec = found_model.default_manager if found_model is not None else QuerySetInfo(None).manager
    return Instance(QUERYSET, QuerySetInfo(model, spec, loaded=Loaded(everything=True)))


def agreed(values: list[Value]) -> Value:
    """One value for every ``return`` (``return None`` aside), when they agree on what it is."""
    known = [value for value in values if value != NONE]
    if not known or not all(_handed_over(value) for value in known):
        return UNKNOWN
    first = known[0]
    assert isinstance(first, Instance)
    shapes = {_shape(value) for value in known}
    if len(shapes) == 1:
        return first
    if all(isinstance(v, Instance) and isinstance(v.info, ModelInstance) for v in known):
        if len({v.type_name for v in known if isinstance(v, Instance)}) == 1:
            return Instance(first.type_name, ModelInstance(Loaded(everything=True)))
    return UNKNOWN


def _handed_over(value: Value) -> bool:
    """An object of a known type, not one of the function's own (``self``) nor a plain builtin."""
    if not isinstance(value, Instance) or value.type_name.startswith("builtins."):
        return False
    if is_coroutine(value):
        return True
    return value.info not in (SELF, SUPER)


def _shape(value: Value) -> object:
    """What a value is, whatever node made it (``origin`` only keeps two QuerySets apart)."""
    if isinstance(value, Instance) and isinstance(value.info, (QuerySetInfo, ModelInstance)):
        return Instance(value.type_name, replace(value.info, origin=0))
    return value


def restamped(value: Value, origin: int) -> Value:
    """``value`` as made by the caller's call: two calls never give the same QuerySet."""
    if isinstance(value, Instance) and isinstance(value.info, (QuerySetInfo, ModelInstance)):
        return Instance(value.type_name, replace(value.info, origin=origin))
    return value


class ReturnTypes(FileTypes):
    """The ``TypeProvider`` that hands callers what project functions return: to async code (and
    to the walks that infer a return), where a value can block the event loop. Sync code is
    judged through the call graph's own summaries; following every call there costs outlines of
    most of the project."""

    inferring = False

    def _index(self) -> ReturnIndex | None:
        return self.index_of(self.ctx) if self.ctx is not None else None

    @staticmethod
    def index_of(ctx: FileContext) -> ReturnIndex | None:
        """The project's ``ReturnIndex`` (None without a project)."""
        if ctx.project is None:
            return None
        index = ctx.project.facts(RETURNS, ReturnIndex)
        if index.settings is None:
            index.settings, index.catalog, index.rules = ctx.settings, ctx.catalog, ctx.rules
        return index

    def call_result(self, callee: Value, call: cst.Call | None, resolver: Resolver) -> Value | None:
        if isinstance(callee, Instance) and callee.type_name == SYNC_TO_ASYNC:
            return self._offloaded(call, resolver)
        if isinstance(callee, Ref) and call is not None and callee.qualname in LITERAL_LOOKUPS:
            return self._literal_lookup(callee.qualname, _literals(call), call, resolver)
        if not self._followed(resolver) or not self._worth_a_lookup(callee, attribute=False):
            return None
        target = self._callee(callee, attribute=False)
        if target is None:
            return None
        symbol = target.symbol
        if symbol.runs_when_called:
            index = self._index()
            if symbol.decorators == (CONTEXT_MANAGER,) and index is not None:
                if index.generator(target.module, target.local):
                    return Instance(PROJECT_GENERATOR, target)  # its body runs on enter and exit
            if not TRANSPARENT.issuperset(symbol.decorators):
                return None
            if index is not None and index.generator(target.module, target.local):
                return Instance(PROJECT_GENERATOR, target)  # its body runs when iterated
            value = self._returned(target)
            return restamped(value, id(call)) if value is not None else None
        function = resolver.function()
        if function is None or not function.is_async:
            return None
        if symbol.returns_coroutine and (symbol.offloaded or TRANSPARENT.issuperset(symbol.decorators)):
            value = self._returned(target)
            return coroutine(restamped(value, id(call))) if value is not None else None
        if not symbol.returns_coroutine and self._decorated_coroutine(symbol):
            return coroutine()
        return None

    def _decorated_coroutine(self, symbol: FunctionSymbol) -> bool:
        """An ``async def`` whose project decorators all keep it a coroutine function."""
        if not symbol.is_async or symbol.is_generator or symbol.runs_loop or self.ctx is None:
            return False
        graph = graph_for(self.ctx)
        index = self._index()
        for decorator in symbol.decorators:
            if decorator.startswith(KEEPS_COROUTINES):
                continue
            found = graph.lookup(decorator)
            if index is None or found is None or not index.keeps_coroutines(found[0], found[1]):
                return False
        return True

    def _literal_lookup(
        self, callee: str, literals: list[str | None], call: cst.Call, resolver: Resolver
    ) -> Value | None:
        """``getattr(obj, "name")`` reads ``obj.name``; ``apps.get_model("app", "Model")`` or
        ``apps.get_model("app.Model")`` is that project model."""
        if callee == "builtins.getattr":
            if len(literals) >= 2 and literals[1] is not None and literals[1].isidentifier():
                found = resolver.member(resolver.resolve(call.args[0].value), literals[1])
                return found if found is not UNKNOWN else None
            return None
        label = literals[0].split(".") if len(literals) == 1 and literals[0] else literals[:2]
        if self.ctx is None or len(label) != 2 or not all(label):
            return None
        app_label, name = label
        assert app_label is not None and name is not None
        found_model = OrmTypes.of(self.ctx).index.model_by_label(app_label, name)
        return Ref(found_model) if found_model else None

    def _followed(self, resolver: Resolver) -> bool:
        function = resolver.function()
        return self.inferring or (function is not None and function.is_async)

    def member(self, receiver: Value, name: str) -> Value | None:
        if not isinstance(receiver, Instance) or receiver.type_name in QUERYSET_KINDS:
            return None
        if self.ctx is None or not self._followed(self.ctx.resolver):
            return None
        if not self._worth_a_lookup(Member(receiver, name), attribute=True):
            return None
        target = self._callee(Member(receiver, name), attribute=True)
        if target is None or target.kind != "property" or not target.symbol.runs_when_called:
            return None
        return self._returned(target)

    def _worth_a_lookup(self, callee: Value, attribute: bool) -> bool:
        """Read from the ``ast`` summaries before the call graph is asked (its outlines cost a
        libcst parse of each module): could this function (or property) give something here?"""
        index = self._index()
        if index is None or self.ctx is None:
            return False
        function = index.function_named(callee)
        return function is not None and index.worth(function)[1 if attribute else 0]

    def _callee(self, callee: Value, attribute: bool) -> Callee | None:
        if self.ctx is None or self.ctx.project is None:
            return None
        graph = graph_for(self.ctx)
        edge = graph.edge_for(callee, attribute=attribute)
        found = graph.callee_for(edge) if edge is not None else None
        if found is None or found.kind == "constructor":
            return None
        return found

    def _returned(self, target: Callee) -> Value | None:
        index = self._index()
        value = index.returned(target.module, target.local) if index is not None else UNKNOWN
        return value if value is not UNKNOWN else None

    def _offloaded(self, call: cst.Call | None, resolver: Resolver) -> Value | None:
        """``sync_to_async(f)(...)``: a coroutine of what ``f(...)`` gives in the thread."""
        wrapper = call.func if call is not None else None
        if not isinstance(wrapper, cst.Call) or not wrapper.args or wrapper.args[0].keyword:
            return None
        function = resolver.function()
        if function is None or not function.is_async:
            return None
        wrapped = resolver.resolve(wrapper.args[0].value)
        result = resolver.call_result(wrapped, call)
        if is_coroutine(result):  # an async function handed to sync_to_async: not ours
            return None
        if isinstance(result, Instance) and isinstance(result.info, QuerySetInfo):
            if result.type_name == QUERYSET:
                result = Instance(QUERYSET, replace(result.info, offloaded=True))
        return coroutine(result) if _handed_over(result) else None
