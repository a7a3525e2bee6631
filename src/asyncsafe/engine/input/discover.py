"""Find the Python files to check: each once, sorted, never following a symlink loop."""

from __future__ import annotations

import errno
import os

from asyncsafe.config import Settings
from asyncsafe.diagnostics import FileError


def discover(paths: list[str], settings: Settings) -> tuple[list[str], list[FileError]]:
    found: dict[tuple[int, int], str] = {}  # (device, inode) -> path as the user will see it
    errors: list[FileError] = []
    visited_dirs: set[tuple[int, int]] = set()
    for raw in paths or ["."]:
        path = os.path.normpath(raw)
        if not os.path.lexists(path):
            errors.append(FileError(path, "no such file or directory"))
        elif os.path.isdir(path):
            if settings.is_excluded(path, user_only=True):
                continue
            for identity, file in _walk(path, settings, visited_dirs, errors):
                found.setdefault(identity, file)
        elif not os.path.exists(path):
            errors.append(FileError(path, _broken_link(path)))
        elif not settings.is_excluded(path, user_only=True):
            stat = os.stat(path)
            found.setdefault((stat.st_dev, stat.st_ino), path)
    return sorted(found.values()), errors


def _walk(
    directory: str,
    settings: Settings,
    visited: set[tuple[int, int]],
    errors: list[FileError],
    nested: bool = False,
) -> list[tuple[tuple[int, int], str]]:
    """(identity, path) of every Python file below ``directory``; the identity (device, inode)
    makes a file reached twice (through a symlink, or also named on the command line) count once.
    A virtualenv (a directory holding ``pyvenv.cfg``) below a named directory is skipped."""
    try:
        stat = os.stat(directory)
    except OSError:
        return []
    key = (stat.st_dev, stat.st_ino)
    if key in visited:
        return []
    visited.add(key)
    try:
        entries = sorted(os.scandir(directory), key=lambda e: e.name)
    except OSError as exc:
        errors.append(FileError(directory, f"cannot read directory: {exc.strerror or exc}"))
        return []
    if nested and any(entry.name == "pyvenv.cfg" for entry in entries):
        return []
    files: list[tuple[tuple[int, int], str]] = []
    excludes = settings.excludes()
    for entry in entries:
        path = os.path.join(directory, entry.name) if directory != "." else entry.name
        # Parents already passed: testing the new component is enough, except for path
        # patterns (a/b), which need the whole relative path.
        if excludes.matches_name(entry.name) or (
            excludes.has_path_patterns and settings.is_excluded(path)
        ):
            continue
        try:
            if entry.is_dir():
                files.extend(_walk(path, settings, visited, errors, nested=True))
            elif entry.name.endswith(".py") and entry.is_file():
                # scandir knows a plain file's inode for free; a symlink's target needs a stat
                target = entry.stat() if entry.is_symlink() else None
                identity = (target.st_dev, target.st_ino) if target else (stat.st_dev, entry.inode())
                files.append((identity, path))
        except OSError:
            continue
    return files


def _broken_link(path: str) -> str:
    try:
        os.stat(path)
    except OSError as exc:
        if exc.errno == errno.ELOOP:
            return "symbolic link loop"
    return "broken symbolic link"
