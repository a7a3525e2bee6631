"""ASF1xx: the Django ORM in async code.

Receivers are typed by ``asyncsafe.django.orm.OrmTypes`` (QuerySets, managers, related managers,
model instances, from the project's model index); a finding needs a proven receiver, never a
bare method name. Function-style APIs (get_object_or_404, transaction, connection.cursor,
prefetch_related_objects) are data in ``catalog/django_orm.toml``.
"""

from __future__ import annotations

import libcst as cst

from asyncsafe.django.methods import EVALUATING_METHODS
from asyncsafe.django.orm import (
    PAGE,
    PAGINATOR,
    QUERYSET,
    RAW_QUERYSET,
    RELATED_MANAGER,
    OrmTypes,
    QuerySetInfo,
)
from asyncsafe.django.schema import Model, RelationKind
from asyncsafe.engine.tree.events import (
    AttributeSite,
    CallSite,
    Checker,
    EvalSite,
    FileContext,
    Fix,
)
from asyncsafe.engine.tree.scopes import FunctionInfo
from asyncsafe.engine.tree.values import Instance, Member, Ref, Value
from asyncsafe.rules.registry import RuleSpec, register
from asyncsafe.rules.rewrites import (
    FixingChecker,
    async_for,
    await_method_twin,
    list_to_async_comprehension,
    short_code,
)

Version = tuple[int, int]
QUERYSET_ASYNC: Version = (4, 1)  # every QuerySet a* method and `async for`
MODEL_ASYNC: Version = (4, 2)  # Model.asave/adelete/arefresh_from_db, related aadd/aremove/...
ASYNC_PAGINATOR: Version = (6, 0)

INSTANCE_TWINS = {"save": "asave", "delete": "adelete", "refresh_from_db": "arefresh_from_db"}
INSTANCE_WITHOUT_TWIN = frozenset({"full_clean", "validate_unique", "validate_constraints"})
RELATED_WRITES: dict[str, Version] = {
    "add": MODEL_ASYNC,
    "remove": MODEL_ASYNC,
    "set": MODEL_ASYNC,
    "clear": MODEL_ASYNC,
    "create": QUERYSET_ASYNC,
    "get_or_create": QUERYSET_ASYNC,
    "update_or_create": QUERYSET_ASYNC,
}
CACHE_AWARE = frozenset({"count", "exists", "contains"})  # use a filled result cache
EVALUATING_PROTOCOLS = frozenset({"iterate", "truth", "contains", "index", "format", "len"})
PAGINATOR_READS = {"count": "acount", "num_pages": "anum_pages", "page_range": "apage_range"}
PAGINATOR_CALLS = {"page": "apage", "get_page": "aget_page"}
SERIALIZE = "django.core.serializers.serialize"
ATOMIC = "django.db.transaction.atomic"
ON_LOOP = "a blocking database query on the event loop"

FREEZES = (
    "An ASGI worker serves every request from one event loop thread; while the query waits for "
    "the database, no other request on that worker makes progress. Django raises "
    "SynchronousOnlyOperation only when the query actually reaches the database, so cached "
    "results make the same line pass in tests and fail (or stall) in production."
)


def _version(version: Version) -> str:
    return f"{version[0]}.{version[1]}"


class DjangoOrmChecker(FixingChecker):
    codes = frozenset(f"ASF1{n:02d}" for n in range(1, 12))

    def __init__(self, ctx: FileContext) -> None:
        super().__init__(ctx)
        self.orm = OrmTypes.of(self.ctx)
        self.evaluated: dict[int, set[tuple[str, Value]]] = {}  # per function: filled result caches
        self.read: dict[int, set[tuple[str, Value, str]]] = {}  # per function: relations loaded
        self.assigned: dict[int, set[str]] = {}  # per function: `x.attr = ...` targets

    @property
    def django(self) -> Version:
        return self.ctx.settings.django

    def has(self, version: Version) -> bool:
        return self.django >= version

    # --- calls -------------------------------------------------------------------------------------
    def on_call(self, site: CallSite) -> None:
        callee = site.callee
        if isinstance(callee, Member):
            found = self.orm.queryset(callee.receiver)
            if found is not None:
                self._queryset_call(site, found[0], found[1], callee.name)
                return
            model = self.orm.instance_model(callee.receiver)
            if model is not None:
                self._instance_call(site, model, callee.name)
            elif callee.receiver.type_name == PAGINATOR and callee.name in PAGINATOR_CALLS:
                self._paginator(site.node, site.node.func, callee.name, PAGINATOR_CALLS[callee.name], "(n)")
        elif isinstance(callee, Ref) and callee.qualname == SERIALIZE:
            self._serialize(site)

    def _queryset_call(self, site: CallSite, kind: str, info: QuerySetInfo, name: str) -> None:
        if info.empty or kind == RAW_QUERYSET:
            return
        if kind == RELATED_MANAGER and name in RELATED_WRITES:
            recv = _receiver_code(site.node, "related")
            what = f"related manager {recv}.{name}()"
            self._method(site, "ASF104", what, recv, name, RELATED_WRITES[name], "writes")
        elif name in EVALUATING_METHODS:
            if name == "delete" and kind != QUERYSET:
                return  # managers have no delete(): AttributeError, not a query
            if info.cached and name in CACHE_AWARE:
                return
            recv = _receiver_code(site.node, "qs")
            self._method(site, "ASF101", f"{recv}.{name}()", recv, name, QUERYSET_ASYNC, "runs")
        else:
            custom = self.orm.custom_method(info, name)
            if custom is not None and custom.evaluates and not custom.is_async:
                recv = _receiver_code(site.node, "qs")
                use = f"'await sync_to_async({recv}.{name})(...)'"
                message = (
                    f"{recv}.{name}() evaluates a QuerySet ({custom.evaluates} inside): {ON_LOOP}; "
                    f"use {use} or an async variant built on the a* methods"
                )
                self.ctx.report(site.node, "ASF101", message, use)

    def _method(
        self, site: CallSite, code: str, what: str, recv: str, name: str, since: Version, verb: str
    ) -> None:
        twin = f"a{name}"
        if name == "iterator":
            use = f"'async for row in {recv}.aiterator()'"
        else:
            use = f"'await {recv}.{twin}(...)'"
        fix: Fix | None = None
        if not self.has(since):
            use = (
                f"'await sync_to_async({recv}.{name})(...)' ({twin}() arrives in Django {_version(since)})"
            )
        elif name != "iterator":
            fix = self._await_fix(site, twin)
        action = "writes to the database on the event loop" if verb == "writes" else f"runs {ON_LOOP}"
        self.ctx.report(site.node, code, f"{what} {action}; use {use}", use, fix=fix)

    def _await_fix(self, site: CallSite, twin: str) -> Fix | None:
        function = site.function
        if function is None or not function.is_async:
            return None
        return await_method_twin(site.node, twin, self.parents.of(function, site.node))

    def _instance_call(self, site: CallSite, model: Model, name: str) -> None:
        if name not in INSTANCE_TWINS and name not in INSTANCE_WITHOUT_TWIN:
            return
        recv = _receiver_code(site.node, model.name.lower())
        if name in INSTANCE_TWINS:
            self._method(site, "ASF103", f"{recv}.{name}()", recv, name, MODEL_ASYNC, "runs")
        elif name in INSTANCE_WITHOUT_TWIN:
            use = f"'await sync_to_async({recv}.{name})()' (Django has no async {name})"
            message = f"{recv}.{name}() runs validation queries (unique checks, related rows) on the event loop; use {use}"
            self.ctx.report(site.node, "ASF103", message, use)

    def _serialize(self, site: CallSite) -> None:
        positional = [a for a in site.node.args if a.keyword is None and not a.star]
        given = positional[1].value if len(positional) > 1 else None
        given = given or next((a.value for a in site.node.args if a.keyword and a.keyword.value == "queryset"), None)
        found = self.orm.queryset(self.ctx.resolver.resolve(given)) if given is not None else None
        if found is not None and found[0] == QUERYSET and not found[1].empty:
            use = "'await sync_to_async(serializers.serialize)(...)' (there is no async serializer)"
            message = f"serializers.serialize() iterates the QuerySet (and each row's many-to-many managers): {ON_LOOP}; use {use}"
            self.ctx.report(site.node, "ASF109", message, use)

    def _paginator(self, node: cst.CSTNode, accessor: cst.BaseExpression, name: str, twin: str, args: str) -> None:
        recv = short_code(accessor.value, "paginator") if isinstance(accessor, cst.Attribute) else "paginator"
        if self.has(ASYNC_PAGINATOR):
            use = f"an AsyncPaginator and 'await {recv}.{twin}{args or '()'}'"
        else:
            use = f"'await sync_to_async(lambda: {recv}.{name}{args})()' (AsyncPaginator arrives in Django 6.0)"
        what = f"{recv}.{name}()" if args else f"{recv}.{name}"
        self.ctx.report(node, "ASF110", f"{what} counts or slices a QuerySet: {ON_LOOP}; use {use}", use)

    # --- protocols ---------------------------------------------------------------------------
    def on_evaluate(self, site: EvalSite) -> None:
        found = self.orm.queryset(site.value)
        if found is None:
            if isinstance(site.value, Instance) and site.value.type_name == PAGE:
                self._page(site)
            return
        kind, info = found
        if kind not in (QUERYSET, RAW_QUERYSET) or info.empty or info.cached:
            return
        seen = self.evaluated.setdefault(self._key(site.function), set())
        marker = (short_code(site.node, "", limit=200), site.value)
        if marker in seen:
            return  # the result cache is already filled: no query
        if site.protocol == "aiterate":
            seen.add(marker)
        elif site.protocol in EVALUATING_PROTOCOLS:
            seen.add(marker)
            self._evaluation(site, kind)

    def _evaluation(self, site: EvalSite, kind: str) -> None:
        recv = short_code(site.node, "qs")
        code = "ASF108" if kind == RAW_QUERYSET else "ASF102"
        what, use = _protocol_advice(site.protocol, recv)
        fix: Fix | None = None
        if not self.has(QUERYSET_ASYNC):
            use = f"'await sync_to_async(list)({recv})' and work on the list (async iteration arrives in Django 4.1)"
        elif site.protocol == "iterate" and site.function is not None and site.function.is_async:
            fix = self._iteration_fix(site)
        label = "raw SQL QuerySet" if kind == RAW_QUERYSET else "QuerySet"
        self.ctx.report(site.node, code, f"{what} evaluates the {label}: {ON_LOOP}; use {use}", use, fix=fix)

    def _iteration_fix(self, site: EvalSite) -> Fix | None:
        assert site.function is not None
        fix = async_for(site.node, self.parents, site.function)
        if fix is not None:
            return fix
        call = self.parents.of(site.function, self.parents.of(site.function, site.node) or site.node)
        if isinstance(call, cst.Call) and self.ctx.resolver.resolve(call.func) == Ref("builtins.list"):
            if len(call.args) == 1 and call.args[0].value is site.node:
                return list_to_async_comprehension(call, site.node)
        return None

    def _page(self, site: EvalSite) -> None:
        if site.protocol not in ("iterate", "len", "index"):
            return
        recv = short_code(site.node, "page")
        if self.has(ASYNC_PAGINATOR):
            use = f"an AsyncPaginator page and 'await {recv}.aget_object_list()'"
        else:
            use = f"'await sync_to_async(list)({recv})' (AsyncPaginator arrives in Django 6.0)"
        what = {"iterate": f"iterating {recv}", "len": f"len({recv})", "index": f"indexing {recv}"}
        message = f"{what[site.protocol]} evaluates the page's QuerySet: {ON_LOOP}; use {use}"
        self.ctx.report(site.node, "ASF110", message, use)

    # --- attribute reads -----------------------------------------------------------------------
    def on_attribute(self, site: AttributeSite) -> None:
        if site.is_callee:
            return
        name = site.node.attr.value
        if isinstance(site.receiver, Instance) and site.receiver.type_name == PAGINATOR:
            if name in PAGINATOR_READS:
                self._paginator(site.node, site.node, name, PAGINATOR_READS[name], "")
            return
        model = self.orm.instance_model(site.receiver)
        if model is None or name.endswith("_id") or name == "pk":
            return
        loaded = self.orm.loaded(site.receiver)
        if name in model.fields:
            if name not in model.primary_keys and loaded.is_deferred(name):
                self._lazy_read(site, model, name, None, None)
            return
        relation = self.orm.index.relation(model, name)
        if relation is not None and relation.kind.single_object and not loaded.has(name):
            target = self.orm.index.target(model, relation)
            self._lazy_read(site, model, name, relation.kind, target)

    def _lazy_read(
        self,
        site: AttributeSite,
        model: Model,
        name: str,
        kind: RelationKind | None,
        target: str | None,
    ) -> None:
        recv = short_code(site.node.value, model.name.lower())
        key = self._key(site.function)
        if f"{recv}.{name}" in self._assigned_attributes(site.function):
            return  # assigned in this function: the related object is cached
        reads = self.read.setdefault(key, set())
        marker = (recv, site.receiver, name)
        if marker in reads:
            return  # the first read cached it
        reads.add(marker)
        if kind is None:
            message = (
                f"reading {recv}.{name} loads a deferred field (only()/defer()): {ON_LOOP}; "
                f"include '{name}' in only() (or drop it from defer()) on the query that fetched {recv}"
            )
            self.ctx.report(site.node, "ASF105", message, f"include '{name}' in only()")
            return
        how = "prefetch_related" if kind is RelationKind.GENERIC_FOREIGN_KEY else "select_related"
        use = f"{how}('{name}') on the query that fetched {recv}"
        if kind in (RelationKind.FOREIGN_KEY, RelationKind.ONE_TO_ONE):
            related = target.rsplit(".", 1)[-1] if target else "<Model>"
            use += f", or fetch it with 'await {related}.objects.aget(pk={recv}.{name}_id)'"
        else:
            use += f", or 'await sync_to_async(lambda: {recv}.{name})()'"
        message = f"reading {recv}.{name} ({kind.value}) loads the related object with {ON_LOOP} unless it is cached; use {use}"
        self.ctx.report(site.node, "ASF105", message, use)

    def _assigned_attributes(self, function: FunctionInfo | None) -> set[str]:
        key = self._key(function)
        if key not in self.assigned:
            self.assigned[key] = _assigned_attributes(function.node) if function else set()
        return self.assigned[key]

    # --- functions --------------------------------------------------------------------------------
    def on_function_exit(self, function: FunctionInfo) -> None:
        if function.is_async and isinstance(function.node, cst.FunctionDef):
            for decorator in function.node.decorators:
                self._atomic_decorator(function, decorator)
        key = self._key(function)
        for memory in (self.evaluated, self.read, self.assigned):
            memory.pop(key, None)
        super().on_function_exit(function)

    def _atomic_decorator(self, function: FunctionInfo, decorator: cst.Decorator) -> None:
        expression = decorator.decorator
        target = expression.func if isinstance(expression, cst.Call) else expression
        if self.ctx.resolver.resolve(target) != Ref(ATOMIC):
            return
        use = (
            "a sync function decorated with @transaction.atomic, called with "
            "'await sync_to_async(fn)()': Django has no async transaction API"
        )
        message = (
            "@transaction.atomic on an async def opens the transaction on the event loop and only "
            f"around creating the coroutine, not around its body; use {use}"
        )
        self.ctx.report(decorator, "ASF107", message, use, function=function)

    @staticmethod
    def _key(function: FunctionInfo | None) -> int:
        return id(function)


def _assigned_attributes(root: cst.CSTNode) -> set[str]:
    """``a.b = ...`` targets in one function (nested functions included: rare, and safe).

    Walks statements only: assignments never hide inside expressions.
    """
    found: set[str] = set()
    pending = [root]
    while pending:
        node = pending.pop()
        if isinstance(node, cst.SimpleStatementLine):
            for small in node.body:
                targets = [t.target for t in small.targets] if isinstance(small, cst.Assign) else []
                if isinstance(small, (cst.AnnAssign, cst.AugAssign)):
                    targets.append(small.target)
                found.update(short_code(t, "", limit=200) for t in targets if isinstance(t, cst.Attribute))
        elif not isinstance(node, cst.BaseExpression):
            pending.extend(node.children)
    return found


def _receiver_code(call: cst.Call, fallback: str) -> str:
    """``Book.objects`` of ``Book.objects.get(...)``, for messages (``fallback`` when long)."""
    receiver = call.func.value if isinstance(call.func, cst.Attribute) else call.func
    return short_code(receiver, fallback)


def _protocol_advice(protocol: str, recv: str) -> tuple[str, str]:
    rows = f"'[row async for row in {recv}]'"
    advice = {
        "iterate": (f"iterating {recv}", f"'async for row in {recv}' or {rows}"),
        "len": (f"len({recv})", f"'await {recv}.acount()'"),
        "truth": (f"truth-testing {recv}", f"'await {recv}.aexists()'"),
        "contains": (f"'in {recv}'", f"'await {recv}.acontains(obj)'"),
        "index": (f"indexing {recv}", f"'await {recv}.afirst()' or '[row async for row in {recv}[i:i + 1]]'"),
        "format": (f"formatting {recv} (repr/str/f-string)", f"{rows} first, then format the list"),
    }
    return advice[protocol]


register(
    RuleSpec(
        code="ASF101",
        name="queryset-query-method",
        summary="a QuerySet/manager method that runs a query (get, first, count, exists, create, update, delete, ...) in async code",
        why=(
            "get, first, last, latest, earliest, count, exists, contains, aggregate, in_bulk, "
            "iterator, create, get_or_create, update_or_create, bulk_create, bulk_update, update, "
            "delete and explain run SQL as soon as they are called, and so do custom QuerySet "
            f"methods that call them. {FREEZES}"
        ),
        example="""
            async def book(request, pk):
                book = Book.objects.get(pk=pk)
        """,
        fix="""
            async def book(request, pk):
                book = await Book.objects.aget(pk=pk)
        """,
        since="4.1",
        autofix=(
            "`--fix` rewrites `qs.get(...)` to `await qs.aget(...)` (each query method to its a* "
            "twin, except iterator()), from Django 4.1 on."
        ),
    ),
    RuleSpec(
        code="ASF102",
        name="queryset-evaluated",
        summary="a QuerySet evaluated by iteration, len(), bool(), 'in', indexing or repr() in async code",
        why=(
            "QuerySets are lazy: building and chaining them (and slicing without a step) runs "
            "nothing. The line that evaluates one runs the query: for loops, comprehensions, "
            "list()/tuple()/set()/sorted(), unpacking, len(), if qs / not qs, x in qs, qs[0], "
            f"qs[::2], repr()/str()/f-strings. {FREEZES}"
        ),
        example="""
            async def titles(request):
                return [b.title for b in Book.objects.filter(published=True)]
        """,
        fix="""
            async def titles(request):
                return [b.title async for b in Book.objects.filter(published=True)]
        """,
        since="4.1",
        autofix=(
            "`--fix` rewrites `for x in qs` and list/set/dict comprehensions to `async for`, and "
            "`list(qs)` to `[row async for row in qs]`, from Django 4.1 on."
        ),
    ),
    RuleSpec(
        code="ASF103",
        name="model-instance-query",
        summary="Model.save()/delete()/refresh_from_db()/full_clean()/validate_unique() in async code",
        why=(
            "save, delete and refresh_from_db write or read the row; full_clean, "
            "validate_unique and validate_constraints run queries for unique checks and "
            f"constraints (no async twin exists for them). {FREEZES}"
        ),
        example="""
            async def rename(request, pk):
                book = await Book.objects.aget(pk=pk)
                book.title = request.POST["title"]
                book.save()
        """,
        fix="""
            async def rename(request, pk):
                book = await Book.objects.aget(pk=pk)
                book.title = request.POST["title"]
                await book.asave()
        """,
        since="4.2",
        autofix=(
            "`--fix` rewrites `obj.save()`, `delete()` and `refresh_from_db()` to `await obj.asave()`, "
            "`adelete()` and `arefresh_from_db()`, from Django 4.2 on."
        ),
    ),
    RuleSpec(
        code="ASF104",
        name="related-manager-write",
        summary="a related manager's add/remove/set/clear/create/get_or_create/update_or_create in async code",
        why=(
            "author.books.add(...), book.tags.set(...), author.book_set.create(...) and friends "
            "write the relation (and often read it first) as soon as they are called. "
            f"{FREEZES}"
        ),
        example="""
            async def tag(request, pk):
                book = await Book.objects.aget(pk=pk)
                book.tags.add(tag)
        """,
        fix="""
            async def tag(request, pk):
                book = await Book.objects.aget(pk=pk)
                await book.tags.aadd(tag)
        """,
        since="4.2",
        autofix=(
            "`--fix` rewrites `obj.tags.add(...)` (and the other related-manager writes) to "
            "`await obj.tags.aadd(...)`, from Django 4.2 on."
        ),
    ),
    RuleSpec(
        code="ASF105",
        name="lazy-relation-read",
        summary="a forward/reverse one-to-one, foreign key, generic foreign key or deferred field read that is not known loaded",
        why=(
            "Reading book.author (a ForeignKey), user.profile (a reverse one-to-one), "
            "comment.content_object (a GenericForeignKey) or a field deferred by only()/defer() "
            "runs a query unless the object was loaded with select_related/prefetch_related "
            "(or only() named the field, or the object was built in this function). There is "
            "no async accessor; *_id attributes never query. Reported only for objects fetched "
            "in the same function: what a parameter or self holds is decided by its caller. "
            f"{FREEZES}"
        ),
        example="""
            async def detail(request, pk):
                book = await Book.objects.aget(pk=pk)
                return JsonResponse({"author": book.author.name})
        """,
        fix="""
            async def detail(request, pk):
                book = await Book.objects.select_related("author").aget(pk=pk)
                return JsonResponse({"author": book.author.name})
        """,
    ),
    RuleSpec(
        code="ASF106",
        name="get-object-or-404",
        summary="get_object_or_404()/get_list_or_404() in async code",
        why=f"Both shortcuts run the query synchronously. {FREEZES}",
        example="""
            async def detail(request, pk):
                book = get_object_or_404(Book, pk=pk)
        """,
        fix="""
            async def detail(request, pk):
                book = await aget_object_or_404(Book, pk=pk)
        """,
        since="5.0",
    ),
    RuleSpec(
        code="ASF107",
        name="sync-transaction",
        summary="transaction.atomic (and other transaction functions) in async code",
        why=(
            "transaction.atomic opens a transaction (BEGIN or a SAVEPOINT) on the connection, "
            "on_commit and the savepoint functions query the connection's state. Django has no "
            "async transaction API in any release; decorating an async def with "
            "@transaction.atomic is wrong twice: it runs on the event loop and only wraps the "
            f"coroutine's creation. {FREEZES}"
        ),
        example="""
            async def transfer(request):
                with transaction.atomic():
                    ...
        """,
        fix="""
            @transaction.atomic
            def _transfer(data):
                ...

            async def transfer(request):
                await sync_to_async(_transfer)(data)
        """,
    ),
    RuleSpec(
        code="ASF108",
        name="raw-sql",
        summary="connection.cursor() or an evaluated Model.objects.raw(...) in async code",
        why=(
            "connection.cursor() (also connections[alias].cursor()) opens a cursor, and "
            "iterating a RawQuerySet runs its SQL. There is no async cursor; a RawQuerySet "
            f"supports 'async for' from Django 4.1. {FREEZES}"
        ),
        example="""
            async def report(request):
                with connection.cursor() as cursor:
                    cursor.execute(SQL)
        """,
        fix="""
            def _report():
                with connection.cursor() as cursor:
                    cursor.execute(SQL)
                    return cursor.fetchall()

            async def report(request):
                rows = await sync_to_async(_report)()
        """,
    ),
    RuleSpec(
        code="ASF109",
        name="serialize-queryset",
        summary="serializers.serialize() of a QuerySet in async code",
        why=(
            "django.core.serializers.serialize iterates the QuerySet and, for many-to-many "
            f"fields, each row's related manager. There is no async serializer. {FREEZES}"
        ),
        example="""
            async def export(request):
                data = serializers.serialize("json", Book.objects.all())
        """,
        fix="""
            async def export(request):
                data = await sync_to_async(serializers.serialize)("json", Book.objects.all())
        """,
    ),
    RuleSpec(
        code="ASF110",
        name="sync-paginator",
        summary="Paginator over a QuerySet: page()/get_page()/count/num_pages/page_range, or iterating its Page, in async code",
        why=(
            "Paginator.count runs qs.count(); page()/get_page() and num_pages need it, and "
            "iterating a Page evaluates the sliced QuerySet. AsyncPaginator (apage, acount, "
            f"anum_pages, AsyncPage.aget_object_list) exists from Django 6.0. {FREEZES}"
        ),
        example="""
            async def listing(request):
                page = Paginator(Book.objects.all(), 20).page(1)
        """,
        fix="""
            async def listing(request):
                page = await AsyncPaginator(Book.objects.all(), 20).apage(1)
        """,
        since="6.0",
    ),
    RuleSpec(
        code="ASF111",
        name="prefetch-related-objects",
        summary="prefetch_related_objects() in async code",
        why=f"prefetch_related_objects runs one query per lookup. {FREEZES}",
        example="""
            async def books(request, books):
                prefetch_related_objects(books, "tags")
        """,
        fix="""
            async def books(request, books):
                await aprefetch_related_objects(books, "tags")
        """,
        since="5.0",
    ),
)

CHECKERS: tuple[type[Checker], ...] = (DjangoOrmChecker,)
