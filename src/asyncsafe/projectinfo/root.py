"""The project root: the nearest ancestor of a checked path that marks a project.

Never the current directory by accident: checking ``/srv/app/views.py`` from ``/`` finds the same
root as checking it from inside ``/srv/app``.
"""

from __future__ import annotations

import os
from pathlib import Path

# A directory holding one of these is a project root (a VCS checkout, a packaged project).
PRIMARY_MARKERS = ("pyproject.toml", "setup.cfg", "setup.py", ".git", ".hg")
# A Django project without packaging: a root only when no primary marker is found above.
FALLBACK_MARKERS = ("manage.py",)


def start_directory(path: str | Path) -> Path:
    """The directory a checked path stands for (a file's own directory)."""
    absolute = Path(os.path.abspath(path))
    return absolute if absolute.is_dir() else absolute.parent


def find_project_root(path: str | Path) -> Path:
    """The nearest ancestor (or itself) of ``path`` with a project marker; the path's own
    directory when nothing above marks a project."""
    start = start_directory(path)
    for markers in (PRIMARY_MARKERS, FALLBACK_MARKERS):
        for directory in (start, *start.parents):
            if any(os.path.lexists(directory / marker) for marker in markers):
                return directory
    return start


def common_start(paths: list[str]) -> Path:
    """The directory all checked paths are under (the project root is searched from there)."""
    absolute = [os.path.abspath(p) for p in paths] or [os.getcwd()]
    return start_directory(os.path.commonpath(absolute))
