"""ASF605: a project generator iterated in async code whose body blocks. ASF604: a model instance handed to a project helper that reads a relation the instance did
not load. ASF509: an awaitable callable handed to a project sync helper that calls it and drops the
coroutine it returns (issue 16: values that cross function boundaries).

``helper(request, sync_to_async(check))`` or ``helper(request, acheck)`` from async code, where
the sync ``helper`` runs ``check(request)`` as a statement of its own: the call makes a coroutine
that nothing awaits, so the check never runs. Reported at the async call site, with the line
inside the helper.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace

import libcst as cst

from asyncsafe.django.orm import ModelInstance, OrmTypes
from asyncsafe.django.returns import PROJECT_GENERATOR, ReturnIndex, ReturnTypes
from asyncsafe.django.schema import RelationKind
from asyncsafe.engine.facts.callgraph import Callee
from asyncsafe.engine.facts.outline import FunctionSymbol
from asyncsafe.engine.facts.project_types import SYNC_TO_ASYNC, graph_for
from asyncsafe.engine.tree.awaitables import COROUTINE_FUNCTION, written
from asyncsafe.engine.tree.events import CallSite, Checker, EvalSite, FileContext
from asyncsafe.engine.tree.scopes import FunctionInfo
from asyncsafe.engine.tree.values import Instance, Member, Ref, Value
from asyncsafe.rules.registry import RuleSpec, register

register(
    RuleSpec(
        code="ASF509",
        name="awaitable-callable-dropped-by-helper",
        summary="an async callable passed to a project sync helper that calls it and drops the coroutine",
        why=(
            "sync_to_async(f), database_sync_to_async(f) and async def functions return a "
            "coroutine when called. A sync helper that calls such a parameter as a statement of "
            "its own (callback(request)) creates that coroutine and drops it: the callback never "
            "runs (Python only warns 'coroutine ... was never awaited' when it is collected), so "
            "a permission check, an audit write or a notification silently does nothing. The "
            "message names the helper and the line where it drops the call."
        ),
        example="""
            def run_checks(request, check):
                check(request)

            async def upload(request):
                run_checks(request, sync_to_async(check_quota))
        """,
        fix="""
            async def upload(request):
                await sync_to_async(run_checks)(request, check_quota)
                # or: await sync_to_async(check_quota)(request) in the async code
        """,
    ),
)


register(
    RuleSpec(
        code="ASF604",
        name="helper-reads-unloaded-relation",
        summary="a model instance passed to a project helper that reads a relation the instance did not load",
        why=(
            "A helper that reads a foreign key or one-to-one relation off a parameter "
            "(docket.appeal_from, user.profile) runs a query when the caller's instance was "
            "fetched without select_related: called from async code (a sync helper, or an async "
            "def awaited), the query runs on the event loop. Whether the relation is loaded is "
            "decided by the caller: the finding is reported at the call site that passes an "
            "instance known not to hold it (fetched here with aget()/afirst() without "
            "select_related), never when the caller loaded it or when nothing is known about "
            "where the instance comes from. The message names the read inside the helper."
        ),
        example="""
            def appeal_label(docket):
                return docket.appeal_from.name

            async def docket_view(request, pk):
                docket = await Docket.objects.aget(pk=pk)
                return HttpResponse(appeal_label(docket))
        """,
        fix="""
            async def docket_view(request, pk):
                docket = await Docket.objects.select_related("appeal_from").aget(pk=pk)
                return HttpResponse(appeal_label(docket))
        """,
    ),
)


register(
    RuleSpec(
        code="ASF605",
        name="blocking-generator-iterated",
        summary="iterating a project generator whose body blocks, directly or further down",
        why=(
            "Calling a generator function runs nothing; iterating the generator (a for loop, "
            "list(), a comprehension) runs its body, step by step, right there. Iterated in async "
            "code, a generator that reads a file, queries the database or calls a sync client "
            "blocks the event loop at each step. The message names the chain. " 
            "Django's SynchronousOnlyOperation guard only fires when a query is reached."
        ),
        example="""
            def rows(path):
                with open(path) as handle:
                    yield from handle

            async def upload(request):
                count = len(list(rows("/tmp/upload.csv")))
        """,
        fix="""
            async def upload(request):
                count = await sync_to_async(lambda: len(list(rows("/tmp/upload.csv"))))()
        """,
    ),
)


register(
    RuleSpec(
        code="ASF606",
        name="blocking-context-manager",
        summary="'with' on a project context manager whose __enter__/__exit__ (or @contextmanager body) blocks",
        why=(
            "'with manager:' runs the manager's __enter__ before the block and its __exit__ "
            "after it; for a @contextmanager function, its body up to the yield and after it. "
            "A project context manager that takes a file lock, opens a transaction or connects "
            "a client in there blocks the event loop when it is entered in async code. The "
            "message names the chain."
        ),
        example="""
            @contextmanager
            def exclusive(path):
                with open(path + ".lock", "w"):
                    yield

            async def upload(request):
                with exclusive("/tmp/uploads"):
                    ...
        """,
        fix="""
            async def upload(request):
                await sync_to_async(store_upload)(request)  # the whole 'with' in a sync function
        """,
    ),
)


class GeneratorChecker(Checker):
    """ASF605: a project generator's body runs where it is iterated. ASF606: a project context
    manager's __enter__/__exit__ (or @contextmanager body) runs where it is entered."""

    codes = frozenset({"ASF605", "ASF606"})

    def __init__(self, ctx: FileContext) -> None:
        super().__init__(ctx)
        self.iterated: list[tuple[cst.BaseExpression, Callee, FunctionInfo, str]] = []

    def on_evaluate(self, site: EvalSite) -> None:
        value = site.value
        if not site.in_async or site.protocol not in ("iterate", "enter") or not isinstance(value, Instance):
            return
        assert site.function is not None
        code = "ASF605" if site.protocol == "iterate" else "ASF606"
        if value.type_name == PROJECT_GENERATOR and isinstance(value.info, Callee):
            self.iterated.append((site.node, replace(value.info, kind="iteration"), site.function, code))
        elif site.protocol == "enter":
            for callee in self._enter_exit(value):
                self.iterated.append((site.node, callee, site.function, code))

    def _enter_exit(self, manager: Instance) -> list[Callee]:
        """The project __enter__ and __exit__ that ``with manager:`` runs."""
        graph = graph_for(self.ctx)
        if graph.module_of(manager.type_name) is None:
            return []
        found = []
        for name in ("__enter__", "__exit__"):
            edge = graph.edge_for(Member(manager, name))
            callee = graph.callee_for(edge) if edge is not None else None
            if callee is not None and callee.kind == "function":
                found.append(callee)
        return found

    def on_module_exit(self, module: cst.Module) -> None:
        """Chains are searched once the module's own helpers are known (as ASF6xx do)."""
        graph = graph_for(self.ctx)
        if self.ctx.module in graph.extracting:
            return
        reported: set[int] = set()
        for node, iterated, function, code in self.iterated:
            chain = graph.chain_from(iterated) if id(node) not in reported else None
            if chain is None:
                continue
            reported.add(id(node))
            text = written(node)
            if code == "ASF605":
                what = f"iterating {text} runs the generator's body"
                use = f"'await sync_to_async(lambda: list({text}))()' or make the generator async"
            else:
                what = f"'with {text}' runs the context manager's enter/exit"
                use = "a sync function holding the whole 'with', run by 'await sync_to_async(f)()'"
            self.ctx.report(
                node, code,
                f"{what}: {chain.text()} blocks the event loop ({chain.blocker.code} in a sync "
                f"helper); use {use}",
                use, function=function,
            )


class UnloadedArgumentChecker(Checker):
    """ASF604: the caller decides what is loaded; here, the caller is known and did not."""

    codes = frozenset({"ASF604"})

    def on_call(self, site: CallSite) -> None:
        found = _helper_call(self.ctx, site, lambda symbol: symbol.runs_when_called or symbol.returns_coroutine)
        if found is None:
            return
        callee, index = found
        names, reads = index.parameter_reads(callee.module, callee.local)
        for name, arg in _bound_arguments(site, callee, names):
            for attribute, line in reads.get(name, ()):
                self._check(site, callee, arg, name, attribute, line)

    def _check(
        self, site: CallSite, callee: Callee, arg: cst.BaseExpression, name: str, attribute: str, line: int
    ) -> None:
        orm = OrmTypes.of(self.ctx)
        value = self.ctx.resolver.resolve(arg)
        model = orm.instance_model(value)
        if model is None or attribute.endswith("_id") or not isinstance(value, Instance):
            return
        if not isinstance(value.info, ModelInstance):
            return
        loaded = orm.loaded(value)
        relation = orm.index.relation(model, attribute)
        if relation is None or not relation.kind.single_object or loaded.has(attribute):
            return
        if relation.kind not in (RelationKind.FOREIGN_KEY, RelationKind.ONE_TO_ONE):
            return
        where = f"{graph_for(self.ctx).path_of(callee.module)}:{line}"
        read = f"{callee.label} reads '{name}.{attribute}' ({where}), a {relation.kind.value}"
        self.ctx.report(arg, "ASF604", *_unloaded(read, attribute, written(arg)))


class DroppedCallableChecker(Checker):
    codes = frozenset({"ASF509"})

    def on_call(self, site: CallSite) -> None:
        found = None if site.awaited else _helper_call(self.ctx, site, lambda s: s.runs_when_called)
        if found is None:
            return
        callee, index = found
        names, dropped = index.dropped_calls(callee.module, callee.local)
        for name, value in _bound_arguments(site, callee, names):
            if name in dropped and self._awaitable(self.ctx.resolver.resolve(value)):
                graph = graph_for(self.ctx)
                where = f"{graph.path_of(callee.module)}:{dropped[name]}"
                self.ctx.report(
                    value, "ASF509",
                    f"{written(value)} returns a coroutine when called, and {callee.label} "
                    f"calls it as '{name}(...)' and drops it ({where}): it never runs; await it in "
                    f"async code, or hand the helper a sync callable and run the helper with "
                    f"'await sync_to_async({written(site.node.func)})(...)'",
                    f"await sync_to_async({written(site.node.func)})(...)",
                )

    def _awaitable(self, value: Value) -> bool:
        if isinstance(value, Instance):
            return value.type_name in (SYNC_TO_ASYNC, COROUTINE_FUNCTION)
        if isinstance(value, (Ref, Member)):
            symbol = graph_for(self.ctx).function_for(value)
            return symbol is not None and symbol.returns_coroutine
        return False


def _unloaded(read: str, attribute: str, instance: str) -> tuple[str, str]:
    """ASF604's message and suggestion."""
    use = f"select_related('{attribute}') on the query that fetched {instance}"
    return f"{read} that {instance} was fetched without: a blocking query on the event loop; use {use}", use


def _helper_call(
    ctx: FileContext, site: CallSite, wanted: Callable[[FunctionSymbol], bool]
) -> tuple[Callee, ReturnIndex] | None:
    """The project function or method an async body's call runs (constructors and properties
    aside), when it is one ``wanted`` asks for, and the project's ``ReturnIndex``."""
    if not site.in_async or not site.node.args:
        return None
    index = ReturnTypes.index_of(ctx)
    if index is None or index.function_named(site.callee) is None:
        return None  # not a project function: the call graph's outlines are not needed
    graph = graph_for(ctx)
    edge = graph.edge_for(site.callee)
    callee = graph.callee_for(edge) if edge is not None else None
    if callee is None or callee.kind != "function" or not wanted(callee.symbol):
        return None
    return callee, index


def _bound_arguments(
    site: CallSite, callee: Callee, names: tuple[str, ...]
) -> list[tuple[str, cst.BaseExpression]]:
    """(parameter name, argument) for each argument of the call that names one."""
    bound_first = isinstance(site.callee, Member) or "builtins.classmethod" in callee.symbol.decorators
    names = names[1:] if bound_first else names
    found: list[tuple[str, cst.BaseExpression]] = []
    place = 0
    for arg in site.node.args:
        if arg.star:
            break  # *args: positions after it are not known
        if arg.keyword is not None:
            found.append((arg.keyword.value, arg.value))
        elif place < len(names):
            found.append((names[place], arg.value))
            place += 1
    return found


CHECKERS: tuple[type[Checker], ...] = (GeneratorChecker, UnloadedArgumentChecker, DroppedCallableChecker)
