"""The project root: the nearest ancestor of a checked path that marks a project.

Never the current directory by accident: checking ``/srv/app/views.py`` from ``/`` finds the same
root as checking it from inside ``/srv/app``.
"""

from __future__ import annotations

import os
from functools import lru_cache
from pathlib import Path

# A directory holding one of these is a project root (a VCS checkout, a packaged project).
PRIMARY_MARKERS = ("pyproject.toml", "setup.cfg", "setup.py", ".git", ".hg")
# A Django project without packaging: a root only when no primary marker is found above.
FALLBACK_MARKERS = ("manage.py",)


def start_directory(path: str | Path) -> Path:
    """The directory a checked path stands for (a file's own directory)."""
    absolute = Path(os.path.abspath(path))
    return absolute if absolute.is_dir() else absolute.parent


def find_project_root(path: str | Path, unmarked: Path | None = None) -> Path:
    """The nearest ancestor (or itself) of ``path`` with a project marker. When nothing above
    marks a project: ``unmarked`` (the folder the run was asked to check) if it holds the path,
    else the path's own folder."""
    start = start_directory(path)
    found = marked_root(start)
    if found is not None:
        return found
    return unmarked if unmarked is not None and start.is_relative_to(unmarked) else start


def marked_root(start: Path) -> Path | None:
    return _nearest(start, PRIMARY_MARKERS) or _nearest(start, FALLBACK_MARKERS)


@lru_cache(maxsize=4096)
def _nearest(directory: Path, markers: tuple[str, ...]) -> Path | None:
    """The nearest folder at or above ``directory`` holding one of ``markers`` (one listing per
    folder, shared by every folder below it)."""
    if not listing(directory).isdisjoint(markers):
        return directory
    return None if directory.parent == directory else _nearest(directory.parent, markers)


@lru_cache(maxsize=4096)
def listing(directory: Path) -> frozenset[str]:
    """The names in a folder (empty when it cannot be read)."""
    try:
        return frozenset(os.listdir(directory))
    except OSError:
        return frozenset()


def common_start(paths: list[str]) -> Path:
    """The directory all checked paths are under (the project root is searched from there)."""
    absolute = [os.path.abspath(p) for p in paths] or [os.getcwd()]
    return start_directory(os.path.commonpath(absolute))
