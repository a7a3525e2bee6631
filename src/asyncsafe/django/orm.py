"""The ORM's values and the type provider that gives them to the resolver.

Values (all ``engine.values.Instance``; ``info`` carries the detail):

* ``Instance(QUERYSET, QuerySetInfo)``: a QuerySet (``Book.objects.filter(...)``);
* ``Instance(MANAGER, QuerySetInfo)``: a model's manager (``Book.objects``);
* ``Instance(RELATED_MANAGER, QuerySetInfo)``: ``author.book_set``, ``book.tags`` (``info.related``
  says which relation);
* ``Instance(RAW_QUERYSET, QuerySetInfo)``: ``Book.objects.raw(...)``;
* ``Instance("<model qualname>", ModelInstance)``: a model instance (``self`` in a model method
  is the walker's ``Instance("<model qualname>", "self")``: ask ``OrmTypes.instance_model``);
* ``Ref("<model qualname>")`` or ``Instance(MODEL_CLASS, "<qualname>" | None)``: a model class;
* ``Instance(AWAITABLE, <Value>)``: what an ``a*`` coroutine gives when awaited.

Rules ask through ``orm = OrmTypes.of(ctx)``:

* ``orm.queryset(value)`` -> ``(kind, QuerySetInfo)`` or None: is it a QuerySet (``kind`` is
  ``QUERYSET``), a manager, a related manager or a raw QuerySet; ``info.model`` is the model's
  qualname (None when unknown), ``info.values`` for ``values()`` rows, ``info.cached`` when the
  result cache is known filled (prefetched);
* ``orm.instance_model(value)`` -> ``Model`` or None: is it a model instance, of which model;
* ``orm.model_class(value)`` -> ``(is a model class, Model | None)``;
* ``orm.loaded(value)`` -> ``Loaded``: what an instance is known to hold without a query;
* ``orm.instance_of(qualname)`` makes a model instance value; ``orm.user_model()`` is
  ``settings.AUTH_USER_MODEL``; ``orm.index`` is the project's ``ModelIndex`` (``model(q)``,
  ``relation(model, name)``, ``target(model, relation)``, ``is_model(q)``, ``canonical(q)``).
"""

from __future__ import annotations

import ast
from dataclasses import dataclass, replace

import libcst as cst

from asyncsafe.catalog import Catalog
from asyncsafe.django.index import ModelIndex
from asyncsafe.django.methods import EVALUATING_METHODS, LAZY_METHODS
from asyncsafe.django.schema import ManagerSpec, MethodKind, Model, RelationKind
from asyncsafe.django.summary import ModuleSummary
from asyncsafe.engine.facts.project import Project
from asyncsafe.engine.tree.awaitables import ASYNC_ITERATOR, COROUTINE
from asyncsafe.engine.tree.events import FileContext
from asyncsafe.engine.tree.scopes import Resolver, Scope, ScopeKind
from asyncsafe.engine.tree.values import UNKNOWN, Instance, Member, Ref, Value

QUERYSET = "django.db.models.query.QuerySet"
MANAGER = "django.db.models.manager.Manager"
RELATED_MANAGER = "django.db.models.fields.related_descriptors.RelatedManager"
RAW_QUERYSET = "django.db.models.query.RawQuerySet"
MODEL_CLASS = "django.db.models.base.ModelBase"
AWAITABLE = COROUTINE  # what an a* call returns; its info is what awaiting it gives
ASYNC_ROWS = ASYNC_ITERATOR  # what aiterator() returns: only for `async for`
PAGINATOR = "django.core.paginator.Paginator"
PAGE = "django.core.paginator.Page"
QUERYSET_KINDS = frozenset({QUERYSET, MANAGER, RELATED_MANAGER, RAW_QUERYSET})

ROW_METHODS = frozenset({"get", "first", "last", "latest", "earliest"})
# Async twins that return a coroutine (shared/reference/django-async-api.md §1-§4).
ASYNC_TWINS = frozenset(f"a{name}" for name in EVALUATING_METHODS | {"add", "remove", "set", "clear"})
MODEL_ASYNC_METHODS = frozenset({"asave", "adelete", "arefresh_from_db"})
VALUES_METHODS = frozenset({"values", "values_list", "dates", "datetimes"})
GET_USER_MODEL = "django.contrib.auth.get_user_model"
GET_OBJECT = frozenset({"django.shortcuts.get_object_or_404"})
AGET_OBJECT = frozenset({"django.shortcuts.aget_object_or_404"})
QUERYSET_VIEWS = {
    "django.views.generic": frozenset(
        {
            "ListView", "DetailView", "CreateView", "UpdateView", "DeleteView",
            "MultipleObjectMixin", "SingleObjectMixin", "BaseListView", "BaseDetailView",
            "BaseCreateView", "BaseUpdateView", "BaseDeleteView", "ArchiveIndexView",
            "BaseArchiveIndexView", "YearArchiveView", "MonthArchiveView", "WeekArchiveView",
            "DayArchiveView", "TodayArchiveView", "DateDetailView", "BaseDateListView",
        }
    ),
    "rest_framework": frozenset(
        {
            "GenericAPIView", "ListAPIView", "RetrieveAPIView", "CreateAPIView", "DestroyAPIView",
            "UpdateAPIView", "ListCreateAPIView", "RetrieveUpdateAPIView",
            "RetrieveDestroyAPIView", "RetrieveUpdateDestroyAPIView", "GenericViewSet",
            "ModelViewSet", "ReadOnlyModelViewSet",
        }
    ),
}
LOADING_METHODS = ("select_related", "prefetch_related", "only", "defer")


@dataclass(frozen=True)
class Loaded:
    """What a model instance is known to hold without another query."""

    relations: frozenset[str] = frozenset()  # select_related/prefetch_related lookups
    # Treat everything as loaded: the object was built in this function, the lookup list cannot
    # be read, or the object comes from outside the function (a parameter, ``self``), where the
    # caller decides what it loaded.
    everything: bool = False
    only: frozenset[str] | None = None  # fields named in only(): every other field is deferred
    deferred: frozenset[str] = frozenset()  # fields named in defer()

    def has(self, relation: str) -> bool:
        return self.everything or relation in {path.split("__")[0] for path in self.relations}

    def including(self, *relations: str) -> Loaded:
        return replace(self, relations=self.relations | frozenset(relations))

    def nested(self, relation: str) -> Loaded:
        """What is known loaded on the related object reached through ``relation``."""
        if self.everything:
            return Loaded(everything=True)
        prefix = f"{relation}__"
        return Loaded(frozenset(p[len(prefix):] for p in self.relations if p.startswith(prefix)))

    def is_deferred(self, field: str) -> bool:
        if self.everything:
            return False
        return field in self.deferred or (self.only is not None and field not in self.only)


@dataclass(frozen=True)
class QuerySetInfo:
    """A QuerySet, manager or related manager of ``model`` (None: a model not known here)."""

    model: str | None
    manager: ManagerSpec = ManagerSpec()  # custom manager / QuerySet classes (their methods)
    related: RelationKind | None = None  # set on related managers
    values: bool = False  # values()/values_list(): rows are dicts or tuples
    loaded: Loaded = Loaded()  # what rows fetched through it hold
    cached: bool = False  # the result cache is filled (a prefetched related manager)
    empty: bool = False  # none(): evaluating it runs no query
    origin: int = 0  # id() of the node that made it, so two QuerySets never compare equal
    owner_fields: frozenset[str] = frozenset()  # fields Django caches on every row (the owner)


@dataclass(frozen=True)
class ModelInstance:
    loaded: Loaded = Loaded()
    origin: int = 0


def queryset_info(value: Value) -> QuerySetInfo | None:
    """The QuerySet detail of a QuerySet/manager/related manager/raw QuerySet value."""
    if isinstance(value, Instance) and value.type_name in QUERYSET_KINDS:
        if isinstance(value.info, QuerySetInfo):
            return value.info
    return None


class OrmTypes:
    """The Django ORM ``TypeProvider`` (and ``FileAware``): see the module docstring."""

    def __init__(self, catalog: Catalog) -> None:
        self.catalog = catalog
        self.ctx: FileContext | None = None
        self._index: ModelIndex | None = None

    @staticmethod
    def of(ctx: FileContext) -> OrmTypes:
        for provider in ctx.resolver.providers:
            if isinstance(provider, OrmTypes):
                return provider
        raise LookupError("the Django ORM provider is not registered")

    def start_file(self, ctx: FileContext) -> None:
        self.ctx = ctx
        self._index = None

    @property
    def index(self) -> ModelIndex:
        """The project's model index; without a project, the checked file alone."""
        if self._index is None:
            assert self.ctx is not None, "start_file() was not called"
            project = self.ctx.project or Project(self.ctx.path, self.ctx.settings)
            self._index = ModelIndex.for_project(project)
        return self._index

    # --- questions rules ask ---------------------------------------------------------------------
    def queryset(self, value: Value) -> tuple[str, QuerySetInfo] | None:
        """(kind, info) when ``value`` is a QuerySet-like value; kind is one of QUERYSET_KINDS.

        ``self`` inside a project QuerySet/manager subclass counts (its model is not known).
        """
        info = queryset_info(value)
        if info is not None and isinstance(value, Instance):
            return value.type_name, info
        if isinstance(value, Instance) and self._is_project_name(value.type_name):
            kind = self.index.class_kind(value.type_name)
            if kind == "queryset":
                return QUERYSET, QuerySetInfo(None, ManagerSpec(None, value.type_name))
            if kind == "manager":
                spec = self.index.manager_spec(value.type_name) or ManagerSpec(value.type_name)
                return MANAGER, QuerySetInfo(None, spec)
        return None

    def model_class(self, value: Value) -> tuple[bool, Model | None]:
        """(is a model class, its model if known): ``Book``, ``get_user_model()``, ``self.model``."""
        if isinstance(value, Instance) and value.type_name == MODEL_CLASS:
            model = self.index.model(value.info) if isinstance(value.info, str) else None
            return True, model
        if isinstance(value, Ref) and self._is_model_name(value.qualname):
            return True, self.index.model(self.index.canonical(value.qualname))
        return False, None

    def instance_model(self, value: Value) -> Model | None:
        """The model of a model instance (``book``, ``self`` in a model method, ``user``)."""
        if isinstance(value, Instance) and value.type_name not in QUERYSET_KINDS:
            if isinstance(value.info, ModelInstance) or self._is_model_name(value.type_name):
                return self.index.model(self.index.canonical(value.type_name))
        return None

    def instance_of(self, qualname: str, loaded: Loaded = Loaded(), origin: int = 0) -> Instance | None:
        """A model instance value of model ``qualname`` (None if it is not a known model); for
        rules that make instances themselves, e.g. ``user = await request.auser()`` (fetched
        here, nothing loaded: the default ``Loaded()``)."""
        model = self.index.model(self.index.canonical(qualname)) if self._is_model_name(qualname) else None
        return Instance(model.qualname, ModelInstance(loaded, origin)) if model else None

    def user_model(self) -> str | None:
        """settings.AUTH_USER_MODEL as a model name (None when the project's settings disagree)."""
        return self.index.user_model()

    def loaded(self, value: Value) -> Loaded:
        """What a model instance is known to hold. Instances made outside this function (``self``
        of a model method) count as loaded: their producer is not in sight."""
        info = value.info if isinstance(value, Instance) else None
        return info.loaded if isinstance(info, ModelInstance) else Loaded(everything=True)

    def _is_project_name(self, qualname: str) -> bool:
        return self.index.in_project(qualname)

    def _is_model_name(self, qualname: str) -> bool:
        """A project model, or one of django.contrib's (names elsewhere are never models)."""
        if qualname.startswith("django.contrib.") or self._is_project_name(qualname):
            return self.index.is_model(qualname)
        return False

    # --- TypeProvider ------------------------------------------------------------------------
    def member(self, receiver: Value, name: str) -> Value | None:
        if self.ctx is None:
            return None
        is_class, model = self.model_class(receiver)
        if is_class:
            return self._manager(model, name)
        found = self.queryset(receiver)
        if found is not None:
            return self._queryset_attribute(found[1], name)
        if isinstance(receiver, Instance):
            model = self.instance_model(receiver)
            if model is not None:
                return self._instance_attribute(receiver, model, name)
            if receiver.type_name in (PAGINATOR, PAGE) and name == "object_list":
                return Instance(QUERYSET, receiver.info)
            if self._is_project_name(receiver.type_name):
                return self._class_attribute(receiver.type_name, name)
        return None

    def _manager(self, model: Model | None, name: str) -> Value | None:
        if model is None:
            if name in ("objects", "_default_manager", "_base_manager"):
                return Instance(MANAGER, QuerySetInfo(None))
            return None
        spec = model.manager(name)
        if spec is None:
            return None
        return Instance(MANAGER, QuerySetInfo(model.qualname, spec))

    def _queryset_attribute(self, info: QuerySetInfo, name: str) -> Value | None:
        if name == "model":
            return Ref(info.model) if info.model else Instance(MODEL_CLASS, None)
        return None

    def _instance_attribute(self, receiver: Instance, model: Model, name: str) -> Value | None:
        relation = self.index.relation(model, name)
        if relation is None:
            return None
        target = self.index.target(model, relation)
        loaded = self.loaded(receiver)
        origin = hash((receiver, name))
        rows = loaded.nested(name)
        if relation.caches_owner and relation.field:
            rows = rows.including(relation.field)  # Django caches the owner on each row
        if relation.kind.single_object:
            if target is None:
                return UNKNOWN
            return Instance(target, ModelInstance(rows, origin))
        target_model = self.index.model(target) if target else None
        spec = target_model.default_manager if target_model else ManagerSpec()
        owner = frozenset({relation.field}) if relation.caches_owner and relation.field else frozenset()
        info = QuerySetInfo(
            target,
            spec,
            relation.kind,
            owner_fields=owner,
            loaded=rows,  # prefetch_related("books__publisher") reaches the rows
            cached=loaded.has(name),
            origin=origin,
        )
        return Instance(RELATED_MANAGER, info)

    def _class_attribute(self, qualname: str, name: str) -> Value | None:
        """``self.model`` / ``self.queryset`` of a class that sets them (views, viewsets)."""
        if name not in ("model", "queryset"):
            return None
        found = self.index.class_attribute(qualname, name)
        if found is None:
            return None
        value = self.resolve_elsewhere(*found)
        if name == "model":
            return value if self.model_class(value)[0] else None
        return value if self.queryset(value) is not None else None

    def resolve_elsewhere(self, node: ast.expr, summary: ModuleSummary) -> Value:
        """Resolve an expression written in another module (a class attribute of a base)."""
        assert self.ctx is not None
        bindings: dict[str, Value] = {name: Ref(q) for name, q in summary.imports.items()}
        bindings.update({name: Ref(f"{summary.module}.{name}") for name in summary.classes})
        resolver = Resolver(self.ctx.resolver.providers)
        resolver.scopes = [Scope(ScopeKind.MODULE, bindings, qualname=summary.module)]
        try:
            return resolver.resolve(cst.parse_expression(ast.unparse(node)))
        except (cst.ParserSyntaxError, ValueError, RecursionError):
            return UNKNOWN

    def call_result(self, callee: Value, call: cst.Call | None, resolver: Resolver) -> Value | None:
        if self.ctx is None:
            return None
        if isinstance(callee, Ref):
            return self._function_result(callee, call, resolver)
        if isinstance(callee, Member):
            found = self.queryset(callee.receiver)
            if found is not None:
                return self._queryset_method(found[0], found[1], callee.name, call)
            if callee.receiver.type_name == PAGINATOR and callee.name in ("page", "get_page"):
                return Instance(PAGE, callee.receiver.info)
            if callee.name == "get_queryset" and self._is_project_name(callee.receiver.type_name):
                return self._view_queryset(callee.receiver.type_name, call)
            if callee.name in MODEL_ASYNC_METHODS and self.instance_model(callee.receiver):
                return Instance(AWAITABLE)
        return None

    def _function_result(self, callee: Ref, call: cst.Call | None, resolver: Resolver) -> Value | None:
        is_class, model = self.model_class(callee)
        if is_class:
            if model is None:
                return None
            return Instance(model.qualname, ModelInstance(Loaded(everything=True), id(call)))
        if callee.qualname == GET_USER_MODEL:
            user = self.index.user_model()
            return Ref(user) if user else None
        first = resolver.resolve(call.args[0].value) if call is not None and call.args else UNKNOWN
        if callee.qualname in GET_OBJECT | AGET_OBJECT:
            row = self._row_of(first, call)
            if row is None or callee.qualname in GET_OBJECT:
                return row
            return Instance(AWAITABLE, row)
        if callee.qualname == PAGINATOR:
            found = self.queryset(first)
            if found is not None and found[0] == QUERYSET:
                return Instance(PAGINATOR, found[1])
        return None

    def _row_of(self, source: Value, call: cst.Call | None) -> Value | None:
        """A row fetched from a model class, manager or QuerySet (get_object_or_404's argument)."""
        is_class, model = self.model_class(source)
        if is_class:
            return Instance(model.qualname, ModelInstance(origin=id(call))) if model else None
        found = self.queryset(source)
        if found is None or found[1].model is None or found[1].values:
            return None
        return Instance(found[1].model, ModelInstance(found[1].loaded, id(call)))

    def _queryset_method(
        self, kind: str, info: QuerySetInfo, name: str, call: cst.Call | None
    ) -> Value | None:
        if kind == RAW_QUERYSET:
            return None
        origin = id(call)
        if name in LAZY_METHODS:
            return Instance(QUERYSET, _chain(info, name, call, origin))
        if name == "raw":
            return Instance(RAW_QUERYSET, replace(info, origin=origin))
        if name == "aiterator":
            return Instance(ASYNC_ROWS, info)
        row = self._row(info, name, origin)
        if row is not None:
            return row
        if name in ASYNC_TWINS:
            return Instance(AWAITABLE, self._row(info, name[1:], origin))
        custom = self.custom_method(info, name)
        if custom is not None and custom.returns_queryset:
            return Instance(QUERYSET, replace(info, cached=False, origin=origin))
        return None

    def _row(self, info: QuerySetInfo, name: str, origin: int) -> Value | None:
        if info.model is None or info.values:
            return None
        if name in ROW_METHODS:
            return Instance(info.model, ModelInstance(info.loaded, origin))
        if name == "create":
            return Instance(info.model, ModelInstance(Loaded(everything=True), origin))
        return None

    def custom_method(self, info: QuerySetInfo, name: str) -> MethodKind | None:
        """What a custom manager/QuerySet method does (None: not a custom method)."""
        for owner in (info.manager.manager_class, info.manager.queryset_class):
            if owner and self._is_project_name(owner):
                found = self.index.method_kind(owner, name)
                if found is not None:
                    return found
        return None

    def _view_queryset(self, qualname: str, call: cst.Call | None) -> Value | None:
        """``self.get_queryset()`` of a Django generic view / DRF generic view with a model."""
        if not any(_is_queryset_view(base) for base in self.index.project_bases(qualname)):
            return None
        source = self._class_attribute(qualname, "queryset")
        if source is None:
            model = self._class_attribute(qualname, "model")
            source = self.member(model, "_default_manager") if model is not None else None
        found = self.queryset(source) if source is not None else None
        if found is None:
            return None
        info = replace(found[1], origin=id(call), cached=False)
        override = self.index.find_method(qualname, "get_queryset")
        if override is not None:
            kind = self.index.method_kind(override[1].qualname, "get_queryset")
            if kind is None or not kind.returns_queryset:
                return None
            if any(f".{word}(" in ast.unparse(override[0]) for word in LOADING_METHODS):
                info = replace(info, loaded=Loaded(everything=True))  # what it loads: not read
        return Instance(QUERYSET, info)

    def annotation(self, qualname: str) -> Value | None:
        """``book: Book`` is a model instance (loaded state unknown: the caller fetched it).
        ``qs: QuerySet`` is not trusted: libraries annotate duck-typed parameters (lists,
        QuerySets) that way, and a guess is a false finding."""
        if self.ctx is None:
            return None
        if self._is_model_name(qualname):
            model = self.index.model(self.index.canonical(qualname))
            outside = Loaded(everything=True)  # a parameter: its caller decides what is loaded
            return Instance(model.qualname, ModelInstance(outside)) if model else None
        return None

    def element(self, iterable: Value) -> Value | None:
        if self.ctx is None or not isinstance(iterable, Instance):
            return None
        info = iterable.info
        if iterable.type_name in (QUERYSET, RAW_QUERYSET, ASYNC_ROWS, PAGE) and isinstance(info, QuerySetInfo):
            if info.model is not None and not info.values:
                return Instance(info.model, ModelInstance(info.loaded, info.origin))
        return None

    def entered(self, manager: Value) -> Value | None:
        return None

    def awaited(self, awaitable: Value, node: cst.BaseExpression) -> Value | None:
        if isinstance(awaitable, Instance) and awaitable.type_name == AWAITABLE:
            return awaitable.info if isinstance(awaitable.info, (Ref, Instance)) else None
        return None

    def subscript(self, value: Value, node: cst.Subscript) -> Value | None:
        if isinstance(value, Ref) and value.qualname == "django.db.connections":
            return Ref("django.db.connection")  # connections[alias]: the same API
        found = self.queryset(value)
        if found is None or found[0] != QUERYSET or len(node.slice) != 1:
            return None
        index = node.slice[0].slice
        if isinstance(index, cst.Slice):
            if index.step is not None:
                return None
            return Instance(QUERYSET, replace(found[1], cached=False, origin=id(node)))
        return self._row(found[1], "get", id(node))


def _is_queryset_view(qualname: str) -> bool:
    module, _, name = qualname.rpartition(".")
    return any(
        (module == prefix or module.startswith(f"{prefix}.")) and name in names
        for prefix, names in QUERYSET_VIEWS.items()
    )


def _chain(info: QuerySetInfo, method: str, call: cst.Call | None, origin: int) -> QuerySetInfo:
    """The QuerySet a lazy method returns: what it loads, whether its rows are values."""
    fresh_query = info.related is not None and method != "all"  # the prefetch cache is left
    chained = replace(
        info,
        origin=origin,
        related=None,
        loaded=Loaded(info.owner_fields) if fresh_query else info.loaded,
        cached=info.cached and method == "all",
        empty=info.empty or method == "none",
        values=info.values or method in VALUES_METHODS,
    )
    if method not in LOADING_METHODS:
        return chained
    names = _lookup_names(call)
    loaded = info.loaded
    if names is None:
        loaded = replace(loaded, everything=True) if method in ("select_related", "prefetch_related") else loaded
    elif method in ("select_related", "prefetch_related"):
        loaded = replace(loaded, relations=loaded.relations | names, everything=loaded.everything or not names)
    elif method == "only":
        loaded = replace(loaded, only=frozenset(n.split("__")[0] for n in names))
    else:
        loaded = replace(loaded, deferred=loaded.deferred | names)
    return replace(chained, loaded=loaded)


def _lookup_names(call: cst.Call | None) -> frozenset[str] | None:
    """String lookups passed to select_related/prefetch_related/only/defer (None: not literal)."""
    if call is None:
        return None
    names: set[str] = set()
    for arg in call.args:
        value = arg.value
        if isinstance(value, cst.Call) and value.args and dotted_tail(value.func) == "Prefetch":
            value = value.args[0].value
        if arg.keyword is not None or arg.star or not isinstance(value, cst.SimpleString):
            return None
        text = value.evaluated_value
        if not isinstance(text, str):
            return None
        names.add(text)
    return frozenset(names)


def dotted_tail(node: cst.BaseExpression) -> str | None:
    if isinstance(node, cst.Name):
        return node.value
    if isinstance(node, cst.Attribute):
        return node.attr.value
    return None
