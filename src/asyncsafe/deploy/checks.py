"""The deployment rules (ASF7xx) over a ``Deployment``: each finding is placed on the line that
has to change (a settings line, an import, a MIDDLEWARE entry, the wrapping call)."""

from __future__ import annotations

import ast
from collections.abc import Iterator
from dataclasses import dataclass

from asyncsafe.deploy.deployment import Deployment
from asyncsafe.deploy.entry import Entry
from asyncsafe.deploy.middleware import capability
from asyncsafe.deploy.settings import SettingsModule
from asyncsafe.deploy.values import Known, KnownDict, KnownList, Where, literal_text
from asyncsafe.deploy.wrappers import wrapper_findings
from asyncsafe.deploy.reach import models_chain

CONN_FIX = (
    "set CONN_MAX_AGE = 0 and pool connections in the database backend instead (PostgreSQL: "
    "OPTIONS = {\"pool\": True}, Django 5.1) or in a pooler such as PgBouncer"
)
MIDDLEWARE_FIX = (
    "make it async-capable (subclass django.utils.deprecation.MiddlewareMixin, or set "
    "async_capable = True and give it an async path, or use @sync_and_async_middleware), or drop it"
)


@dataclass(frozen=True)
class DeployFinding:
    where: Where
    code: str
    message: str
    suggestion: str


def findings(deployment: Deployment, django: tuple[int, int]) -> list[DeployFinding]:
    found: dict[tuple[str, int, int, str], DeployFinding] = {}
    for finding in _all(deployment, django):
        key = (finding.where.path, finding.where.line, finding.where.column, finding.code)
        found.setdefault(key, finding)
    return list(found.values())


def _all(deployment: Deployment, django: tuple[int, int]) -> Iterator[DeployFinding]:
    for settings in deployment.settings:
        evidence = deployment.asgi_evidence(settings)
        if evidence is not None:
            yield from _persistent_connections(settings, evidence)
        yield from _middleware(deployment, settings, evidence, django)
        yield from _application_setting(deployment, settings)
    for entry in deployment.entries:
        yield from _entry_checks(deployment, entry)
    yield from _wsgi_only(deployment)


def _persistent_connections(settings: SettingsModule, evidence: str) -> Iterator[DeployFinding]:
    databases = settings.get("DATABASES")
    if not isinstance(databases, KnownDict):
        return
    for alias, database in databases.items:
        if not isinstance(database, KnownDict):
            continue
        age = database.get("CONN_MAX_AGE")
        if not isinstance(age, Known):
            continue
        value = age.value
        positive = isinstance(value, (int, float)) and not isinstance(value, bool) and value > 0
        if value is None or positive:
            kept = "for ever (None)" if value is None else f"for {value!r} seconds"
            yield DeployFinding(
                age.where,
                "ASF701",
                f"database '{alias}' keeps its connection open {kept} (CONN_MAX_AGE) while the project "
                f"is served over ASGI ({evidence}): each request runs its queries in a new thread "
                "whose persistent connection is never reused, and connections pile up until the "
                "database refuses more",
                CONN_FIX,
            )


def _middleware(
    deployment: Deployment, settings: SettingsModule, evidence: str | None, django: tuple[int, int]
) -> Iterator[DeployFinding]:
    stack = settings.get("MIDDLEWARE")
    if not isinstance(stack, KnownList):
        return
    sync_only = []
    for item in stack.items:
        path = literal_text(item)
        if path is not None and isinstance(item, Known):
            found = capability(deployment.files, path, django)
            if found.capable is False:
                sync_only.append((item, path, found.why))
    if sync_only and evidence is None:  # only now: this scans the project for async views
        evidence = _async_views(deployment)
    if evidence is None:
        return
    for item, path, why in sync_only:
        yield DeployFinding(
            item.where,
            "ASF702",
            f"middleware '{path}' is sync-only ({why}) and {evidence}: under ASGI Django "
            "runs it, and adapts the handler below it, in a thread for every request "
            "(logged at DEBUG as 'Asynchronous handler adapted for middleware ...')",
            MIDDLEWARE_FIX,
        )


def _async_views(deployment: Deployment) -> str | None:
    if deployment.wsgi_only() or deployment.async_view is None:
        return None
    where = deployment.async_view
    return f"the project has async views or middleware ({deployment.relative(where.path)}:{where.line})"


def _application_setting(deployment: Deployment, settings: SettingsModule) -> Iterator[DeployFinding]:
    """ASGI_APPLICATION = "proj.asgi.app" must name something the module binds."""
    value = settings.get("ASGI_APPLICATION")
    path = literal_text(value)
    if path is None or not isinstance(value, Known):
        return
    module, _, name = path.rpartition(".")
    entry = deployment.entry(module)
    if entry is None:
        parsed = deployment.files.parse(module)
        if parsed is None:
            return
        from asyncsafe.deploy.entry import read_entry

        entry = read_entry(parsed)
    if name not in entry.bound:
        yield DeployFinding(
            value.where,
            "ASF705",
            f"ASGI_APPLICATION names '{path}', but {deployment.relative(entry.path)} binds no '{name}': "
            "runserver (daphne, Channels) fails to start",
            f"point ASGI_APPLICATION at the name the module binds, or bind '{name}' there",
        )


def _entry_checks(deployment: Deployment, entry: Entry) -> Iterator[DeployFinding]:
    yield from _settings_order(entry)
    if entry.kind != "asgi":
        return
    yield from _early_imports(deployment, entry)
    yield from _missing_application(deployment, entry)
    yield from wrapper_findings(deployment, entry)


def _settings_order(entry: Entry) -> Iterator[DeployFinding]:
    configure = entry.configure
    if configure is None or entry.settings_index is None or entry.settings_index < configure.index:
        return
    where = entry.settings_where
    line = where.line if where else "?"
    called = configure.name.rsplit(".", 1)[1]
    yield DeployFinding(
        entry.where(configure.call),
        "ASF703",
        f"{called}() configures Django before DJANGO_SETTINGS_MODULE is set (line {line}): unless "
        "the environment already sets it, Django raises ImproperlyConfigured at startup",
        f"move the os.environ.setdefault(\"DJANGO_SETTINGS_MODULE\", ...) line above {called}()",
    )


def _early_imports(deployment: Deployment, entry: Entry) -> Iterator[DeployFinding]:
    """Channels' rule: nothing that imports models before get_asgi_application() runs."""
    first = next(
        (index for index, _, name in entry.factories if name == "django.core.asgi.get_asgi_application"),
        None,
    )
    if first is None:
        return
    for statement in entry.parsed.tree.body[:first]:
        if not isinstance(statement, (ast.Import, ast.ImportFrom)):
            continue
        chain = models_chain(deployment.files, entry, statement)
        if chain:
            yield DeployFinding(
                entry.where(statement),
                "ASF704",
                f"imports {' -> '.join(chain)} before get_asgi_application() has set up Django "
                f"(line {entry.parsed.tree.body[first].lineno}): loading models then raises "
                "AppRegistryNotReady and the ASGI server cannot start",
                "call 'django_asgi_app = get_asgi_application()' first, then import routing "
                "and consumers below it",
            )


def _missing_application(deployment: Deployment, entry: Entry) -> Iterator[DeployFinding]:
    wanted = {
        command.target_attribute
        for command in deployment.commands
        if command.target_module == entry.module
    } or {"application"}
    if any(name in entry.bound for name in wanted) or _named_elsewhere(deployment, entry):
        return
    index, call, _ = entry.factories[0]
    names = " or ".join(f"'{name}'" for name in sorted(wanted))
    yield DeployFinding(
        entry.where(call),
        "ASF705",
        f"{deployment.relative(entry.path)} builds the ASGI application but binds no {names}: "
        f"ASGI servers load '{entry.module}:application' and fail to start",
        "assign the outermost application to 'application'",
    )


def _named_elsewhere(deployment: Deployment, entry: Entry) -> bool:
    """ASGI_APPLICATION points at another name of this module: ASF705 on the setting covers it."""
    for settings in deployment.settings:
        path = literal_text(settings.get("ASGI_APPLICATION"))
        if path is not None and path.rpartition(".")[0] == entry.module:
            return True
    return False


def _wsgi_only(deployment: Deployment) -> Iterator[DeployFinding]:
    if not deployment.wsgi_only() or deployment.async_view is None:
        return
    command = deployment.commands[0]
    module = command.target_module
    entry = deployment.entry(module) if module else None
    if entry is None:
        return
    line = entry.bound.get(command.target_attribute)
    if line is None:
        return
    view = deployment.async_view
    yield DeployFinding(
        Where(entry.path, line, 0),
        "ASF790",
        f"the project is served only over WSGI ({command.describe(deployment.root)}) but has async "
        f"views or middleware ({deployment.relative(view.path)}:{view.line}): Django runs each in a one-off event "
        "loop in the worker thread, with none of the async benefit",
        "serve the ASGI application (uvicorn/daphne/hypercorn, or gunicorn -k "
        "uvicorn_worker.UvicornWorker) or keep the views sync",
    )
