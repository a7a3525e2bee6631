"""The settings that apply to one file or directory: its configuration file (per directory,
nearest first), then what the project itself says (root, target Python, Django version, import
roots), then command-line overrides. The result for a file never depends on which other files
were named with it."""

from __future__ import annotations

import os
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field, replace
from functools import lru_cache
from pathlib import Path
from typing import Any

from asyncsafe._dist import distribution_version
from asyncsafe.config import (
    KNOWN_DJANGO_VERSIONS,
    Settings,
    find_config_from,
    load_settings,
)
from asyncsafe.diagnostics import FileError
from asyncsafe.engine.input.discover import discover
from asyncsafe.projectinfo.django import (
    django_from_project,
    environments,
    lowest_allowed,
)
from asyncsafe.projectinfo.python import target_from_project
from asyncsafe.projectinfo.root import common_start, find_project_root, start_directory
from asyncsafe.projectinfo.roots import configured_roots, default_roots

Overrides = Callable[[Settings], Settings]


class Resolver:
    """Settings per directory, cached: files of one folder share one ``Settings`` object."""

    def __init__(
        self,
        config: Path | None = None,
        isolated: bool = False,
        overrides: Overrides | None = None,
        strict: bool = True,
        paths: list[str] | None = None,
    ) -> None:
        self.config = config  # --config: one file for every path
        self.isolated = isolated  # --isolated: no configuration file at all
        self.overrides = overrides or (lambda settings: settings)
        self.strict = strict
        # Without any project marker, the files of the checked paths form one project.
        self.unmarked = common_start(paths) if paths else None

    def for_path(self, path: str | Path) -> Settings:
        return self._for_directory(start_directory(path))

    def for_directory(self, directory: Path) -> Settings:
        """``for_path`` for a folder known to be one (absolute): no ``stat``."""
        return self._for_directory(directory)

    @lru_cache(maxsize=1024)  # noqa: B019 - one resolver per run
    def _for_directory(self, directory: Path) -> Settings:
        root = find_project_root(directory, self.unmarked)
        chosen = Path(os.path.abspath(self.config)).parent if self.config is not None and not self.isolated else None
        if chosen is not None and directory.is_relative_to(chosen) and not root.is_relative_to(chosen):
            root = chosen  # --config names the project: a tree without markers of its own
        if self.isolated:
            config = None
        elif self.config is not None:
            config = self.config
        else:
            config = find_config_from(directory, root, self.strict)
        return self._settings(config, root)

    @lru_cache(maxsize=64)  # noqa: B019 - the folders of one project share it
    def _settings(self, config: Path | None, root: Path) -> Settings:
        base = load_settings(config, explicit=self.config is not None and not self.isolated)
        if config is None:
            base = replace(base, root=str(root))
        return complete(self.overrides(base), root)  # what is given wins over the project


def complete(settings: Settings, root: Path) -> Settings:
    """Fill in what the project says where the configuration is silent."""
    sources = dict(settings.sources)
    changes: dict[str, Any] = {"project_root": str(root)}
    config = Path(settings.config_path) if settings.config_path else None
    if settings.target_version is None:
        changes["target_version"], sources["target-version"] = target_from_project(config, root)
    if "django-version" not in sources:
        changes["django_version"], sources["django-version"] = django_version(root)
    if settings.src:
        changes["src_roots"] = configured_roots(settings.src, Path(settings.root))
    else:
        changes["src_roots"] = default_roots(root)
        sources["src"] = "the defaults: the project root, src/ and every folder holding manage.py"
    sources.setdefault("project-root", _root_reason(root))
    found = next(environments(root), None)
    sources["environment"] = str(found) if found else "none found in the project"
    return replace(settings, sources=sources, **changes)


def django_version(root: Path) -> tuple[str | None, str]:
    found = django_from_project(root)
    if found is not None:
        return found
    beside = distribution_version("django")
    version = lowest_allowed(f"=={beside}") if beside else None
    if version in KNOWN_DJANGO_VERSIONS:
        return version, "the Django installed next to asyncsafe"
    return None, (
        "unknown (no django-version, no Django in the project's environment, no pin): "
        "messages name both spellings and --fix makes no version-dependent rewrite"
    )


def _root_reason(root: Path) -> str:
    from asyncsafe.projectinfo.root import FALLBACK_MARKERS, PRIMARY_MARKERS

    for marker in (*PRIMARY_MARKERS, *FALLBACK_MARKERS):
        if os.path.lexists(root / marker):
            return f"the nearest folder holding {marker}"
    return "no project marker above the checked path: its own folder"


def describe(settings: Settings) -> Mapping[str, str]:
    """The resolved settings with their sources, for ``--show-settings``."""
    sources = settings.sources
    django = settings.django_version or "unknown"
    rows = {
        "project root": f"{settings.base}  ({sources.get('project-root', '')})",
        "config file": settings.config_path or "none (defaults)",
        "target-version": f"py{(settings.target_version or '').replace('.', '')}  ({sources.get('target-version', '')})",
        "django-version": f"{django}  ({sources.get('django-version', '')})",
        "environment": sources.get("environment", ""),
        "src": ", ".join(settings.src_roots) + (f"  ({sources['src']})" if "src" in sources else ""),
        "selected codes": ", ".join(sorted(settings.enabled_codes())),
    }
    return rows


@dataclass
class Group:
    """Files checked with the same settings (one configuration file, one project root)."""

    settings: Settings
    paths: list[str] = field(default_factory=list)  # the named paths that lie in it
    files: list[str] = field(default_factory=list)


def grouped_files(
    resolver: Resolver, paths: list[str], use_cache: bool = False
) -> tuple[list[Group], list[FileError]]:
    """The files to check, each with its own directory's settings. A named directory is walked
    with its own configuration's excludes; a file below it that has a nearer configuration
    is also held to that one's excludes (unless named explicitly). ``use_cache``: an unchanged
    tree's files come from the project's cache (``engine/cache/discovery.py``)."""
    groups: dict[tuple[str | None, str], Group] = {}
    errors: list[FileError] = []
    seen: set[str] = set()
    for raw in paths:
        top = resolver.for_path(raw)
        files, found_errors = _discover(raw, top, use_cache)
        errors.extend(found_errors)
        named_file = len(files) == 1 and files[0] == os.path.normpath(raw)
        group_of_path = _group(groups, top)
        if raw not in group_of_path.paths:
            group_of_path.paths.append(raw)
        by_folder: dict[str, Settings] = {}  # files of one folder share its settings (no stat)
        for file in files:
            key = os.path.abspath(file) if len(paths) > 1 else file  # discover dedups one path
            folder = os.path.dirname(file)
            if folder not in by_folder:
                by_folder[folder] = resolver.for_directory(Path(os.path.abspath(folder or ".")))
            settings = by_folder[folder]
            if key in seen or (not named_file and settings is not top and settings.is_excluded(file)):
                continue
            seen.add(key)
            _group(groups, settings).files.append(file)
    found = [group for group in groups.values() if group.files]
    for group in found:
        if sum(other.settings.base == group.settings.base for other in found) > 1:
            # Another configuration took some files of this project: the project index must
            # not take this group's files for all the files under the root.
            group.paths = list(group.files)
    return found, errors


def _discover(path: str, settings: Settings, use_cache: bool) -> tuple[list[str], list[FileError]]:
    if not use_cache:
        return discover([path], settings)
    from asyncsafe.engine.cache.discovery import discover_cached
    from asyncsafe.engine.cache.store import open_store

    store, _ = open_store(settings.base, settings.cache_dir)  # a refusal is reported by the run
    return discover_cached([path], settings, store)


def _group(groups: dict[tuple[str | None, str], Group], settings: Settings) -> Group:
    key = (settings.config_path, settings.base)
    if key not in groups:
        groups[key] = Group(settings)
    return groups[key]
