"""ASF201-ASF210: requests, the lazy request.user, auth and sessions.

Most of the family is data (catalog/django_web.toml). This module adds what a table cannot:
which names hold a request (annotations are data; the conventions below are code), what
awaiting ``request.auser()`` yields, Channels' scope, ``caches[alias]``, and attribute reads
of the lazy ``request.user``.
"""

from __future__ import annotations

from dataclasses import replace

import libcst as cst

from asyncsafe.catalog import Blocking
from asyncsafe.django.hierarchy import Ancestry, ancestry
from asyncsafe.django.methods import LAZY_METHODS
from asyncsafe.django.orm import AWAITABLE, MANAGER, ModelInstance, OrmTypes
from asyncsafe.django.schema import Model
from asyncsafe.engine.tree.events import (
    AttributeSite,
    CallSite,
    EvalSite,
    Fix,
)
from asyncsafe.engine.tree.providers import FileTypes
from asyncsafe.engine.tree.scopes import FunctionInfo, Resolver
from asyncsafe.engine.tree.values import Instance, Member, Ref, Value
from asyncsafe.rules.catalog_calls import CatalogChecker
from asyncsafe.rules.quotes import quote
from asyncsafe.rules.rewrites import FixingChecker, await_allowed

HTTP_REQUEST = Instance("django.http.HttpRequest")
DRF_REQUEST = Instance("rest_framework.request.Request")
SOME_REQUEST = Instance("asyncsafe.request")  # Django's or DRF's: its user may or may not be lazy
LAZY_USER = "django.http.HttpRequest.user"
USER = Instance("django.contrib.auth.models.AbstractUser")
SESSION = Instance("django.contrib.sessions.backends.base.SessionBase")
CHANNELS_SCOPE = Instance("channels.scope")
CHANNELS_SESSION = Instance("channels.session")
CACHE = Instance("django.core.cache.backends.base.BaseCache")

REQUEST_TYPES = ("django.http.HttpRequest", "asyncsafe.request")
DJANGO_FAMILY = ("django.", "rest_framework.", "adrf.", "ninja.", "channels.")
DRF_FAMILY = ("rest_framework.", "adrf.")
OTHER_WEB_FRAMEWORKS = (
    "starlette.", "fastapi.", "litestar.", "sanic.", "quart.", "aiohttp.", "falcon.", "tornado.",
    "flask.", "werkzeug.", "pyramid.", "bottle.", "blacksheep.", "robyn.",
)
HARMLESS_BASES = ("builtins.object", "abc.ABC", "typing.", "collections.abc.")
MIDDLEWARE_HOOKS = frozenset({
    "__call__", "__acall__", "process_request", "process_view", "process_response",
    "process_exception", "process_template_response",
})
USER_AWAITABLES = frozenset({"django.contrib.auth.aauthenticate", "django.contrib.auth.aget_user"})


class DjangoRequestTypes(FileTypes):
    """Type knowledge for requests, users, sessions, Channels scopes and caches."""

    _frameworks_cache: tuple[tuple[int, int], tuple[bool, bool, bool]] | None = None

    def ancestry(self, qualname: str) -> Ancestry:
        assert self.ctx is not None, "start_file() was not called"
        return ancestry(OrmTypes.of(self.ctx).index, qualname)

    # --- which names hold a request ----------------------------------------------------------
    def parameter(
        self, function: FunctionInfo, name: str, position: int, resolver: Resolver
    ) -> Value | None:
        """The first parameter (after ``self``) named ``request``, in a module that uses Django
        and no other web framework: a view, a middleware, an admin or a view helper."""
        if name != "request" or position != 0 or self._is_pytest_function(function, resolver):
            return None
        uses_django, uses_other, uses_drf = self._frameworks(resolver)
        if not uses_django or uses_other:
            return None
        if function.class_qualname is not None:
            if function.qualname.rpartition(".")[2] in MIDDLEWARE_HOOKS:
                return HTTP_REQUEST  # only Django's handler calls these
            return _method_request(self.ancestry(function.class_qualname), uses_drf)
        if _decorated_from(function, resolver, DRF_FAMILY):
            return DRF_REQUEST  # @api_view: DRF authenticates before the body runs
        nested = "<locals>" in function.qualname
        return SOME_REQUEST if nested and uses_drf else HTTP_REQUEST

    def _frameworks(self, resolver: Resolver) -> tuple[bool, bool, bool]:
        """Whether the module imports Django, another web framework, DRF. Asked once per
        ``request`` parameter, so kept until the module's bindings change (a generated module
        of thousands of views made this quadratic)."""
        module = resolver.scopes[0] if resolver.scopes else None
        key = (id(module), len(module.bindings) if module is not None else 0)
        cached = self._frameworks_cache
        if cached is None or cached[0] != key:
            imported = _module_imports(resolver)
            flags = tuple(_uses(imported, f) for f in (DJANGO_FAMILY, OTHER_WEB_FRAMEWORKS, DRF_FAMILY))
            cached = self._frameworks_cache = (key, (flags[0], flags[1], flags[2]))
        return cached[1]

    def _is_pytest_function(self, function: FunctionInfo, resolver: Resolver) -> bool:
        """pytest's own ``request`` fixture: in fixtures and in test functions of test modules,
        ``request`` is not Django's."""
        if _decorated_from(function, resolver, ("pytest.", "pytest_asyncio.")):
            return True
        parts = self.ctx.module.split(".") if self.ctx is not None else []
        in_tests = any(p.startswith("test") or p.endswith("_test") or p == "conftest" for p in parts)
        return in_tests and function.qualname.rpartition(".")[2].startswith("test")

    def member(self, receiver: Value, name: str) -> Value | None:
        if not isinstance(receiver, Instance) or receiver.info != "self" or self.ctx is None:
            return None
        if name not in ("request", "scope"):
            return None
        found = self.ancestry(receiver.type_name)
        if name == "request" and found.any_startswith("django.views.", *DRF_FAMILY):
            return DRF_REQUEST if found.any_startswith(*DRF_FAMILY) else HTTP_REQUEST
        if name == "scope" and found.any_startswith("channels.consumer.", "channels.generic."):
            return CHANNELS_SCOPE
        return None

    # --- what calls, awaits and subscripts yield ---------------------------------------------
    def call_result(
        self, callee: Value, call: cst.Call | None, resolver: Resolver
    ) -> Value | None:
        if isinstance(callee, Member) and callee.name == "auser":
            return Instance(AWAITABLE, self._user()) if self._is_request(callee.receiver) else None
        if isinstance(callee, Ref) and callee.qualname in USER_AWAITABLES:
            return Instance(AWAITABLE, self._user())
        return None

    def _user(self) -> Instance:
        """The resolved user: an instance of the project's user model when it is known."""
        model = OrmTypes.of(self.ctx).index.user_model() if self.ctx is not None else None
        return Instance(model, ModelInstance()) if model else USER

    def subscript(self, value: Value, node: cst.Subscript) -> Value | None:
        if value == Ref("django.core.cache.caches"):
            return CACHE
        if value == CHANNELS_SCOPE:
            key = _string_key(node)
            if key == "user":
                return USER  # resolved by Channels' AuthMiddleware before the consumer runs
            if key == "session":
                return CHANNELS_SESSION
        return None

    def _is_request(self, value: Instance) -> bool:
        return any(spec.name in REQUEST_TYPES for spec in self.catalog.type_chain(value.type_name))


def _module_imports(resolver: Resolver) -> list[str]:
    module = resolver.scopes[0] if resolver.scopes else None
    if module is None:
        return []
    return [value.qualname for value in module.bindings.values() if isinstance(value, Ref)]


def _uses(imported: list[str], prefixes: tuple[str, ...]) -> bool:
    return any(name.startswith(prefixes) for name in imported)


def _decorated_from(function: FunctionInfo, resolver: Resolver, prefixes: tuple[str, ...]) -> bool:
    node = function.node
    if not isinstance(node, cst.FunctionDef):
        return False
    for decorator in node.decorators:
        expression = decorator.decorator
        if isinstance(expression, cst.Call):
            expression = expression.func
        found = resolver.resolve(expression)
        if isinstance(found, Ref) and found.qualname.startswith(prefixes):
            return True
    return False


def _method_request(found: Ancestry, module_uses_drf: bool) -> Instance:
    """A method's request: DRF's when the class is a DRF view (its user is already resolved),
    Django's when every ancestor is Django's or the project's, unknown otherwise."""
    if found.any_startswith(*DRF_FAMILY):
        return DRF_REQUEST
    foreign = [
        name for name in found.external
        if not name.startswith(("django.", *HARMLESS_BASES))
    ]
    if not found.complete or foreign:
        return SOME_REQUEST
    if module_uses_drf and not found.any_startswith("django."):
        return SOME_REQUEST  # a plain helper class next to DRF views may be handed DRF's request
    return HTTP_REQUEST


def _string_key(node: cst.Subscript) -> str | None:
    if len(node.slice) != 1:
        return None
    index = node.slice[0].slice
    if isinstance(index, cst.Index) and isinstance(index.value, cst.SimpleString):
        value = index.value.evaluated_value
        return value if isinstance(value, str) else None
    return None


class UserModelChecker(CatalogChecker):
    """The catalog's django.contrib.auth entries (has_perm, check_password, create_user, ...)
    for what the ORM types as a user-model instance or a user manager: the project's own user
    model derives from AbstractUser, its manager from UserManager."""

    def on_call(self, site: CallSite) -> None:
        if isinstance(site.callee, Member) and not self.ctx.catalog.method(
            site.callee.receiver.type_name, site.callee.name
        ):
            super().on_call(site)

    def on_evaluate(self, site: EvalSite) -> None:
        pass

    def lookup_call(self, callee: Value) -> Blocking | None:
        if not isinstance(callee, Member):
            return None
        for type_name in self._cataloged_bases(callee.receiver):
            found = self.ctx.catalog.method(type_name, callee.name)
            if found is not None:
                return found
        return None

    def _cataloged_bases(self, receiver: Instance) -> list[str]:
        orm = OrmTypes.of(self.ctx)
        model = orm.instance_model(receiver)
        if model is not None:
            names = _model_lineage(orm, model)
        else:
            found = orm.queryset(receiver)
            manager = found[1].manager.manager_class if found and found[0] == MANAGER else None
            names = list(ancestry(orm.index, manager).names) if manager else []
        return [name for name in names if name in self.ctx.catalog.types]


def _model_lineage(orm: OrmTypes, model: Model) -> list[str]:
    names: list[str] = []
    pending = [model.qualname]
    while pending and len(names) < 32:
        name = pending.pop(0)
        if name not in names:
            names.append(name)
            parent = orm.index.model(name)
            pending.extend(parent.parents if parent is not None else ())
    return names


class LazyUserChecker(FixingChecker):
    """ASF201 for attribute reads of the lazy user (``request.user.username``) and for handing
    it to code that inspects it at once: a lazy QuerySet method (``filter(owner=request.user)``
    reads its ``_meta``) or a model constructor (the ForeignKey check reads its ``__class__``).
    Its protocols (truth, str, comparison) are catalog data."""

    codes = frozenset({"ASF201"})

    def on_call(self, site: CallSite) -> None:
        lazy = [arg.value for arg in site.node.args if self._is_lazy_user(arg.value)]
        inspector = self._inspecting_callee(site.callee) if lazy else None
        if inspector is None:
            return
        use = "'user = await request.auser()' and pass 'user'"
        for node in lazy:
            self.ctx.report(
                node,
                "ASF201",
                f"passing the lazy {quote(node)} to {inspector} evaluates it: the session "
                f"and the user are loaded from the database on the event loop; use {use}",
                use,
            )

    def _is_lazy_user(self, node: cst.BaseExpression) -> bool:
        """Only names and ``<x>.user`` can hold it: other arguments are not resolved at all."""
        named = isinstance(node, cst.Name)
        if not (named or (isinstance(node, cst.Attribute) and node.attr.value == "user")):
            return False
        value = self.ctx.resolver.resolve(node)
        return isinstance(value, Instance) and value.type_name == LAZY_USER

    def _inspecting_callee(self, callee: Value) -> str | None:
        orm = OrmTypes.of(self.ctx)
        if isinstance(callee, Member) and callee.name in LAZY_METHODS and orm.queryset(callee.receiver):
            return f"{callee.name}()"
        is_model, model = orm.model_class(callee)
        if is_model and model is not None:
            return f"the {model.name}() constructor"
        return None

    def on_attribute(self, site: AttributeSite) -> None:
        receiver = site.receiver
        if not (isinstance(receiver, Instance) and receiver.type_name == LAZY_USER):
            return
        blocking = self.ctx.catalog.protocol(LAZY_USER, "truth")
        if blocking is None:
            return
        lazy = site.node.value
        texts = {"subject": quote(lazy)}
        reading = replace(blocking, what=f"'{quote(site.node)}' reads the lazy {{subject}}, which")
        django = self.ctx.settings.django
        self.ctx.report(
            lazy,
            "ASF201",
            reading.message(django, texts),
            reading.suggestion(django, texts),
            fix=self._fix(lazy, site.function),
        )

    def _fix(self, lazy: cst.BaseExpression, function: FunctionInfo | None) -> Fix | None:
        """``request.user.x`` -> ``(await request.auser()).x``: unsafe, because code that
        assigned ``request.user`` earlier (a custom middleware) is not seen by ``auser()``."""
        if not isinstance(lazy, cst.Attribute) or self.ctx.settings.django < (5, 0):
            return None
        if function is None or not function.is_async or not await_allowed(self.parents, function, lazy):
            return None
        auser = cst.Call(func=lazy.with_changes(attr=cst.Name("auser")))
        replacement = cst.Await(auser, lpar=[cst.LeftParen()], rpar=[cst.RightParen()])
        return Fix(lazy, replacement, safe=False)
