"""ASF2xx: Django request, auth, sessions, mail, cache, templates, forms — the rule metadata.

The matching lives in catalog/django_web.toml and in the modules named in CHECKERS/PROVIDERS.
"""

from __future__ import annotations

from collections.abc import Callable

from asyncsafe.catalog import Catalog
from asyncsafe.engine.tree.events import Checker
from asyncsafe.engine.tree.scopes import TypeProvider
from asyncsafe.rules.django_forms import FormChecker, FormTypes
from asyncsafe.rules.django_request import (
    DjangoRequestTypes,
    LazyUserChecker,
    UserModelChecker,
)
from asyncsafe.rules.django_templates import TemplateContextTypes, TemplateRenderChecker
from asyncsafe.rules.registry import RuleSpec, register

LOOP = (
    "An ASGI worker serves every request from one event loop thread: while this runs, every "
    "other request on the worker waits."
)
GUARDED = (
    f"{LOOP} Django's guard raises SynchronousOnlyOperation only when the database is actually "
    "reached; once the data is cached the same line passes silently, so tests may not notice."
)
UNGUARDED = f"{LOOP} Django's SynchronousOnlyOperation guard does not see it: it blocks silently."

register(
    RuleSpec(
        code="ASF201",
        name="lazy-request-user",
        summary="the lazy request.user evaluated in async code (attribute, truth, str, comparison)",
        why=(
            "AuthenticationMiddleware sets request.user to a lazy object. The first attribute "
            "read, truth test, str() or comparison loads the session and then the user: two "
            f"database queries on the event loop. {GUARDED} Copying request.user or handing it "
            "to sync_to_async is fine; evaluating it is not. DRF's Request and Channels' "
            "scope['user'] are resolved before your code runs and are not reported."
        ),
        example="""
            async def profile(request):
                if request.user.is_authenticated:
                    return JsonResponse({"name": request.user.username})
        """,
        fix="""
            async def profile(request):
                user = await request.auser()  # Django 5.0+; before: sync_to_async(get_user)(request)
                if user.is_authenticated:
                    return JsonResponse({"name": user.username})
        """,
        since="5.0",
        autofix=(
            "`--unsafe-fixes` rewrites `request.user.x` to `(await request.auser()).x` (Django "
            "5.0+); unsafe because a value assigned to `request.user` earlier is not what "
            "`auser()` returns."
        ),
    ),
    RuleSpec(
        code="ASF202",
        name="blocking-auth-call",
        summary="authenticate/login/logout/get_user/update_session_auth_hash in async code",
        why=(
            "These read and write the session and the user table (login also updates "
            f"last_login; authenticate hashes the password). {GUARDED}"
        ),
        example="""
            async def sign_in(request):
                user = authenticate(request, username=name, password=password)
                login(request, user)
        """,
        fix="""
            async def sign_in(request):
                user = await aauthenticate(request, username=name, password=password)
                await alogin(request, user)
        """,
        since="5.0",
    ),
    RuleSpec(
        code="ASF203",
        name="blocking-permission-check",
        summary="user.has_perm/has_perms/has_module_perms/get_*_permissions in async code",
        why=(
            "ModelBackend loads the user's and groups' permissions with queries the first time "
            f"per user object. {GUARDED}"
        ),
        example="""
            async def publish(request, pk):
                user = await request.auser()
                if not user.has_perm("blog.publish_post"):
                    raise PermissionDenied
        """,
        fix="""
            async def publish(request, pk):
                user = await request.auser()
                if not await user.ahas_perm("blog.publish_post"):  # Django 5.2+
                    raise PermissionDenied
        """,
        since="5.2",
    ),
    RuleSpec(
        code="ASF204",
        name="blocking-user-manager",
        summary="User.objects.create_user/create_superuser/get_by_natural_key in async code",
        why=(
            "create_user hashes the password (hundreds of milliseconds of CPU) and inserts a row; "
            f"get_by_natural_key queries. {GUARDED} Django 5.2's acreate_user() moves the insert "
            "off the loop but still hashes the password on it, so offload the whole call."
        ),
        example="""
            async def register(request):
                user = User.objects.create_user(name, email, password)
        """,
        fix="""
            async def register(request):
                user = await sync_to_async(User.objects.create_user)(name, email, password)
                # get_by_natural_key: await User.objects.aget_by_natural_key(name)  (5.2+)
        """,
        since="5.2",
    ),
    RuleSpec(
        code="ASF205",
        name="password-hashing",
        summary="password hashing (check_password, set_password, make_password) in async code",
        why=(
            "The default PBKDF2 hasher runs hundreds of thousands of iterations: hundreds of "
            f"milliseconds of CPU per call, and check_password may save an upgraded hash. {UNGUARDED}"
        ),
        example="""
            async def verify(request):
                user = await request.auser()
                ok = user.check_password(password)
        """,
        fix="""
            async def verify(request):
                user = await request.auser()
                ok = await user.acheck_password(password)  # Django 5.0+
                # set_password/make_password: await sync_to_async(user.set_password, thread_sensitive=False)(pw)
        """,
        since="5.0",
    ),
    RuleSpec(
        code="ASF210",
        name="blocking-session-access",
        summary="request.session read/write (sessions in the database by default) in async code",
        why=(
            "The first read or write of request.session loads it from the session store (the "
            "database with the default SESSION_ENGINE); save/flush/cycle_key write to it. "
            f"{GUARDED} With signed-cookie sessions there is no I/O: ignore ASF210 then. "
            "clear(), is_empty() and session_key do no I/O and are not reported. In Channels, "
            "AuthMiddlewareStack has loaded scope['session'] already, so only writes are reported."
        ),
        example="""
            async def add_to_cart(request, pk):
                cart = request.session.get("cart", [])
                request.session["cart"] = [*cart, pk]
        """,
        fix="""
            async def add_to_cart(request, pk):
                cart = await request.session.aget("cart", [])  # Django 5.1+
                await request.session.aset("cart", [*cart, pk])
        """,
        since="5.1",
    ),
    RuleSpec(
        code="ASF220",
        name="blocking-send-mail",
        summary="send_mail/mail_admins/EmailMessage.send/send_messages in async code",
        why=(
            "Django's mail API has no async form through 6.1 and the default backend talks SMTP: "
            f"connect, TLS, and a round trip per message. {UNGUARDED}"
        ),
        example="""
            async def contact(request):
                send_mail("Hi", body, None, ["team@example.com"])
        """,
        fix="""
            async def contact(request):
                await sync_to_async(send_mail)("Hi", body, None, ["team@example.com"])
                # or hand it to a task queue
        """,
    ),
    RuleSpec(
        code="ASF230",
        name="blocking-cache-call",
        summary="sync django.core.cache calls in async code (opt-in, or on with cache-backend)",
        why=(
            "Whether cache.get() blocks depends on the backend: Redis and memcached wait on "
            "the network, the database cache runs a query (and raises SynchronousOnlyOperation), "
            "the file cache reads the disk; locmem and dummy do no I/O. Opt-in for that reason, "
            "unless cache-backend in [tool.asyncsafe] names a backend that does I/O. No backend "
            "implements the async API natively, but cache.aget() and friends run the call in a "
            "thread, off the event loop."
        ),
        example="""
            async def stats(request):
                data = cache.get("stats")
        """,
        fix="""
            async def stats(request):
                data = await cache.aget("stats")  # Django 4.0+
        """,
        default_enabled=False,
        since="4.0",
    ),
    RuleSpec(
        code="ASF240",
        name="lazy-template-context",
        summary="render()/render_to_string()/Template.render() of a context holding lazy data",
        why=(
            "Templates are sync. Rendering a context that holds a QuerySet, a related manager, "
            "the lazy request.user or a form with model choice fields runs their queries while "
            f"the template is rendered: on the event loop when render() is called in async code. "
            f"{GUARDED} TemplateResponse is not reported: Django's async handler renders it in a "
            "thread."
        ),
        example="""
            async def books(request):
                return render(request, "books.html", {"books": Book.objects.all(), "me": request.user})
        """,
        fix="""
            async def books(request):
                books = [b async for b in Book.objects.all()]
                return render(request, "books.html", {"books": books, "me": await request.auser()})
                # or: return TemplateResponse(request, "books.html", {...})  (rendered in a thread)
        """,
    ),
    RuleSpec(
        code="ASF250",
        name="blocking-form-save",
        summary="ModelForm.save() / ModelSerializer.save() in async code",
        why=(
            "ModelForm.save() saves the instance and its many-to-many data; a model serializer's "
            f"save() runs create() or update(). Both are ORM writes. {GUARDED} "
            "form.save(commit=False) only builds the instance and is not reported."
        ),
        example="""
            async def create_book(request):
                form = BookForm(request.POST)
                if await sync_to_async(form.is_valid)():
                    book = form.save()
        """,
        fix="""
            async def create_book(request):
                form = BookForm(request.POST)
                if await sync_to_async(form.is_valid)():
                    book = await sync_to_async(form.save)()  # adrf serializers: await s.asave()
        """,
        autofix="`--fix` rewrites an adrf serializer's `s.save()` to `await s.asave()`.",
    ),
    RuleSpec(
        code="ASF251",
        name="form-validation-query",
        summary="form/serializer is_valid() whose fields validate with queries, in async code",
        why=(
            "Validation queries the database when a field needs it: a ModelChoiceField or DRF "
            "related field looks the chosen row up, a unique model field is checked with a "
            "query, unique_together and constraints too. asyncsafe reads the form's declared "
            "fields, Meta.fields/exclude and the model, and reports only forms with such a "
            f"field. {GUARDED}"
        ),
        example="""
            async def create_book(request):
                form = BookForm(request.POST)  # Meta.fields = ["title", "author"] (a ForeignKey)
                if form.is_valid():
                    ...
        """,
        fix="""
            async def create_book(request):
                form = BookForm(request.POST)
                if await sync_to_async(form.is_valid)():
                    ...
        """,
    ),
    RuleSpec(
        code="ASF252",
        name="serializer-data-query",
        summary="serializer.data over a QuerySet in async code",
        why=(
            "BookSerializer(qs, many=True).data iterates the QuerySet (and reads relations of "
            f"every row) while serializing. {GUARDED}"
        ),
        example="""
            async def books(request):
                return Response(BookSerializer(Book.objects.all(), many=True).data)
        """,
        fix="""
            async def books(request):
                serializer = BookSerializer(Book.objects.all(), many=True)
                return Response(await sync_to_async(lambda: serializer.data)())
                # adrf serializers: await serializer.adata
        """,
    ),
)

CHECKERS: tuple[type[Checker], ...] = (
    LazyUserChecker, UserModelChecker, TemplateRenderChecker, FormChecker,
)
PROVIDERS: tuple[Callable[[Catalog], TypeProvider], ...] = (
    DjangoRequestTypes, TemplateContextTypes, FormTypes,
)
