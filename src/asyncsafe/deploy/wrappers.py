"""``application = SomeMiddleware(application)`` in asgi.py: each wrapper must be an ASGI
callable. Known ASGI/WSGI middleware come from the tables below; project classes and functions
are read from source (``async def __call__(self, scope, receive, send)`` is ASGI,
``__call__(self, environ, start_response)`` is WSGI). Anything else is unknown: not reported."""

from __future__ import annotations

import ast
from collections.abc import Iterator
from typing import TYPE_CHECKING

from asyncsafe.deploy.entry import ASGI_FACTORIES, Entry

if TYPE_CHECKING:
    from asyncsafe.deploy.checks import DeployFinding
    from asyncsafe.deploy.deployment import Deployment

KNOWN_ASGI = frozenset({
    "channels.auth.AuthMiddlewareStack", "channels.auth.AuthMiddleware",
    "channels.sessions.SessionMiddlewareStack", "channels.sessions.SessionMiddleware",
    "channels.sessions.CookieMiddleware", "channels.security.websocket.AllowedHostsOriginValidator",
    "channels.security.websocket.OriginValidator", "channels.routing.ProtocolTypeRouter",
    "channels.routing.URLRouter", "channels.routing.ChannelNameRouter",
    "channels.middleware.BaseMiddleware",
    "sentry_sdk.integrations.asgi.SentryAsgiMiddleware",
    "uvicorn.middleware.proxy_headers.ProxyHeadersMiddleware",
    "opentelemetry.instrumentation.asgi.OpenTelemetryMiddleware",
    "servestatic.ServeStaticASGI", "blacknoise.BlackNoise",
})
KNOWN_WSGI = {
    "whitenoise.WhiteNoise": "WhiteNoise is WSGI middleware",
    "whitenoise.base.WhiteNoise": "WhiteNoise is WSGI middleware",
    "dj_static.Cling": "dj-static's Cling is WSGI middleware",
    "werkzeug.middleware.proxy_fix.ProxyFix": "werkzeug's ProxyFix is WSGI middleware",
    "werkzeug.middleware.shared_data.SharedDataMiddleware": "werkzeug's SharedDataMiddleware is WSGI middleware",
    "sentry_sdk.integrations.wsgi.SentryWsgiMiddleware": "SentryWsgiMiddleware is WSGI middleware (use SentryAsgiMiddleware)",
    "opentelemetry.instrumentation.wsgi.OpenTelemetryMiddleware": "this OpenTelemetryMiddleware is the WSGI one (use opentelemetry.instrumentation.asgi)",
    "servestatic.ServeStatic": "ServeStatic is the WSGI variant (use ServeStaticASGI)",
    "asgiref.wsgi.WsgiToAsgi": "WsgiToAsgi expects a WSGI application and is handed the ASGI one",
}
ASGI_ARGS = 3  # scope, receive, send
WSGI_ARGS = 2  # environ, start_response


def wrapper_findings(deployment: Deployment, entry: Entry) -> Iterator[DeployFinding]:
    from asyncsafe.deploy.checks import DeployFinding

    holds_app: set[str] = set()
    for statement in entry.parsed.tree.body:
        if not isinstance(statement, ast.Assign) or not isinstance(statement.value, ast.Call):
            continue
        for call in _wrappers(entry, statement.value, holds_app):
            why = _not_asgi(deployment, entry, call.func)
            if why is not None:
                name = ast.unparse(call.func)
                yield DeployFinding(
                    entry.where(call),
                    "ASF706",
                    f"{name}(...) wraps the ASGI application but is not an ASGI callable ({why}): "
                    "every request to this server fails",
                    f"use an ASGI middleware (an 'async def __call__(self, scope, receive, send)' "
                    "class), or move the work into Django MIDDLEWARE",
                )
        if _is_app(entry, statement.value, holds_app):
            holds_app.update(t.id for t in statement.targets if isinstance(t, ast.Name))


def _is_app(entry: Entry, node: ast.expr, holds_app: set[str]) -> bool:
    if isinstance(node, ast.Name):
        return node.id in holds_app
    if isinstance(node, ast.Call):
        if entry.qualname(node.func) in ASGI_FACTORIES:
            return True
        first = node.args[0] if node.args else None
        return first is not None and _is_app(entry, first, holds_app)
    return False


def _wrappers(entry: Entry, call: ast.Call, holds_app: set[str]) -> Iterator[ast.Call]:
    """Calls in ``X(Y(get_asgi_application()))`` whose first argument is the application."""
    if entry.qualname(call.func) in ASGI_FACTORIES:
        return
    first = call.args[0] if call.args else None
    if first is not None and _is_app(entry, first, holds_app):
        yield call
        if isinstance(first, ast.Call):
            yield from _wrappers(entry, first, holds_app)


def _not_asgi(deployment: Deployment, entry: Entry, func: ast.expr) -> str | None:
    name = entry.qualname(func)
    if name is None and isinstance(func, ast.Name):
        name = f"{entry.module}.{func.id}"
    if name is None or name in KNOWN_ASGI:
        return None
    if name in KNOWN_WSGI:
        return KNOWN_WSGI[name]
    module, _, attribute = name.rpartition(".")
    parsed = deployment.files.parse(module)
    if parsed is None:
        return None
    for node in parsed.tree.body:
        if isinstance(node, ast.ClassDef) and node.name == attribute:
            return _class_verdict(node)
        if isinstance(node, ast.FunctionDef) and node.name == attribute:
            return _factory_verdict(node)
    return None


def _factory_verdict(factory: ast.FunctionDef) -> str | None:
    """``def wrap(app): def inner(environ, start_response): ...; return inner`` is WSGI."""
    nested = {item.name: item for item in factory.body if isinstance(item, (ast.FunctionDef, ast.AsyncFunctionDef))}
    for statement in factory.body:
        if isinstance(statement, ast.Return) and isinstance(statement.value, ast.Name):
            inner = nested.get(statement.value.id)
            if isinstance(inner, ast.FunctionDef) and len(inner.args.args) == WSGI_ARGS:
                return f"{factory.name}() returns {inner.name}(environ, start_response), a WSGI application"
    return None


def _class_verdict(node: ast.ClassDef) -> str | None:
    call = next(
        (item for item in node.body if isinstance(item, (ast.FunctionDef, ast.AsyncFunctionDef)) and item.name == "__call__"),
        None,
    )
    if call is None:
        return None  # inherited: decided by a base the tables may not know
    arguments = len(call.args.args) - 1  # without self
    if isinstance(call, ast.AsyncFunctionDef):
        return None if arguments == ASGI_ARGS else f"its async __call__ takes {arguments} arguments, not scope, receive, send"
    if arguments == WSGI_ARGS:
        return f"{node.name}.__call__(self, environ, start_response) is a WSGI application"
    return None  # a sync __call__(scope, receive, send) may return the inner coroutine: valid
