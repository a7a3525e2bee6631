"""ASF2xx: Django request, auth, sessions, mail, cache, templates, forms — the rule metadata.

The matching lives in catalog/django_web.toml and in the modules named in CHECKERS/PROVIDERS.
"""

from __future__ import annotations

from collections.abc import Callable

from asyncsafe.catalog import Catalog
from asyncsafe.engine.events import Checker
from asyncsafe.engine.scopes import TypeProvider
from asyncsafe.rules.django_request import DjangoRequestTypes, LazyUserChecker
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
        why=f"create_user hashes the password and inserts a row; get_by_natural_key queries. {GUARDED}",
        example="""
            async def register(request):
                user = User.objects.create_user(name, email, password)
        """,
        fix="""
            async def register(request):
                user = await User.objects.acreate_user(name, email, password)  # Django 5.2+
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
            "Templates are sync. Rendering a context that holds a QuerySet, a related manager "
            "or the lazy request.user runs their queries while the template is rendered: on the "
            f"event loop when render() is called in async code. {GUARDED} TemplateResponse "
            "is not reported: Django's async handler renders it in a thread."
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
)

CHECKERS: tuple[type[Checker], ...] = (LazyUserChecker, TemplateRenderChecker)
PROVIDERS: tuple[Callable[[Catalog], TypeProvider], ...] = (DjangoRequestTypes, TemplateContextTypes)
