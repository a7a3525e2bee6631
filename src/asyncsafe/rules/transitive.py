"""ASF6xx: async code calling a project sync helper that blocks, directly or further down.

Every walk feeds the call graph (``engine/facts/callgraph.py``, ``engine/facts/module_facts.py``): the sync functions of the module, the
first blocking finding in each (what every other rule reported there) and the calls each makes.
When the walk of a checked file ends, each call from an async body into a project sync function,
method, constructor or property is looked up there, and reported with the chain that blocks.
"""

from __future__ import annotations

import libcst as cst

from asyncsafe.engine.facts.callgraph import Callee, CallGraph, Chain, collect_bodies
from asyncsafe.engine.facts.project_types import graph_for
from asyncsafe.engine.tree.awaitables import source_of
from asyncsafe.engine.tree.events import AttributeSite, Checker, FileContext
from asyncsafe.engine.tree.scopes import FunctionInfo
from asyncsafe.engine.tree.values import Instance, Member
from asyncsafe.rules.registry import RuleSpec, register

# Root codes that do not block but fail when run on the event loop's thread.
LOOP_FAILURES = frozenset({"ASF501", "ASF502"})

HIDDEN = (
    "The blocking call is not in the async function itself but in a sync helper it calls, "
    "maybe several calls and modules away, so it is easy to miss in review and invisible to "
    "linters that look at one function at a time. At run time the helper executes on the event "
    "loop's thread: while it waits, no other request on the worker makes progress. Django's "
    "SynchronousOnlyOperation guard only fires when a database query is actually reached on the "
    "code path a test happens to execute. The message names the chain and the blocking call "
    "with its location; chains longer than `max-depth` (default 8) are not followed."
)

register(
    RuleSpec(
        code="ASF601",
        name="blocking-helper-call",
        summary="a call to a project sync function or method that blocks, directly or further down",
        why=HIDDEN,
        example="""
            # services.py
            def load_court(pk):
                return Court.objects.get(pk=pk)

            def build_context(pk):
                return {"court": load_court(pk)}

            # views.py
            async def court_view(request, pk):
                context = build_context(pk)
                # ASF601 build_context() -> load_court() -> Court.objects.get() (services.py:3)
        """,
        fix="""
            async def court_view(request, pk):
                context = await sync_to_async(build_context)(pk)
                # or make the chain async: await Court.objects.aget(pk=pk)
        """,
    ),
    RuleSpec(
        code="ASF602",
        name="blocking-constructor",
        summary="constructing a project class whose __init__ blocks, directly or further down",
        why=(
            "Creating the object runs its __init__ right there, on the event loop. Forms that "
            "fill their choices from a QuerySet, clients that connect in __init__ and wrappers "
            "that read a file are the usual cases. " + HIDDEN
        ),
        example="""
            class ReviewForm(forms.Form):
                def __init__(self, *args, **kwargs):
                    super().__init__(*args, **kwargs)
                    self.fields["book"].choices = [(b.pk, b.title) for b in Book.objects.all()]

            async def review(request):
                form = ReviewForm(request.POST)  # ASF602
        """,
        fix="""
            async def review(request):
                form = await sync_to_async(ReviewForm)(request.POST)
        """,
    ),
    RuleSpec(
        code="ASF603",
        name="blocking-property",
        summary="reading a project property whose getter blocks, directly or further down",
        why=(
            "A @property (or cached_property) runs its getter on every read (the first read, "
            "for cached_property): a model property that follows a foreign key or counts "
            "related rows runs a query wherever it is read. " + HIDDEN
        ),
        example="""
            class Book(models.Model):
                @property
                def author_name(self):
                    return self.author.name

            async def detail(request, pk):
                book = await Book.objects.aget(pk=pk)
                return JsonResponse({"author": book.author_name})  # ASF603
        """,
        fix="""
            async def detail(request, pk):
                book = await Book.objects.select_related("author").aget(pk=pk)
                return JsonResponse({"author": book.author_name})
                # or: name = await sync_to_async(lambda: book.author_name)()
        """,
    ),
)

CODES = {"function": "ASF601", "constructor": "ASF602", "property": "ASF603"}


class TransitiveChecker(Checker):
    codes = frozenset(CODES.values())

    def __init__(self, ctx: FileContext) -> None:
        super().__init__(ctx)
        self.functions: list[FunctionInfo] = []
        self.reads: list[tuple[FunctionInfo, Member, cst.Attribute]] = []
        self._registered = (0, 0)  # how many functions and reads the call graph was handed

    def on_function_exit(self, function: FunctionInfo) -> None:
        self.functions.append(function)

    def on_attribute(self, site: AttributeSite) -> None:
        if site.function is not None and not site.is_callee and isinstance(site.receiver, Instance):
            self.reads.append((site.function, Member(site.receiver, site.node.attr.value), site.node))

    def on_module_exit(self, module: cst.Module) -> None:
        graph = graph_for(self.ctx)
        self._register(graph, module)
        if self.ctx.module not in graph.extracting and self.codes & self.ctx.settings.enabled_codes():
            self._report(graph)

    def on_deferred_walked(self) -> None:
        assert self.ctx.tree is not None, "deferred bodies come after the module's walk"
        self._register(graph_for(self.ctx), self.ctx.tree)

    def _register(self, graph: CallGraph, module: cst.Module) -> None:
        """Hand the call graph what the sync functions walked since the last time do: the
        module's facts grow one function at a time as chains reach deferred ones."""
        functions, reads = self._registered
        new_reads = [(function, member) for function, member, _ in self.reads[reads:]]
        bodies, nodes = collect_bodies(self.ctx, graph, self.functions[functions:], new_reads)
        self._registered = len(self.functions), len(self.reads)
        graph.register(self.ctx.module, bodies, module, nodes, self.ctx.deferring)

    def _report(self, graph: CallGraph) -> None:
        reported = {id(finding.node) for finding in self.ctx.findings}
        for function in self.functions:
            if not function.is_async:
                continue
            for call, callee, _ in function.calls:
                edge = graph.edge_for(callee)
                if edge is not None and id(call) not in reported:
                    self._check(graph, function, call, graph.followed(edge))
        for function, member, node in self.reads:
            edge = graph.edge_for(member, attribute=True)
            if function.is_async and edge is not None and id(node) not in reported:
                self._check(graph, function, node, graph.followed(edge))

    def _check(
        self, graph: CallGraph, function: FunctionInfo, node: cst.Call | cst.Attribute,
        callee: Callee | None,
    ) -> None:
        chain = graph.chain_from(callee) if callee is not None else None
        if callee is None or chain is None:
            return
        code = CODES[callee.kind]
        advice = _advice(callee, node)
        self.ctx.report(node, code, f"{_describe(chain)}; use {advice}", advice, function)


def _describe(chain: Chain) -> str:
    root = chain.blocker.code
    if root in LOOP_FAILURES:
        return f"{chain.text()} raises RuntimeError on the event loop's thread ({root} in a sync helper)"
    return f"{chain.text()} blocks the event loop ({root} in a sync helper)"


def _advice(callee: Callee, node: cst.Call | cst.Attribute) -> str:
    if isinstance(node, cst.Attribute):
        return f"'await sync_to_async(lambda: {source_of(node)})()' or load the data before"
    return (
        f"'await sync_to_async({source_of(node.func)})(...)' or make the "
        f"{'class' if callee.kind == 'constructor' else 'helper'} async"
    )


CHECKERS: tuple[type[Checker], ...] = (TransitiveChecker,)
