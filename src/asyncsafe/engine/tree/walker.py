"""The one pass over a module: scopes, bindings, awaited calls, and rule dispatch."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass

import libcst as cst

from asyncsafe.engine.tree.awaitables import (
    COROUTINE_FUNCTION_TESTS,
    coroutine_function,
)
from asyncsafe.engine.tree.classscan import scan_class
from asyncsafe.engine.tree.events import (
    AttributeSite,
    CallSite,
    Checker,
    EvalSite,
    FileContext,
)
from asyncsafe.engine.tree.scopes import FunctionInfo, Scope, ScopeKind
from asyncsafe.engine.tree.scopes import (
    dotted as dotted,  # re-exported: rules import it from here
)
from asyncsafe.engine.tree.star import import_bindings, imported_module
from asyncsafe.engine.tree.traverse import FastVisitor
from asyncsafe.engine.tree.values import UNKNOWN, Instance, Ref, Value, canonical_name

# Builtins that run a protocol on their first argument when called.
PROTOCOL_BUILTINS: dict[str, str] = {
    **dict.fromkeys(
        ("list", "tuple", "set", "frozenset", "sorted", "sum", "min", "max", "any", "all",
         "enumerate", "zip", "map", "filter", "reversed", "dict", "iter", "next"),
        "iterate",
    ),
    "len": "len",
    "bool": "truth",
    "str": "format",
    "repr": "format",
    "format": "format",
}

# Operators that compute with their operands' values (``|``/``&`` combine QuerySets: not these).
ARITHMETIC = (cst.Add, cst.Subtract, cst.Multiply, cst.Divide, cst.FloorDivide, cst.Modulo, cst.Power)


# Scopes whose functions a deferring walk leaves for later: a function nested in a function is
# walked with its enclosing one (it closes over its bindings).
DEFERRABLE_IN = (ScopeKind.MODULE, ScopeKind.CLASS)


@dataclass(frozen=True)
class DeferredFunction:
    """A function body left for later, with the scopes it was met in (module, classes)."""

    node: cst.FunctionDef
    scopes: tuple[Scope, ...]
    decorators: tuple[Value, ...]


class Walker(FastVisitor):
    def __init__(self, ctx: FileContext, checkers: Sequence[Checker]) -> None:
        super().__init__()
        self.ctx = ctx
        self.resolver = ctx.resolver
        self.checkers = checkers
        self.awaited: set[int] = set()
        self.not_loaded: set[int] = set()
        self.callees: set[int] = set()
        self.test_context: set[int] = set()
        self.functions: list[FunctionInfo] = []
        self.lambda_names: dict[int, str] = {}
        # The bodies of module- and class-level sync functions, once ``defer_sync_functions``
        # is called: walked when asked for (``walk_deferred``), as far as chains go into them.
        self.deferred: dict[str, list[DeferredFunction]] | None = None

    # --- entry ---------------------------------------------------------------------------------
    def run(self, module: cst.Module) -> None:
        self.ctx.tree = module
        self.prescan(module)
        self.walk(module)
        for checker in self.checkers:
            checker.on_module_exit(module)

    def prescan(self, module: cst.Module) -> Scope:
        """The module scope as function bodies see it, and the module's declarations."""
        self.resolver.scopes = [Scope(ScopeKind.MODULE, qualname=self.ctx.module)]
        self._prescan(module.body)
        return self.resolver.scopes[0]

    def _prescan(self, body: Sequence[cst.CSTNode]) -> None:
        """Module-level bindings, final values first: function bodies run after import."""
        for statement in body:
            if isinstance(statement, cst.SimpleStatementLine):
                for small in statement.body:
                    self._bind_statement(small)
            elif isinstance(statement, (cst.FunctionDef, cst.ClassDef)):
                qualname = self._qualname(statement.name.value)
                self.resolver.bind(statement.name.value, Ref(qualname))
                self._declare(statement, qualname)
            elif isinstance(statement, cst.BaseSmallStatement):
                self._bind_statement(statement)
            elif isinstance(statement, (cst.If, cst.Try, cst.With, cst.For, cst.While)):
                self._prescan(_child_blocks(statement))

    def _declare(self, node: cst.FunctionDef | cst.ClassDef, qualname: str) -> None:
        """Record attribute types of a class, or the cataloged type a decorator makes."""
        if isinstance(node, cst.ClassDef):
            scan_class(node, qualname, self.resolver)
            return
        for decorator in node.decorators:
            expression = decorator.decorator
            if isinstance(expression, cst.Call):  # @shared_task(bind=True)
                expression = expression.func
            made = self.ctx.catalog.decorators.get(
                canonical_name(self.resolver.resolve(expression)) or ""
            )
            if made is not None:
                self.resolver.declarations.decorated[qualname] = made

    @property
    def _in_module(self) -> bool:
        return self.resolver.current.kind is ScopeKind.MODULE

    def _local(self, name: str) -> str:
        """``name``'s qualified name inside the module."""
        return self._qualname(name).removeprefix(f"{self.ctx.module}.")

    def _qualname(self, name: str) -> str:
        prefix = self.resolver.current.qualname
        return f"{prefix}.{name}" if prefix else name

    # --- bindings ------------------------------------------------------------------------------
    def _bind_statement(self, node: cst.CSTNode) -> None:
        if isinstance(node, cst.Import):
            self._bind_import(node)
        elif isinstance(node, cst.ImportFrom):
            self._bind_import_from(node)
        elif isinstance(node, cst.Assign):
            value = self._assigned_value(node)
            for target in node.targets:
                self._bind_target(target.target, value)
        elif isinstance(node, cst.AnnAssign):
            value = self.resolver.resolve(node.value) if node.value else UNKNOWN
            if value is UNKNOWN:
                value = self.resolver.annotation(node.annotation.annotation)
            self._bind_target(node.target, value)
        elif isinstance(node, cst.AugAssign):
            self._bind_target(node.target, UNKNOWN)

    def _assigned_value(self, node: cst.Assign) -> Value:
        """A lambda bound to a name is that name's function, like a ``def``."""
        name = _lambda_target(node)
        if name is not None:
            return Ref(self._qualname(name))
        return self.resolver.resolve(node.value)

    def _bind_target(self, target: cst.BaseExpression, value: Value) -> None:
        if isinstance(target, cst.Name):
            self.resolver.bind(target.value, value)
        elif isinstance(target, cst.Attribute) and not self._in_module:
            path = dotted(target)
            if path is not None:  # `request.user = await request.auser()` replaces what it held
                self.resolver.bind_path(path, value)
        elif isinstance(target, (cst.Tuple, cst.List)):
            for element in target.elements:
                self._bind_target(element.value, UNKNOWN)
        elif isinstance(target, cst.StarredElement):
            self._bind_target(target.value, UNKNOWN)

    def _bind_import(self, node: cst.Import) -> None:
        for local, target in import_bindings(self.ctx.module, self.ctx.is_package, node):
            self.resolver.bind(local, Ref(self._canonical(target)))

    def _bind_import_from(self, node: cst.ImportFrom) -> None:
        if isinstance(node.names, cst.ImportStar):
            self._bind_star(node)
            return
        for local, target in import_bindings(self.ctx.module, self.ctx.is_package, node):
            self.resolver.bind(local, Ref(self._canonical(target)))

    def _bind_star(self, node: cst.ImportFrom) -> None:
        """``from .models import *``: the names a project module exports (unknown elsewhere)."""
        source = imported_module(self.ctx.module, self.ctx.is_package, node)
        project = self.ctx.project
        if source is None or project is None:
            return
        for local, target in project.star_names(source).items():
            self.resolver.bind(local, Ref(self._canonical(target)))

    def _canonical(self, qualname: str) -> str:
        """One name per project object, whichever import root the code imports it through."""
        project = self.ctx.project
        return project.canonical(qualname) if project is not None else qualname

    # --- scopes --------------------------------------------------------------------------------
    def visit_FunctionDef(self, node: cst.FunctionDef) -> bool:
        for decorator in node.decorators:
            self.walk(decorator)
        self._visit_parameter_parts(node.params)
        decorators = [self.resolver.resolve(d.decorator) for d in node.decorators]
        name = node.name.value
        if not self._in_module:
            self.resolver.bind(name, Ref(self._qualname(name)))
        if node.asynchronous is not None and self.ctx.helpers_only:
            return False  # calling it runs nothing: no chain goes through its body
        if self.deferred is not None and self._defers(node):
            self.deferred.setdefault(self._local(name), []).append(
                DeferredFunction(node, tuple(self.resolver.scopes), tuple(decorators))
            )
            return False
        self._walk_function(node, decorators)
        return False

    def _defers(self, node: cst.FunctionDef) -> bool:
        """In a walk that defers, a module- or class-level sync function waits, unless an async
        body is nested in it (a checked file's async functions are all walked now; a
        dependency's never are)."""
        return (
            node.asynchronous is None
            and self.resolver.current.kind in DEFERRABLE_IN
            and (self.ctx.helpers_only or not holds_async_def(node.body))
        )

    def defer_sync_functions(self) -> None:
        """Leave the bodies of module- and class-level sync functions for later: only async
        bodies can hold a finding, and a sync body matters only if a chain from one reaches it."""
        self.deferred = {}
        self.ctx.deferring = self

    def close(self) -> None:
        """No more deferred bodies will be walked here. Breaks the cycles a walk makes (its
        context and type providers point at each other, and at this walker) so that dropping
        the walker frees its tree at once: a walk kept open across files has reached the
        oldest generation, which the collector no longer visits during a run."""
        self.deferred = None
        self.ctx.deferring = None
        self.ctx.resolver.providers = []
        self.checkers = []
        self.release()

    def walk_deferred(self, local: str) -> None:
        """Walk the bodies deferred under ``local`` (every definition of that name, in source
        order) in the scopes they were met in; nothing if none is pending."""
        pending = self.deferred.pop(local, None) if self.deferred is not None else None
        if pending is None:
            return
        walking = self.resolver.scopes
        try:
            for deferred in pending:
                self.resolver.scopes = list(deferred.scopes)
                self._walk_function(deferred.node, list(deferred.decorators))
        finally:
            self.resolver.scopes = walking
        for checker in self.checkers:
            checker.on_deferred_walked()

    def _walk_function(self, node: cst.FunctionDef, decorators: list[Value]) -> None:
        name = node.name.value
        info = FunctionInfo(
            qualname=self._qualname(name),
            is_async=node.asynchronous is not None,
            node=node,
            class_qualname=self._enclosing_class(),
            decorators=decorators,
        )
        self.functions.append(info)
        scope = Scope(ScopeKind.FUNCTION, function=info, qualname=f"{info.qualname}.<locals>")
        self.resolver.scopes.append(scope)
        self._bind_parameters(node.params, info)
        self._bind_local_functions(node.body)
        self.walk(node.body)
        for checker in self.checkers:
            checker.on_function_exit(info)
        self.resolver.scopes.pop()

    def _bind_local_functions(self, body: cst.BaseSuite) -> None:
        """Functions defined in this body, bound from its start: a closure may call one that is
        defined after it (it runs later, when the name is bound)."""
        if not isinstance(body, cst.IndentedBlock):
            return
        for statement in body.body:
            name = statement.name.value if isinstance(statement, cst.FunctionDef) else None
            if name is not None and name not in self.resolver.current.bindings:
                self.resolver.bind(name, Ref(self._qualname(name)))

    def _enclosing_class(self) -> str | None:
        current = self.resolver.current
        return current.qualname if current.kind is ScopeKind.CLASS else None

    def _visit_parameter_parts(self, params: cst.Parameters) -> None:
        for param in _all_params(params):
            if param.default is not None:
                self.walk(param.default)

    def _bind_parameters(self, params: cst.Parameters, info: FunctionInfo) -> None:
        positional = [*params.posonly_params, *params.params]
        has_self = bool(positional) and info.class_qualname is not None and not _is_static(info)
        places = {id(param): place for place, param in enumerate(positional)}
        for index, param in enumerate(_all_params(params)):
            value = self.resolver.annotation(
                param.annotation.annotation if param.annotation else None
            )
            is_first = index == 0 and positional and param is positional[0]
            if is_first and has_self:
                value = Instance(info.class_qualname or "", "self")
                if _is_classmethod(info):
                    value = Ref(info.class_qualname or "")
            elif param.annotation is None and id(param) in places:
                position = places[id(param)] - (1 if has_self else 0)
                value = self.resolver.parameter(info, param.name.value, position)
            self.resolver.bind(param.name.value, value)

    def visit_ClassDef(self, node: cst.ClassDef) -> bool:
        for decorator in node.decorators:
            self.walk(decorator)
        for arg in (*node.bases, *node.keywords):
            self.walk(arg)
        name = node.name.value
        qualname = self._qualname(name)
        if not self._in_module:
            self.resolver.bind(name, Ref(qualname))
        if qualname not in self.resolver.declarations.classes:
            scan_class(node, qualname, self.resolver)  # a class nested in a function or class
        self.resolver.scopes.append(Scope(ScopeKind.CLASS, qualname=qualname))
        self.walk(node.body)
        self.resolver.scopes.pop()
        return False

    def visit_Lambda(self, node: cst.Lambda) -> bool:
        name = self.lambda_names.get(id(node), "<lambda>")
        info = FunctionInfo(qualname=self._qualname(name), is_async=False, node=node)
        self.functions.append(info)
        self.resolver.scopes.append(Scope(ScopeKind.LAMBDA, function=info, qualname=info.qualname))
        for param in _all_params(node.params):
            self.resolver.bind(param.name.value, UNKNOWN)
        self.walk(node.body)
        for checker in self.checkers:
            checker.on_function_exit(info)
        self.resolver.scopes.pop()
        return False

    def _visit_comprehension(self, node: cst.BaseComp) -> bool:
        self.resolver.scopes.append(Scope(ScopeKind.COMPREHENSION, qualname=self.resolver.current.qualname))
        comp: cst.CompFor | None = node.for_in
        while comp is not None:
            self.walk(comp.iter)
            self._iterate(comp.iter, comp.asynchronous is not None)
            self.not_loaded.add(id(comp.target))
            self._bind_target(comp.target, self.resolver.element(self.resolver.resolve(comp.iter)))
            for condition in comp.ifs:
                self._truth(condition.test, in_test=True)
                self.walk(condition.test)
            comp = comp.inner_for_in
        if isinstance(node, cst.DictComp):
            self.walk(node.key)
            self.walk(node.value)
        else:
            self.walk(node.elt)  # type: ignore[attr-defined]
        self.resolver.scopes.pop()
        return False

    def visit_ListComp(self, node: cst.ListComp) -> bool:
        return self._visit_comprehension(node)

    def visit_SetComp(self, node: cst.SetComp) -> bool:
        return self._visit_comprehension(node)

    def visit_DictComp(self, node: cst.DictComp) -> bool:
        return self._visit_comprehension(node)

    def visit_GeneratorExp(self, node: cst.GeneratorExp) -> bool:
        return self._visit_comprehension(node)

    # --- statements that bind ------------------------------------------------------------------
    def visit_Import(self, node: cst.Import) -> None:
        if not self._in_module:
            self._bind_import(node)

    def visit_ImportFrom(self, node: cst.ImportFrom) -> None:
        if not self._in_module:
            self._bind_import_from(node)

    def visit_Assign(self, node: cst.Assign) -> None:
        name = _lambda_target(node)
        if name is not None:
            self.lambda_names[id(node.value)] = name
        for target in node.targets:
            self._mark_store(target.target)
            if isinstance(target.target, (cst.Tuple, cst.List)):
                self._evaluate(node.value, "iterate")

    def leave_Assign(self, original_node: cst.Assign) -> None:
        if not self._in_module:
            self._bind_statement(original_node)

    def visit_AnnAssign(self, node: cst.AnnAssign) -> None:
        self._mark_store(node.target)

    def leave_AnnAssign(self, original_node: cst.AnnAssign) -> None:
        if not self._in_module:
            self._bind_statement(original_node)

    def visit_AugAssign(self, node: cst.AugAssign) -> None:
        self._mark_store(node.target)

    def leave_AugAssign(self, original_node: cst.AugAssign) -> None:
        if not self._in_module:
            self._bind_statement(original_node)

    def visit_Del(self, node: cst.Del) -> None:
        self._mark_store(node.target)
        if isinstance(node.target, cst.Name) and not self._in_module:
            self.resolver.unbind(node.target.value)

    def leave_NamedExpr(self, original_node: cst.NamedExpr) -> None:
        self._bind_target(original_node.target, self.resolver.resolve(original_node.value))

    def visit_NamedExpr(self, node: cst.NamedExpr) -> None:
        self._mark_store(node.target)

    def visit_For(self, node: cst.For) -> bool:
        self.walk(node.iter)
        self._iterate(node.iter, node.asynchronous is not None)
        self._mark_store(node.target)
        if not self._in_module:
            self._bind_target(node.target, self.resolver.element(self.resolver.resolve(node.iter)))
        self.walk(node.body)
        if node.orelse is not None:
            self.walk(node.orelse)
        return False

    def visit_With(self, node: cst.With) -> bool:
        for item in node.items:
            self.walk(item.item)
            if node.asynchronous is None:
                self._evaluate(item.item, "enter")
            if item.asname is not None:
                self._mark_store(item.asname.name)
                if not self._in_module:
                    entered = self.resolver.entered(self.resolver.resolve(item.item))
                    self._bind_target(item.asname.name, entered)
        self.walk(node.body)
        return False

    def visit_ExceptHandler(self, node: cst.ExceptHandler) -> None:
        if node.name is not None:
            self._mark_store(node.name.name)
            self._bind_target(node.name.name, UNKNOWN)

    def _mark_store(self, target: cst.BaseExpression) -> None:
        self.not_loaded.add(id(target))
        if isinstance(target, (cst.Tuple, cst.List)):
            for element in target.elements:
                self._mark_store(element.value)
        elif isinstance(target, cst.StarredElement):
            self._mark_store(target.value)

    # --- evaluation protocols ------------------------------------------------------------------
    def visit_If(self, node: cst.If) -> bool:
        self._truth(node.test, in_test=True)
        narrowed = None if self._in_module else self._narrowing(node.test)
        if narrowed is None:
            return True
        self.walk(node.test)
        with self._narrowed(*narrowed):
            self.walk(node.body)
        if node.orelse is not None:
            self.walk(node.orelse)
        return False

    def _narrowing(self, test: cst.BaseExpression) -> tuple[str, Value] | None:
        """What ``if <test>:`` proves inside its body: ``asyncio.iscoroutinefunction(f)`` (or
        inspect's, asgiref's) makes ``f`` a coroutine function; ``isinstance(x, T)`` of an ``x``
        not known otherwise makes it a ``T`` (``r: str | Redis``)."""
        if not isinstance(test, cst.Call) or not test.args or any(a.star or a.keyword for a in test.args):
            return None
        callee = self.resolver.resolve(test.func)
        path = dotted(test.args[0].value)
        if not isinstance(callee, Ref) or path is None:
            return None
        if callee.qualname in COROUTINE_FUNCTION_TESTS and len(test.args) == 1:
            return path, coroutine_function()
        if callee.qualname == "builtins.isinstance" and len(test.args) == 2:
            if self.resolver.resolve(test.args[0].value) is not UNKNOWN:
                return None
            value = self.resolver.annotation(test.args[1].value)
            return (path, value) if value is not UNKNOWN else None
        return None

    @contextmanager
    def _narrowed(self, path: str, value: Value) -> Iterator[None]:
        """``path`` holds ``value`` in the body of the ``if`` that tested it, and no further."""
        scope = self.resolver.current
        store = scope.bindings if "." not in path else scope.paths
        before = store.get(path)
        store[path] = value
        try:
            yield
        finally:
            if before is None:
                store.pop(path, None)
            else:
                store[path] = before

    def visit_While(self, node: cst.While) -> None:
        self._truth(node.test, in_test=True)

    def visit_IfExp(self, node: cst.IfExp) -> None:
        self._truth(node.test, in_test=True)

    def visit_Assert(self, node: cst.Assert) -> None:
        self._truth(node.test, in_test=True)

    def visit_UnaryOperation(self, node: cst.UnaryOperation) -> None:
        if isinstance(node.operator, cst.Not):
            self._truth(node.expression, in_test=True)

    def visit_BooleanOperation(self, node: cst.BooleanOperation) -> None:
        if id(node) not in self.test_context:
            self._truth(node.left, in_test=False)

    def _truth(self, node: cst.BaseExpression, in_test: bool) -> None:
        if isinstance(node, cst.BooleanOperation):
            if in_test:
                self.test_context.add(id(node))
                self._truth(node.left, in_test=True)
                self._truth(node.right, in_test=True)
            return
        if isinstance(node, cst.UnaryOperation) and isinstance(node.operator, cst.Not):
            return  # handled when the `not` itself is visited
        self._evaluate(node, "truth")

    def visit_Comparison(self, node: cst.Comparison) -> None:
        left = node.left
        for target in node.comparisons:
            if isinstance(target.operator, (cst.In, cst.NotIn)):
                self._evaluate(target.comparator, "contains")
            elif not isinstance(target.operator, (cst.Is, cst.IsNot)):
                self._evaluate(left, "compare")
                self._evaluate(target.comparator, "compare")
            left = target.comparator

    def visit_BinaryOperation(self, node: cst.BinaryOperation) -> None:
        """Arithmetic on an operand: only a coroutine there is a finding (ASF507), and coroutines
        are made in async code only, so sync functions skip resolving every operand."""
        function = self.resolver.function()
        if function is not None and function.is_async and isinstance(node.operator, ARITHMETIC):
            for operand in (node.left, node.right):
                if isinstance(operand, (cst.Call, cst.Name, cst.Attribute)):
                    self._evaluate(operand, "arithmetic")

    def visit_Subscript(self, node: cst.Subscript) -> None:
        if len(node.slice) != 1:
            return
        index = node.slice[0].slice
        if isinstance(index, cst.Index) or (isinstance(index, cst.Slice) and index.step is not None):
            self._evaluate(node.value, "index")

    def visit_FormattedStringExpression(self, node: cst.FormattedStringExpression) -> None:
        self._evaluate(node.expression, "format")

    def visit_StarredElement(self, node: cst.StarredElement) -> None:
        if id(node) not in self.not_loaded:
            self._evaluate(node.value, "iterate")

    def visit_Arg(self, node: cst.Arg) -> None:
        if node.star == "*":
            self._evaluate(node.value, "iterate")

    def visit_From(self, node: cst.From) -> None:
        self._evaluate(node.item, "iterate")

    def _iterate(self, node: cst.BaseExpression, asynchronous: bool) -> None:
        self._evaluate(node, "aiterate" if asynchronous else "iterate")

    def _evaluate(self, node: cst.BaseExpression, protocol: str) -> None:
        function = self.resolver.function()
        if function is None:
            return
        site = EvalSite(node, self.resolver.resolve(node), protocol, function)
        for checker in self.checkers:
            checker.on_evaluate(site)

    # --- calls and attribute reads -------------------------------------------------------------
    def visit_Await(self, node: cst.Await) -> None:
        self.awaited.add(id(node.expression))

    def visit_Yield(self, node: cst.Yield) -> None:
        function = self.resolver.function()
        if function is not None:
            function.is_generator = True

    def visit_Call(self, node: cst.Call) -> None:
        self.callees.add(id(node.func))
        function = self.resolver.function()
        if function is None:
            return
        callee = self.resolver.resolve(node.func)
        awaited = id(node) in self.awaited
        function.calls.append((node, callee, awaited))
        site = CallSite(node, callee, function, awaited)
        for checker in self.checkers:
            checker.on_call(site)
        if isinstance(callee, Ref) and callee.qualname.startswith("builtins.") and node.args:
            protocol = PROTOCOL_BUILTINS.get(callee.qualname[len("builtins."):])
            if protocol is not None and not node.args[0].star:
                self._evaluate(node.args[0].value, protocol)

    def visit_Attribute(self, node: cst.Attribute) -> None:
        if id(node) in self.not_loaded:
            return
        function = self.resolver.function()
        if function is None:
            return
        receiver = self.resolver.resolve(node.value)
        site = AttributeSite(node, receiver, function, id(node) in self.callees)
        for checker in self.checkers:
            checker.on_attribute(site)


def _all_params(params: cst.Parameters) -> list[cst.Param]:
    found = [*params.posonly_params, *params.params, *params.kwonly_params]
    if isinstance(params.star_arg, cst.Param):
        found.append(params.star_arg)
    if params.star_kwarg is not None:
        found.append(params.star_kwarg)
    return found


def _lambda_target(node: cst.Assign) -> str | None:
    """``name = lambda ...``: the one name a lambda is bound to, if that is all it is bound to."""
    if not isinstance(node.value, cst.Lambda) or len(node.targets) != 1:
        return None
    target = node.targets[0].target
    return target.value if isinstance(target, cst.Name) else None


def _decorator_names(info: FunctionInfo) -> set[str]:
    return {d.qualname for d in info.decorators if isinstance(d, Ref)}


def _is_static(info: FunctionInfo) -> bool:
    return "builtins.staticmethod" in _decorator_names(info)


def _is_classmethod(info: FunctionInfo) -> bool:
    return "builtins.classmethod" in _decorator_names(info)


def _child_blocks(statement: cst.CSTNode) -> list[cst.CSTNode]:
    """The statements nested in a module-level if/try/with/for/while, in source order."""
    blocks: list[cst.CSTNode] = []
    for child in statement.children:
        if isinstance(child, cst.IndentedBlock):
            blocks.extend(child.body)
        elif isinstance(child, (cst.Else, cst.ExceptHandler, cst.Finally, cst.If)):
            blocks.extend(_child_blocks(child))
        elif isinstance(child, cst.BaseSuite) and hasattr(child, "body"):
            body = child.body
            blocks.extend(body if isinstance(body, Sequence) else [body])
    return blocks


def holds_async_def(node: cst.CSTNode) -> bool:
    """Whether an ``async def`` is nested in ``node``. Only statements are looked at: no
    expression can hold a ``def``."""
    if isinstance(node, cst.FunctionDef) and node.asynchronous is not None:
        return True
    if isinstance(node, (cst.SimpleStatementLine, cst.SimpleStatementSuite)):
        return False
    return any(holds_async_def(part) for part in _statement_parts(node))


def _statement_parts(node: cst.CSTNode) -> Iterator[cst.CSTNode]:
    """The blocks, clauses and statements a statement (or block, or clause) is made of."""
    for name in ("body", "orelse", "handlers", "finalbody", "cases"):
        value = getattr(node, name, None)
        if isinstance(value, cst.CSTNode):
            yield value
        elif isinstance(value, Sequence):
            yield from value
