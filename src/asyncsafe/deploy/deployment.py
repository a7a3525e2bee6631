"""The deployment of one project, found statically: entry points, server commands, the settings
modules they configure (read with their imports) and whether the project has async views."""

from __future__ import annotations

import os
import re
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from asyncsafe.deploy.entry import Entry, read_entry
from asyncsafe.engine.cache.reads import ScanKind
from asyncsafe.deploy.files import ProjectFiles
from asyncsafe.deploy.servers import ServerCommand, SettingsName, config_files, read_servers
from asyncsafe.deploy.settings import SettingsModule, read_settings
from asyncsafe.deploy.values import KnownList, Where, literal_text

if TYPE_CHECKING:
    from asyncsafe.config import Settings
    from asyncsafe.engine.facts.project import Project

# An async view or async middleware: ``async def f(request`` / ``async def __call__(self, request``.
ASYNC_VIEW = re.compile(r"^[ \t]*async[ \t]+def[ \t]+(\w+)[ \t]*\([ \t]*(?:self[ \t]*,[ \t]*)?request\b", re.MULTILINE)
ASGI_APPS = frozenset({"daphne", "channels"})


def async_view_signature(text: str) -> str:
    """What the async-view scan reads of a module: the first match's line and name."""
    if "async" not in text:
        return ""
    match = ASYNC_VIEW.search(text)
    if match is None:
        return ""
    return f"{text.count(chr(10), 0, match.start()) + 1}:{match.group(1)}"


@dataclass
class Deployment:
    files: ProjectFiles
    root: str
    entries: list[Entry] = field(default_factory=list)
    commands: list[ServerCommand] = field(default_factory=list)
    settings: list[SettingsModule] = field(default_factory=list)
    project: Project | None = None
    _async_view: list[Where | None] = field(default_factory=list)

    @property
    def async_view(self) -> Where | None:
        """The first async view or middleware of the project (scanned on first use)."""
        if not self._async_view:
            found = _first_async_view(self.project) if self.project is not None else None
            self._async_view.append(found)
        return self._async_view[0]

    def entry(self, module: str) -> Entry | None:
        return next((entry for entry in self.entries if entry.module == module), None)

    def asgi_evidence(self, settings: SettingsModule) -> str | None:
        """Why this project is certainly served over ASGI with these settings, or None."""
        for command in self.commands:
            if command.protocol == "asgi":
                return command.describe(self.root)
        for entry in self.entries:
            if entry.kind == "asgi" and entry.uses_channels:
                return f"{self.relative(entry.path)} routes with Channels"
        application = settings.get("ASGI_APPLICATION")
        if literal_text(application) is not None:
            assert application is not None and not isinstance(application, KnownList)
            return f"ASGI_APPLICATION is set ({self.relative(settings.path)})"
        apps = settings.get("INSTALLED_APPS")
        if isinstance(apps, KnownList):
            for item in apps.items:
                if literal_text(item) in ASGI_APPS:
                    return f"'{literal_text(item)}' is in INSTALLED_APPS"
        return None

    def wsgi_only(self) -> bool:
        """The server configuration names servers, and all of them speak WSGI."""
        return bool(self.commands) and all(command.protocol == "wsgi" for command in self.commands)

    def relative(self, path: str) -> str:
        relative = os.path.relpath(path, self.root)
        return path if relative.startswith("..") else relative.replace(os.sep, "/")


def build_deployment(project: Project, settings: Settings, override: str | None = None) -> Deployment:
    files = ProjectFiles(os.path.abspath(settings.base), project)
    deployment = Deployment(files, files.root, project=project)
    for basename in ("asgi.py", "wsgi.py"):
        for module in files.named(basename):
            parsed = files.parse(module)
            if parsed is not None:
                deployment.entries.append(read_entry(parsed))
    managers = [read_entry(parsed) for module in files.named("manage.py") if (parsed := files.parse(module))]
    directories = sorted({os.path.dirname(entry.path) for entry in managers})
    commands, env_names = read_servers(files, config_files(files.root, directories))
    deployment.commands = commands
    _add_targets(deployment)
    for name in _settings_names(deployment, managers, env_names, override):
        found = read_settings(files, name)
        if found is not None and all(known.name != name for known in deployment.settings):
            deployment.settings.append(found)
    return deployment


def _add_targets(deployment: Deployment) -> None:
    """Modules a server command names that are not called asgi.py/wsgi.py."""
    for command in deployment.commands:
        module = command.target_module
        if module and deployment.entry(module) is None:
            parsed = deployment.files.parse(module)
            if parsed is not None:
                deployment.entries.append(read_entry(parsed))


def _settings_names(
    deployment: Deployment, managers: list[Entry], env: list[SettingsName], override: str | None
) -> list[str]:
    """The settings modules the deployment runs with: the configured override; else what ASGI
    entry points and the server configuration set; else what manage.py and wsgi.py set."""
    if override:
        return [override]
    served = [entry.settings_name for entry in deployment.entries if entry.kind == "asgi"]
    names = [name for name in (*served, *(item.name for item in env)) if name]
    if names:
        return names
    fallback = [*managers, *(entry for entry in deployment.entries if entry.kind == "wsgi")]
    return [entry.settings_name for entry in fallback if entry.settings_name]


def _first_async_view(project: Project) -> Where | None:
    """The first (by module name) async view or middleware; what it scanned is recorded, so a
    cached result is invalidated when any module up to it changes what the scan sees."""
    for module, path in sorted(project.modules.items()):
        if _is_test(module):
            continue
        source = project.scan_source(module, ScanKind.ASYNC_VIEWS)
        signature = async_view_signature(source.text) if source is not None else ""
        if signature:
            return Where(path, int(signature.split(":")[0]), 0)
    return None


def _is_test(module: str) -> bool:
    parts = module.split(".")
    return any(part in ("tests", "test") or part.startswith("test_") for part in parts)
