"""ASF7xx: the ASGI deployment. Read once per project (``asyncsafe.deploy``) and reported in
the file that has to change: a settings module, asgi.py, wsgi.py.

These are module-level findings, placed by line: there is no async function to put them in.
"""

from __future__ import annotations

import os

import libcst as cst

from asyncsafe.deploy.checks import DeployFinding, findings
from asyncsafe.deploy.deployment import build_deployment
from asyncsafe.diagnostics import Diagnostic
from asyncsafe.engine.tree.events import Checker
from asyncsafe.engine.facts.project import Project
from asyncsafe.rules.registry import RuleSpec, register

DEPLOYMENT_FACT = "asyncsafe.deploy.findings"

register(
    RuleSpec(
        code="ASF701",
        name="persistent-connections-under-asgi",
        summary="CONN_MAX_AGE other than 0 for a database of a project served over ASGI",
        why=(
            "Django's database docs: when using ASGI, persistent connections should be disabled. "
            "Under ASGI every sync database access runs in a thread of its own "
            "(sync_to_async), and the persistent connection it opens belongs to that thread: it "
            "is not reused by the next request, and with CONN_MAX_AGE > 0 (or None, unlimited) "
            "it is not closed either, until the database runs out of connections. Reported only "
            "when the deployment is certainly ASGI: a Procfile/Dockerfile/gunicorn command runs "
            "uvicorn, daphne, hypercorn or an ASGI worker, asgi.py routes with Channels, "
            "ASGI_APPLICATION is set, or daphne/channels is in INSTALLED_APPS. The settings module "
            "is the one asgi.py (or the server configuration, or settings-module) names, read "
            "with its imports; a computed value is never guessed."
        ),
        example="""
            # settings/production.py (served by: uvicorn config.asgi:application)
            from .base import *
            DATABASES["default"]["CONN_MAX_AGE"] = 600
        """,
        fix="""
            DATABASES["default"]["CONN_MAX_AGE"] = 0
            DATABASES["default"]["OPTIONS"] = {"pool": True}  # PostgreSQL, Django 5.1+
        """,
    ),
    RuleSpec(
        code="ASF702",
        name="sync-only-middleware",
        summary="a sync-only MIDDLEWARE entry in a project served over ASGI or with async views",
        why=(
            "Django reads each middleware's async_capable flag (default False). A sync-only one "
            "between the ASGI server and an async view makes Django adapt the handler below it "
            "with async_to_sync and run the middleware in a thread: a thread switch per request "
            "that removes the benefit of async views (Django logs it only at DEBUG: 'Asynchronous "
            "handler adapted for middleware ...'). Django's own middleware, django-cors-headers "
            "4.0+ and MiddlewareMixin subclasses are async-capable; WhiteNoise's is not; a class "
            "with only a sync __call__, or an async __call__ without async_capable = True, and a "
            "function factory without @sync_and_async_middleware are sync-only. Middleware "
            "whose code cannot be read is never reported."
        ),
        example="""
            MIDDLEWARE = [
                "django.middleware.security.SecurityMiddleware",
                "shop.middleware.AuditMiddleware",  # def __call__(self, request): ...
            ]
        """,
        fix="""
            class AuditMiddleware(MiddlewareMixin):  # async-capable: process_request runs in a thread only when needed
                def process_request(self, request): ...
        """,
    ),
    RuleSpec(
        code="ASF703",
        name="settings-module-set-late",
        summary="get_asgi_application()/get_wsgi_application()/django.setup() before DJANGO_SETTINGS_MODULE is set",
        why=(
            "Django reads DJANGO_SETTINGS_MODULE when it is configured. asgi.py must set it "
            "before calling get_asgi_application(): otherwise the server starts only where the "
            "environment happens to set it, and fails with ImproperlyConfigured everywhere else."
        ),
        example="""
            application = get_asgi_application()
            os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
        """,
        fix="""
            os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
            application = get_asgi_application()
        """,
    ),
    RuleSpec(
        code="ASF704",
        name="models-imported-before-asgi-setup",
        summary="asgi.py imports code that loads models (routing, consumers) before get_asgi_application()",
        why=(
            "Channels' docs: get_asgi_application() must run before importing anything that "
            "imports ORM models, since it sets up Django's app registry. Importing routing, "
            "consumers or an app's models first raises AppRegistryNotReady and the server never "
            "starts. The import is followed through the project's own modules to the first "
            "models module, or the first module that loads a model when imported "
            "(User = get_user_model(), swapper.load_model(), apps.get_model())."
        ),
        example="""
            from chat.routing import websocket_urlpatterns  # routing -> consumers -> models
            django_asgi_app = get_asgi_application()
        """,
        fix="""
            django_asgi_app = get_asgi_application()
            from chat.routing import websocket_urlpatterns  # noqa: E402
        """,
    ),
    RuleSpec(
        code="ASF705",
        name="asgi-application-missing",
        summary="asgi.py binds no 'application' (or the name ASGI_APPLICATION points at)",
        why=(
            "ASGI servers load '<project>.asgi:application' and runserver with daphne or Channels "
            "loads the object ASGI_APPLICATION names: a module that builds the application "
            "under another name, or a setting that names something the module does not bind, "
            "fails at startup."
        ),
        example="""
            app = ProtocolTypeRouter({"http": get_asgi_application()})
        """,
        fix="""
            application = ProtocolTypeRouter({"http": get_asgi_application()})
        """,
    ),
    RuleSpec(
        code="ASF706",
        name="wsgi-wrapper-in-asgi",
        summary="asgi.py wraps the application in something that is not an ASGI callable (WSGI middleware)",
        why=(
            "A wrapper around the ASGI application must itself be ASGI: an 'async def "
            "__call__(self, scope, receive, send)' or a known ASGI middleware. WSGI middleware "
            "(WhiteNoise, dj-static's Cling, werkzeug's ProxyFix, SentryWsgiMiddleware, a class "
            "with __call__(self, environ, start_response)) breaks every request."
        ),
        example="""
            application = WhiteNoise(get_asgi_application())
        """,
        fix="""
            application = get_asgi_application()  # and "whitenoise.middleware.WhiteNoiseMiddleware" in MIDDLEWARE,
            # or ServeStaticASGI(get_asgi_application())
        """,
    ),
    RuleSpec(
        code="ASF790",
        name="async-views-served-over-wsgi",
        summary="async views in a project whose only server entry point is WSGI",
        why=(
            "Under a WSGI server Django runs each async view in a one-off event loop inside the "
            "worker thread: it works, but with none of the concurrency the view was written for. "
            "Reported on the WSGI application the server configuration (Procfile, Dockerfile, "
            "docker-compose, gunicorn.conf.py, uwsgi.ini) runs, when no ASGI server is "
            "configured. Informational, so opt-in."
        ),
        example="""
            # gunicorn.conf.py, the only server configuration (shop/views.py has async views)
            wsgi_app = "shop.wsgi:application"
        """,
        fix="""
            wsgi_app = "shop.asgi:application"
            worker_class = "uvicorn_worker.UvicornWorker"
        """,
        default_enabled=False,
    ),
)


def project_findings(project: Project) -> list[DeployFinding]:
    """Every ASF7xx finding of the project, computed once per process."""

    def build(project: Project) -> list[DeployFinding]:
        settings = project.settings
        try:
            deployment = build_deployment(project, settings, settings.settings_module)
            return findings(deployment, settings.django)
        except RecursionError:  # a pathologically nested settings file: nothing certain to say
            return []

    return project.facts(DEPLOYMENT_FACT, build)


class DeploymentChecker(Checker):
    codes = frozenset({"ASF701", "ASF702", "ASF703", "ASF704", "ASF705", "ASF706", "ASF790"})

    def on_module_exit(self, module: cst.Module) -> None:
        self._report_placed()

    def on_file_without_async(self, path: str) -> None:
        self._report_placed()

    def _report_placed(self) -> None:
        project = self.ctx.project
        if project is None or not any(self.ctx.settings.is_enabled(code) for code in self.codes):
            return
        here = os.path.abspath(self.ctx.path)
        for finding in project_findings(project):
            if os.path.abspath(finding.where.path) == here:
                self.ctx.report_at(diagnostic_of(self.ctx.path, finding))


def diagnostic_of(path: str, finding: DeployFinding) -> Diagnostic:
    where = finding.where
    end_line = where.end_line or where.line
    end_column = where.end_column if where.end_column is not None else where.column
    return Diagnostic(
        path=path,
        line=where.line,
        column=where.column + 1,
        end_line=end_line,
        end_column=end_column + 1,
        code=finding.code,
        message=finding.message,
        suggestion=finding.suggestion,
    )


CHECKERS: tuple[type[Checker], ...] = (DeploymentChecker,)
