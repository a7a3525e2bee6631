"""ASF5xx: event-loop and asgiref misuse, and coroutines that never run.

ASF502 (``asyncio.run``, ``loop.run_until_complete``) is catalog data (catalog/event_loop.toml).
The rest needs code: what a call returns (a coroutine, an async iterator, an asgiref wrapper)
comes from the type providers (``engine/tree/awaitables.py``: any provider can say "this call returns
a coroutine"); where the value goes (dropped, truth-tested, read, passed on) comes from the walk.

``await`` on a call that blocks and returns nothing awaitable (``await requests.get(url)``,
``await time.sleep(1)``) is reported once, under the blocking call's own code (ASF3xx, ASF1xx, ...,
ASF6xx), with a note that the ``await`` does not help: the root cause is the blocking call, and
its message already names the async alternative.
"""

from __future__ import annotations

from dataclasses import replace

import libcst as cst

from asyncsafe.engine.facts.project_types import graph_for
from asyncsafe.engine.tree.awaitables import is_async_iterator, is_coroutine, written
from asyncsafe.engine.tree.events import (
    AttributeSite,
    CallSite,
    Checker,
    EvalSite,
    FileContext,
    Fix,
)
from asyncsafe.engine.tree.scopes import FunctionInfo
from asyncsafe.engine.tree.traverse import FastVisitor
from asyncsafe.engine.tree.values import Instance, Member, Ref
from asyncsafe.rules.registry import RuleSpec, register
from asyncsafe.rules.rewrites import awaited

ASYNC_TO_SYNC = "asgiref.sync.AsyncToSync"
# Sync callables that use their argument's value right away: a coroutine there is a bug.
# (Protocol builtins such as len/list/str/bool arrive as evaluation events instead.)
SYNC_CONSUMERS = frozenset({
    "builtins.print", "builtins.int", "builtins.float", "builtins.abs", "builtins.round",
    "json.dumps", "json.dump", "django.http.JsonResponse", "django.http.HttpResponse",
    "django.http.response.JsonResponse", "django.http.response.HttpResponse",
})
PROTOCOL_USES = {
    "iterate": "iterated", "aiterate": "iterated with 'async for'", "len": "passed to len()",
    "format": "formatted", "compare": "compared", "contains": "searched with 'in'",
    "index": "indexed",
}
# What a coroutine object itself has: reading these is deliberate (coro.close(), coro.send(None)).
COROUTINE_ATTRIBUTES = frozenset({
    "send", "throw", "close", "cr_await", "cr_code", "cr_frame", "cr_running", "cr_origin",
    "cr_suspended", "__await__", "__name__", "__qualname__", "__class__",
})
AWAIT_NOTE = " ('await' does not help: the call runs, and blocks, before anything is awaited)"

NEVER_RUNS = (
    "Calling a coroutine function only creates a coroutine object; nothing in its body runs "
    "until it is awaited (or handed to asyncio.create_task/gather/ensure_future). Without the "
    "await, the save, query or request silently never happens, and Python only prints "
    "'RuntimeWarning: coroutine ... was never awaited' when the object is garbage-collected."
)

register(
    RuleSpec(
        code="ASF501",
        name="async-to-sync-in-async",
        summary="async_to_sync() called inside async code",
        why=(
            "async_to_sync(f)(...) (also AsyncToSync, and calling a function decorated with "
            "@async_to_sync) blocks the calling thread until the coroutine finishes in another "
            "loop. asgiref refuses to do that in a thread whose event loop is running: it raises "
            "RuntimeError('You cannot use AsyncToSync in the same thread as an async event loop "
            "- just await the async function directly.'). It is correct in sync code, in "
            "decorators and in sync helpers that run in a sync_to_async thread."
        ),
        example="""
            async def notify(request):
                async_to_sync(channel_layer.group_send)("room", {"type": "ping"})
        """,
        fix="""
            async def notify(request):
                await channel_layer.group_send("room", {"type": "ping"})
        """,
    ),
    RuleSpec(
        code="ASF502",
        name="nested-event-loop",
        summary="asyncio.run() or loop.run_until_complete() inside async code",
        why=(
            "asyncio.run(), anyio.run() and loop.run_until_complete()/run_forever() start or "
            "drive an event loop and block until it is done. Inside a running loop they raise "
            "RuntimeError ('asyncio.run() cannot be called from a running event loop', 'This "
            "event loop is already running'), and before that they would freeze every request "
            "on the worker."
        ),
        example="""
            async def refresh(request):
                data = asyncio.run(fetch_all())
        """,
        fix="""
            async def refresh(request):
                data = await fetch_all()
        """,
    ),
    RuleSpec(
        code="ASF503",
        name="awaited-sync-to-async-wrapper",
        summary="await sync_to_async(f) without calling the wrapper",
        why=(
            "sync_to_async(f) (and database_sync_to_async(f)) returns a wrapper function; the "
            "coroutine comes from calling it. 'await sync_to_async(f)' awaits the wrapper "
            "itself and raises TypeError: object SyncToAsync can't be used in 'await' "
            "expression, so f never runs."
        ),
        example="""
            async def count(request):
                total = await sync_to_async(Book.objects.count)
        """,
        fix="""
            async def count(request):
                total = await sync_to_async(Book.objects.count)()
        """,
    ),
    RuleSpec(
        code="ASF504",
        name="unawaited-coroutine",
        summary="a coroutine created and never awaited (a missing await)",
        why=(
            f"{NEVER_RUNS} Reported for a call whose coroutine is dropped as a statement of its "
            "own, or bound to a name that is never used. Sources: Django's async API (asave, "
            "aget, alogin, ...), sync_to_async(f)(...), database_sync_to_async(f)(...), "
            "asyncio.sleep and friends, and the project's own async def functions."
        ),
        example="""
            async def publish(request, pk):
                book = await Book.objects.aget(pk=pk)
                book.published = True
                book.asave()
        """,
        fix="""
            async def publish(request, pk):
                book = await Book.objects.aget(pk=pk)
                book.published = True
                await book.asave()
        """,
    ),
    RuleSpec(
        code="ASF505",
        name="coroutine-truth-test",
        summary="a coroutine tested for truth (always true) instead of its awaited result",
        why=(
            f"A coroutine object is always truthy, so 'if qs.aexists():' always takes the "
            f"branch, whatever the database says. {NEVER_RUNS}"
        ),
        example="""
            async def check(request):
                if Book.objects.filter(isbn=isbn).aexists():
                    ...
        """,
        fix="""
            async def check(request):
                if await Book.objects.filter(isbn=isbn).aexists():
                    ...
        """,
    ),
    RuleSpec(
        code="ASF506",
        name="coroutine-attribute",
        summary="an attribute read off a coroutine (await binds after the attribute access)",
        why=(
            "'await x.aget().name' parses as 'await (x.aget().name)': the attribute is read off "
            "the coroutine object, which raises AttributeError ('coroutine' object has no "
            f"attribute 'name'). The await has to come first. {NEVER_RUNS}"
        ),
        example="""
            async def title(request, pk):
                return await Book.objects.aget(pk=pk).title
        """,
        fix="""
            async def title(request, pk):
                return (await Book.objects.aget(pk=pk)).title
        """,
    ),
    RuleSpec(
        code="ASF507",
        name="coroutine-as-value",
        summary="a coroutine used as a value (iterated, formatted, counted, compared, passed to a sync function)",
        why=(
            "The coroutine object is not the result: iterating it, len(), comparing it or "
            "json.dumps() raise TypeError; str(), print() and HttpResponse() silently produce "
            f"'<coroutine object ...>'. {NEVER_RUNS}"
        ),
        example="""
            async def stats(request):
                return JsonResponse({"books": str(Book.objects.acount())})
        """,
        fix="""
            async def stats(request):
                return JsonResponse({"books": str(await Book.objects.acount())})
        """,
    ),
    RuleSpec(
        code="ASF508",
        name="awaited-async-iterator",
        summary="await on an async iterator (aiterator(), an async generator)",
        why=(
            "QuerySet.aiterator() and async generator functions (async def with yield) return "
            "an async iterator: it is consumed with 'async for', never awaited. 'await' on it "
            "raises TypeError: object async_generator can't be used in 'await' expression."
        ),
        example="""
            async def export(request):
                rows = await Book.objects.all().aiterator()
        """,
        fix="""
            async def export(request):
                rows = [book async for book in Book.objects.all().aiterator()]
        """,
    ),
)


class AsgirefChecker(Checker):
    """ASF501 and ASF503. ``async_to_sync(f)(...)`` is also recorded in sync functions: not a
    finding there, but the reason a sync helper fails when an async body calls it (ASF6xx)."""

    codes = frozenset({"ASF501", "ASF503"})

    def on_call(self, site: CallSite) -> None:
        callee = site.callee
        if isinstance(callee, Instance) and callee.type_name == ASYNC_TO_SYNC:
            self.ctx.report(
                site.node, "ASF501",
                f"{written(site.node)} raises RuntimeError inside a running event loop's "
                "thread; use 'await' on the coroutine function directly",
                "await the coroutine function directly",
            )
        elif site.in_async and isinstance(callee, (Ref, Member)):
            symbol = graph_for(self.ctx).function_for(callee)
            if symbol is not None and symbol.runs_loop:
                self.ctx.report(
                    site.node, "ASF501",
                    f"{written(site.node)} is decorated with @async_to_sync: calling it raises "
                    "RuntimeError inside a running event loop's thread; await the coroutine "
                    "function instead (the wrapper keeps it as '.awaitable')",
                    "await the undecorated coroutine function",
                )
        if site.awaited and isinstance(callee, Ref) and callee.qualname in self.ctx.catalog.wrappers:
            self._awaited_wrapper(site)

    def _awaited_wrapper(self, site: CallSite) -> None:
        wrapped = next((a.value for a in site.node.args if a.keyword is None and not a.star), None)
        if wrapped is None:
            return
        text = written(site.node)
        self.ctx.report(
            site.node, "ASF503",
            f"'await {text}' awaits the wrapper without calling it (TypeError: object "
            f"SyncToAsync can't be used in 'await' expression); use 'await {text}(...)'",
            f"await {text}(...)",
        )


class CoroutineChecker(Checker):
    """ASF504-ASF508: where a coroutine (or async iterator) made in an async body goes."""

    codes = frozenset({"ASF504", "ASF505", "ASF506", "ASF507", "ASF508"})

    def __init__(self, ctx: FileContext) -> None:
        super().__init__(ctx)
        self.created: dict[int, FunctionInfo] = {}  # id(call) of unawaited coroutine calls
        self.attributes: list[tuple[cst.Attribute, FunctionInfo]] = []
        self.awaited_calls: set[int] = set()

    def on_call(self, site: CallSite) -> None:
        if not site.in_async or site.function is None:
            return
        result = self.ctx.resolver.call_result(site.callee, site.node)
        if site.awaited:
            self.awaited_calls.add(id(site.node))
            if is_async_iterator(result):
                self.ctx.report(
                    site.node, "ASF508",
                    f"{written(site.node)} returns an async iterator, which cannot be awaited "
                    "(TypeError); iterate it with 'async for'",
                    f"[x async for x in {written(site.node)}]",
                )
            return
        if is_coroutine(result):
            self.created[id(site.node)] = site.function
        if isinstance(site.callee, Ref) and site.callee.qualname in SYNC_CONSUMERS:
            for arg in site.node.args:
                if not arg.star and is_coroutine(self.ctx.resolver.resolve(arg.value)):
                    self._misused(arg.value, f"passed to {written(site.node.func)}()")

    def on_evaluate(self, site: EvalSite) -> None:
        if not site.in_async or not is_coroutine(site.value):
            return
        if site.protocol == "truth":
            self.ctx.report(
                site.node, "ASF505",
                f"{written(site.node)} is a coroutine, which is always true: the test never "
                f"sees the result; use 'await {written(site.node)}'",
                f"await {written(site.node)}",
            )
        else:
            self._misused(site.node, PROTOCOL_USES.get(site.protocol, f"used ({site.protocol})"))

    def on_attribute(self, site: AttributeSite) -> None:
        if site.in_async and site.function is not None and is_coroutine(site.receiver):
            if site.node.attr.value not in COROUTINE_ATTRIBUTES:
                self.attributes.append((site.node, site.function))

    def on_function_exit(self, function: FunctionInfo) -> None:
        if not function.is_async or not isinstance(function.node, cst.FunctionDef):
            return
        scan = _BodyScan()
        scan.walk(function.node.body)
        for statement in scan.statements:
            self._dropped_statement(statement, function)
        for name, value in scan.assignments:
            if isinstance(value, cst.Call) and self.created.get(id(value)) is function and name not in scan.loads:
                self._dropped(value, f"is bound to '{name}', which is never used", None)
        for node, owner in self.attributes:
            if owner is function:
                self._attribute(node, scan.awaits.get(id(node)))

    def on_module_exit(self, module: cst.Module) -> None:
        """An awaited call that some rule reports as blocking: the await does not help."""
        for index, finding in enumerate(self.ctx.findings):
            if id(finding.node) in self.awaited_calls and not finding.code.startswith("ASF5"):
                self.ctx.findings[index] = replace(finding, message=finding.message + AWAIT_NOTE)

    def _dropped_statement(self, statement: cst.Expr, function: FunctionInfo) -> None:
        call = statement.value
        if isinstance(call, cst.Call) and self.created.get(id(call)) is function:
            self._dropped(call, "is never awaited", awaited(call, statement))

    def _dropped(self, call: cst.Call, how: str, fix: Fix | None) -> None:
        text = written(call)
        self.ctx.report(
            call, "ASF504",
            f"the coroutine from {text} {how}, so it never runs; use 'await {text}'",
            f"await {text}", fix=fix,
        )

    def _attribute(self, node: cst.Attribute, awaited: cst.Await | None) -> None:
        coroutine_text = written(node.value)
        fix = None
        if awaited is not None:
            inner = cst.Await(expression=node.value, lpar=[cst.LeftParen()], rpar=[cst.RightParen()])
            replacement = cst.Attribute(value=inner, attr=node.attr, lpar=awaited.lpar, rpar=awaited.rpar)
            fix = Fix(target=awaited, replacement=replacement)
        self.ctx.report(
            node, "ASF506",
            f".{node.attr.value} is read off the coroutine {coroutine_text}, not off its result "
            f"(AttributeError); use '(await {coroutine_text}).{node.attr.value}'",
            f"(await {coroutine_text}).{node.attr.value}", fix=fix,
        )

    def _misused(self, node: cst.BaseExpression, how: str) -> None:
        text = written(node)
        self.ctx.report(
            node, "ASF507",
            f"the coroutine {text} is {how} instead of its result; use 'await {text}'",
            f"await {text}",
        )


class _BodyScan(FastVisitor):
    """An async function's own statements, the names it binds, and every name it reads
    (nested functions included: a closure may await the coroutine later)."""

    def __init__(self) -> None:
        super().__init__()
        self.depth = 0
        self.statements: list[cst.Expr] = []
        self.assignments: list[tuple[str, cst.BaseExpression]] = []
        self.awaits: dict[int, cst.Await] = {}
        self.loads: set[str] = set()
        self._not_loads: set[int] = set()

    def visit_FunctionDef(self, node: cst.FunctionDef) -> None:
        self.depth += 1

    def leave_FunctionDef(self, original_node: cst.FunctionDef) -> None:
        self.depth -= 1

    def visit_Lambda(self, node: cst.Lambda) -> None:
        self.depth += 1

    def leave_Lambda(self, original_node: cst.Lambda) -> None:
        self.depth -= 1

    def visit_ClassDef(self, node: cst.ClassDef) -> None:
        self.depth += 1

    def leave_ClassDef(self, original_node: cst.ClassDef) -> None:
        self.depth -= 1

    def visit_Expr(self, node: cst.Expr) -> None:
        if self.depth == 0:
            self.statements.append(node)

    def visit_Assign(self, node: cst.Assign) -> None:
        if self.depth == 0 and len(node.targets) == 1:
            self._bound(node.targets[0].target, node.value)

    def visit_AnnAssign(self, node: cst.AnnAssign) -> None:
        if self.depth == 0 and node.value is not None:
            self._bound(node.target, node.value)

    def _bound(self, target: cst.BaseExpression, value: cst.BaseExpression) -> None:
        if isinstance(target, cst.Name):
            self.assignments.append((target.value, value))
            self._not_loads.add(id(target))

    def visit_Await(self, node: cst.Await) -> None:
        self.awaits[id(node.expression)] = node

    def visit_Attribute(self, node: cst.Attribute) -> None:
        self._not_loads.add(id(node.attr))

    def visit_Arg(self, node: cst.Arg) -> None:
        if node.keyword is not None:
            self._not_loads.add(id(node.keyword))

    def visit_Global(self, node: cst.Global) -> None:
        self.loads.update(item.name.value for item in node.names)  # bound for use elsewhere

    def visit_Nonlocal(self, node: cst.Nonlocal) -> None:
        self.loads.update(item.name.value for item in node.names)

    def visit_Name(self, node: cst.Name) -> None:
        if id(node) not in self._not_loads:
            self.loads.add(node.value)


CHECKERS: tuple[type[Checker], ...] = (AsgirefChecker, CoroutineChecker)
