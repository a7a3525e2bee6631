"""Import roots (ruff's ``src``): the folders module names are computed from.

By default the project root, its ``src/`` and every folder holding ``manage.py`` (a Django
project whose apps are imported by their short names, e.g. jumpserver's ``apps/``).
"""

from __future__ import annotations

import os
from pathlib import Path

from asyncsafe.config import DEFAULT_EXCLUDE, PathMatcher

MANAGE_PY_DEPTH = 3  # folders below the root searched for manage.py


def default_roots(root: Path) -> tuple[str, ...]:
    roots = [root]
    if (root / "src").is_dir():
        roots.append(root / "src")
    roots.extend(_manage_py_folders(root))
    return tuple(dict.fromkeys(str(r) for r in roots))


def configured_roots(folders: tuple[str, ...], base: Path) -> tuple[str, ...]:
    return tuple(dict.fromkeys(os.path.normpath(base / folder) for folder in folders))


def _manage_py_folders(root: Path) -> list[Path]:
    skip = PathMatcher(DEFAULT_EXCLUDE)
    found, level = [], [root]
    for _ in range(MANAGE_PY_DEPTH + 1):
        below = []
        for folder in level:
            try:
                entries = sorted(os.scandir(folder), key=lambda e: e.name)
            except OSError:
                continue
            names = {entry.name for entry in entries}
            if "pyvenv.cfg" in names:
                continue
            if "manage.py" in names and folder != root:
                found.append(folder)
            below += [
                folder / e.name for e in entries
                if e.is_dir(follow_symlinks=False) and not skip.matches_name(e.name)
                and not e.name.startswith(".")
            ]
        level = below
    return found
