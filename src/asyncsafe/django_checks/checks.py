"""The deployment rules as Django system checks (registered with ``deploy=True``).

IDs follow Django's convention: ``asyncsafe.W001`` is ASF701, ``asyncsafe.W002`` ASF702, ...,
and the informational ASF790 is ``asyncsafe.I090``. ``[tool.asyncsafe]`` (select, ignore, noqa
comments) applies as it does for ``asyncsafe check``.
"""

from __future__ import annotations

import os
import sys
from dataclasses import replace
from pathlib import Path
from typing import Any

from django.core import checks

from asyncsafe.config import Settings, find_config, load_settings
from asyncsafe.engine.facts.project import Project
from asyncsafe.engine.input.source import Source, read_source
from asyncsafe.rules.deploy import diagnostic_of, project_findings
from asyncsafe.run.noqa import apply_noqa

INFORMATIONAL = frozenset({"ASF790"})


def check_id(code: str) -> str:
    """ASF701 -> asyncsafe.W001; ASF790 -> asyncsafe.I090."""
    level = "I" if code in INFORMATIONAL else "W"
    return f"asyncsafe.{level}{int(code[4:]):03d}"


def deployment_checks(app_configs: Any = None, **kwargs: Any) -> list[checks.CheckMessage]:
    settings = _settings()
    project = Project(settings.root, settings)
    messages: list[checks.CheckMessage] = []
    for diagnostic in _diagnostics(project):
        kind = checks.Info if diagnostic.code in INFORMATIONAL else checks.Warning
        where = os.path.relpath(diagnostic.path, settings.root)
        messages.append(
            kind(
                f"{diagnostic.code} {diagnostic.message}",
                hint=diagnostic.suggestion,
                obj=f"{where}:{diagnostic.line}",
                id=check_id(diagnostic.code),
            )
        )
    return messages


def _diagnostics(project: Project) -> list[Any]:
    found = []
    by_path: dict[str, list[Any]] = {}
    for finding in project_findings(project):
        diagnostic = diagnostic_of(finding.where.path, finding)
        if project.settings.is_enabled(diagnostic.code):
            by_path.setdefault(os.path.abspath(diagnostic.path), []).append(diagnostic)
    for path, diagnostics in sorted(by_path.items()):
        source = read_source(path)
        text = source.text if isinstance(source, Source) else ""
        found.extend(apply_noqa(sorted(diagnostics), text))
    return found


def _settings() -> Settings:
    """``[tool.asyncsafe]`` of the project, deploying the settings module Django runs with."""
    root = _project_root()
    settings = load_settings(find_config([str(root)]))
    settings = replace(settings, root=str(root))
    running = os.environ.get("DJANGO_SETTINGS_MODULE")
    if running and settings.settings_module is None:
        settings = replace(settings, settings_module=running)
    return settings


def _project_root() -> Path:
    """Where manage.py lives: beside the running script, else above the settings module."""
    script = Path(sys.argv[0]).resolve() if sys.argv and sys.argv[0] else None
    if script is not None and script.name == "manage.py":
        return script.parent
    module = sys.modules.get(os.environ.get("DJANGO_SETTINGS_MODULE", ""))
    start = Path(getattr(module, "__file__", "") or os.getcwd()).resolve()
    for directory in (start, *start.parents):
        if (directory / "manage.py").is_file():
            return directory
    return Path.cwd()
