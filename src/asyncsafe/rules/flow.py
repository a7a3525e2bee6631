"""ASF509: an awaitable callable handed to a project sync helper that calls it and drops the
coroutine it returns (issue 16: values that cross function boundaries).

``helper(request, sync_to_async(check))`` or ``helper(request, acheck)`` from async code, where
the sync ``helper`` runs ``check(request)`` as a statement of its own: the call makes a coroutine
that nothing awaits, so the check never runs. Reported at the async call site, with the line
inside the helper.
"""

from __future__ import annotations

from asyncsafe.django.returns import ReturnTypes
from asyncsafe.engine.facts.callgraph import Callee
from asyncsafe.engine.facts.project_types import SYNC_TO_ASYNC, graph_for
from asyncsafe.engine.tree.awaitables import COROUTINE_FUNCTION, written
from asyncsafe.engine.tree.events import CallSite, Checker
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


class DroppedCallableChecker(Checker):
    codes = frozenset({"ASF509"})

    def on_call(self, site: CallSite) -> None:
        if not site.in_async or site.awaited:
            return
        callee = self._helper(site.callee)
        if callee is None:
            return
        index = ReturnTypes.index_of(self.ctx)
        if index is None:
            return
        names, dropped = index.dropped_calls(callee.module, callee.local)
        if not dropped:
            return
        skip = 1 if isinstance(site.callee, Member) or _bound_to_class(callee) else 0
        names = names[skip:]
        positional = [a for a in site.node.args if a.keyword is None and not a.star]
        for place, arg in enumerate(site.node.args):
            if arg.star:
                continue
            name = arg.keyword.value if arg.keyword is not None else (
                names[positional.index(arg)] if positional.index(arg) < len(names) else None
            )
            if name in dropped and self._awaitable(self.ctx.resolver.resolve(arg.value)):
                graph = graph_for(self.ctx)
                where = f"{graph.path_of(callee.module)}:{dropped[name]}"
                self.ctx.report(
                    arg.value, "ASF509",
                    f"{written(arg.value)} returns a coroutine when called, and {callee.label} "
                    f"calls it as '{name}(...)' and drops it ({where}): it never runs; await it in "
                    f"async code, or hand the helper a sync callable and run the helper with "
                    f"'await sync_to_async({written(site.node.func)})(...)'",
                    f"await sync_to_async({written(site.node.func)})(...)",
                )

    def _helper(self, callee: Value) -> Callee | None:
        graph = graph_for(self.ctx)
        edge = graph.edge_for(callee)
        found = graph.callee_for(edge) if edge is not None else None
        if found is None or found.kind != "function" or not found.symbol.runs_when_called:
            return None
        return found

    def _awaitable(self, value: Value) -> bool:
        if isinstance(value, Instance):
            return value.type_name in (SYNC_TO_ASYNC, COROUTINE_FUNCTION)
        if isinstance(value, (Ref, Member)):
            symbol = graph_for(self.ctx).function_for(value)
            return symbol is not None and symbol.returns_coroutine
        return False


def _bound_to_class(callee: Callee) -> bool:
    """``Class.method(...)`` of a classmethod: ``cls`` is bound, like ``self``."""
    return "builtins.classmethod" in callee.symbol.decorators


CHECKERS: tuple[type[Checker], ...] = (DroppedCallableChecker,)
