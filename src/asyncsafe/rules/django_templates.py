"""ASF240: rendering a template whose context holds something lazy, in async code.

Django templates are sync: ``{% for b in books %}`` iterates a QuerySet, ``{{ user.name }}``
loads the lazy ``request.user``, both on the event loop when ``render()`` runs there.
``TemplateResponse`` is clean: Django's async handler renders it in a thread.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

import libcst as cst

from asyncsafe.catalog import Catalog
from asyncsafe.django.orm import (
    MANAGER,
    QUERYSET,
    RAW_QUERYSET,
    RELATED_MANAGER,
    queryset_info,
)
from asyncsafe.engine.tree.events import CallSite, Checker, FileContext
from asyncsafe.engine.tree.providers import BaseTypes
from asyncsafe.engine.tree.scopes import Resolver, dict_instance
from asyncsafe.engine.tree.values import Instance, Member, Ref, Value
from asyncsafe.rules.django_forms import form_in_context
from asyncsafe.rules.django_request import LAZY_USER
from asyncsafe.rules.quotes import quote

CONTEXT_TYPES = ("builtins.dict", "django.template.Context")
BACKEND_TEMPLATE = "django.template.backends.django.Template"
ENGINE_TEMPLATE = "django.template.Template"

# callee -> (position, keyword) of its context argument
RENDER_FUNCTIONS = {
    "django.shortcuts.render": (2, "context"),
    "django.template.loader.render_to_string": (1, "context"),
}
RENDER_METHODS = {BACKEND_TEMPLATE: (0, "context"), ENGINE_TEMPLATE: (0, "context")}
CONTEXT_CLASSES = {  # class -> position of its dict argument
    "django.template.Context": 0,
    "django.template.context.Context": 0,
    "django.template.RequestContext": 1,
    "django.template.context.RequestContext": 1,
}

QUERYSET_WORDS = {
    QUERYSET: "a QuerySet", MANAGER: "a manager", RELATED_MANAGER: "a related manager",
    RAW_QUERYSET: "a raw QuerySet",
}
FETCH_ROWS = "fetch the rows first ('[b async for b in qs]')"


@dataclass(frozen=True)
class Lazy:
    what: str  # what the context holds
    resolve: str  # how to resolve it before rendering


def lazy_reason(ctx: FileContext, value: Instance) -> Lazy | None:
    """Why rendering ``value`` in a template runs queries, or None."""
    if value.type_name == LAZY_USER:
        return Lazy("the lazy request.user", "pass 'await request.auser()'")
    info = queryset_info(value)
    if info is not None:
        if info.cached or info.empty:
            return None
        return Lazy(QUERYSET_WORDS[value.type_name], FETCH_ROWS)
    field = form_in_context(ctx, value)
    if field is not None:
        return Lazy(f"a form whose field '{field}' renders its choices from a QuerySet", "run the render call through 'sync_to_async'")
    return None


class TemplateContextTypes(BaseTypes):
    """``dict(a=qs)`` and ``Context({...})`` remember their values, like dict literals."""

    def __init__(self, catalog: Catalog) -> None:
        self.catalog = catalog

    def call_result(
        self, callee: Value, call: cst.Call | None, resolver: Resolver
    ) -> Value | None:
        if call is None or not isinstance(callee, Ref):
            return None
        if callee.qualname == "builtins.dict":
            return dict_instance(
                (arg.keyword.value, resolver.resolve(arg.value))
                for arg in call.args
                if arg.keyword is not None
            )
        if callee.qualname in CONTEXT_CLASSES:
            given = _argument(call, CONTEXT_CLASSES[callee.qualname], "dict_")
            found = resolver.resolve(given) if given is not None else None
            items = found.info if isinstance(found, Instance) and found.type_name == "builtins.dict" else ()
            return Instance("django.template.Context", items)
        return None



class TemplateRenderChecker(Checker):
    codes = frozenset({"ASF240"})

    def on_call(self, site: CallSite) -> None:
        where = _context_parameter(site.callee)
        if where is None:
            return
        given = _argument(site.node, *where)
        if given is None:
            return
        found = next(_lazy_entries(self.ctx, self.ctx.resolver.resolve(given)), None)
        if found is None:
            return
        key, lazy = found
        named = f" ('{key}')" if key else ""
        callee = quote(site.node.func)
        use = f"{lazy.resolve}, or return a TemplateResponse, which Django renders in a thread"
        self.ctx.report(
            site.node,
            "ASF240",
            f"{callee}() renders a context holding {lazy.what}{named}: the template runs its "
            f"queries on the event loop; {use}",
            use,
        )


def _context_parameter(callee: Value) -> tuple[int, str] | None:
    if isinstance(callee, Ref):
        return RENDER_FUNCTIONS.get(callee.qualname)
    if isinstance(callee, Member) and callee.name == "render":
        return RENDER_METHODS.get(callee.receiver.type_name)
    return None


def _lazy_entries(
    ctx: FileContext, context: Value, depth: int = 0
) -> Iterator[tuple[str | None, Lazy]]:
    """(key, why) for every lazy value in a known context, nested dicts included."""
    if not isinstance(context, Instance) or context.type_name not in CONTEXT_TYPES:
        return
    if depth > 3 or not isinstance(context.info, tuple):
        return
    for key, value in context.info:
        if not isinstance(value, Instance):
            continue
        reason = lazy_reason(ctx, value)
        if reason is not None:
            yield key, reason
        else:
            yield from _lazy_entries(ctx, value, depth + 1)


def _argument(call: cst.Call, position: int, keyword: str) -> cst.BaseExpression | None:
    positional = [arg for arg in call.args if arg.keyword is None and not arg.star]
    for arg in call.args:
        if arg.keyword is not None and arg.keyword.value == keyword:
            return arg.value
    return positional[position].value if position < len(positional) else None
