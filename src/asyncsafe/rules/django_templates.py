"""ASF240: rendering a template whose context holds something lazy, in async code.

Django templates are sync: ``{% for b in books %}`` iterates a QuerySet, ``{{ user.name }}``
loads the lazy ``request.user``, both on the event loop when ``render()`` runs there.
``TemplateResponse`` is clean: Django's async handler renders it in a thread.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator

import libcst as cst

from asyncsafe.catalog import Catalog
from asyncsafe.engine.events import CallSite, Checker
from asyncsafe.engine.providers import BaseTypes
from asyncsafe.engine.scopes import Resolver, dict_instance
from asyncsafe.engine.values import Instance, Member, Ref, Value
from asyncsafe.rules.django_request import LAZY_USER
from asyncsafe.rules.twins import quote

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

LazyTest = Callable[[Instance], "str | None"]
LAZY_TESTS: list[LazyTest] = []  # other families add theirs (QuerySets, forms)


def lazy_user(value: Instance) -> str | None:
    return "the lazy request.user" if value.type_name == LAZY_USER else None


LAZY_TESTS.append(lazy_user)


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
        found = next(_lazy_entries(self.ctx.resolver.resolve(given)), None)
        if found is None:
            return
        key, reason = found
        named = f" ('{key}')" if key else ""
        callee = quote(site.node.func)
        self.ctx.report(
            site.node,
            "ASF240",
            f"{callee}() renders a context holding {reason}{named}; the template evaluates it "
            "with blocking queries on the event loop; resolve it first (e.g. 'user = await "
            "request.auser()', '[b async for b in qs]') and pass plain values, or return a "
            "TemplateResponse, which Django renders in a thread",
            "resolve lazy values before rendering, or return TemplateResponse(...)",
        )


def _context_parameter(callee: Value) -> tuple[int, str] | None:
    if isinstance(callee, Ref):
        return RENDER_FUNCTIONS.get(callee.qualname)
    if isinstance(callee, Member) and callee.name == "render":
        return RENDER_METHODS.get(callee.receiver.type_name)
    return None


def _lazy_entries(context: Value, depth: int = 0) -> Iterator[tuple[str | None, str]]:
    """(key, why) for every lazy value in a known context, nested dicts included."""
    if not isinstance(context, Instance) or context.type_name not in CONTEXT_TYPES:
        return
    if depth > 3 or not isinstance(context.info, tuple):
        return
    for key, value in context.info:
        if not isinstance(value, Instance):
            continue
        for test in LAZY_TESTS:
            reason = test(value)
            if reason is not None:
                yield key, reason
                break
        else:
            yield from _lazy_entries(value, depth + 1)


def _argument(call: cst.Call, position: int, keyword: str) -> cst.BaseExpression | None:
    positional = [arg for arg in call.args if arg.keyword is None and not arg.star]
    for arg in call.args:
        if arg.keyword is not None and arg.keyword.value == keyword:
            return arg.value
    return positional[position].value if position < len(positional) else None
