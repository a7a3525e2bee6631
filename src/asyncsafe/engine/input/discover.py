"""Find the Python files to check: each once, sorted, and never outside the tree.

A tree stays a tree: the walk never descends into a symlinked directory (a committed link to
another directory, or to ``/``, would make a check read, and ``--fix`` rewrite, files elsewhere),
and a symlinked file is taken only when its real path lies inside a checked path or the project
root. A path named explicitly is taken as named (a symlink there is the user's choice). The
walk is iterative: a directory chain thousands deep is no deeper for it than a flat one.
"""

from __future__ import annotations

import errno
import os
from dataclasses import dataclass, field

from asyncsafe.config import Settings
from asyncsafe.diagnostics import FileError

Identity = tuple[int, int]  # (device, inode): one file reached twice counts once
DirectoryKey = tuple[int, int, int, int]  # (device, inode, mtime_ns, ctime_ns) of a listed directory


@dataclass
class Walked:
    """What a walk listed: each directory's ``stat`` when it was listed. The same directories
    with the same ``stat`` hold the same entries (adding, removing or renaming an entry changes
    its directory's mtime), so the same walk finds the same files (``engine/cache/discovery.py``).
    ``linked``: a symlink was met, whose target can change without any listed directory changing."""

    directories: dict[str, DirectoryKey] = field(default_factory=dict)
    linked: bool = False


def discover(paths: list[str], settings: Settings) -> tuple[list[str], list[FileError]]:
    files, errors, _ = discover_recorded(paths, settings)
    return files, errors


def discover_recorded(paths: list[str], settings: Settings) -> tuple[list[str], list[FileError], Walked]:
    """``discover``, and what the walk listed."""
    found: dict[Identity, str] = {}  # identity -> path as the user will see it
    errors: list[FileError] = []
    walk = _Walk(settings, _real_roots(paths, settings.base), errors)
    for raw in paths or ["."]:
        path = os.path.normpath(raw)
        if not os.path.lexists(path):
            errors.append(FileError(path, "no such file or directory"))
        elif os.path.isdir(path):
            if not settings.is_excluded(path, user_only=True):
                for identity, file in walk.files_below(path):
                    found.setdefault(identity, file)
        elif not os.path.exists(path):
            errors.append(FileError(path, _broken_link(path)))
        elif not settings.is_excluded(path, user_only=True):
            stat = os.stat(path)
            found.setdefault((stat.st_dev, stat.st_ino), path)
    return sorted(found.values()), errors, walk.walked


def _real_roots(paths: list[str], project_root: str) -> tuple[str, ...]:
    """Where a symlinked file may point: the checked paths and the project root, resolved."""
    roots = {os.path.realpath(path) for path in [*(paths or ["."]), project_root]}
    return tuple(root if root.endswith(os.sep) else root + os.sep for root in roots)


def is_inside(real_path: str, real_roots: tuple[str, ...]) -> bool:
    """``real_path`` is one of ``real_roots`` (each ending in a separator) or below one."""
    return (real_path + os.sep).startswith(real_roots)


class _Walk:
    def __init__(self, settings: Settings, real_roots: tuple[str, ...], errors: list[FileError]) -> None:
        self.settings = settings
        self.excludes = settings.excludes()
        self.real_roots = real_roots
        self.errors = errors
        self.visited: set[Identity] = set()  # a bind mount may still loop: each directory once
        self.walked = Walked()

    def files_below(self, top: str) -> list[tuple[Identity, str]]:
        """(identity, path) of every Python file below ``top``. A virtualenv (a directory
        holding ``pyvenv.cfg``) below ``top`` is skipped."""
        files: list[tuple[Identity, str]] = []
        pending = [(top, False)]
        while pending:
            directory, nested = pending.pop()
            listed = self._entries(directory)
            if listed is None:
                continue
            device, entries = listed
            if nested and any(entry.name == "pyvenv.cfg" for entry in entries):
                continue
            subdirectories = []
            for entry in entries:
                path = os.path.join(directory, entry.name) if directory != "." else entry.name
                if self._excluded(entry.name, path):
                    continue
                try:
                    if entry.is_dir(follow_symlinks=False):
                        subdirectories.append((path, True))
                    elif entry.name.endswith(".py"):
                        identity = self._python_file(entry, path, device)
                        if identity is not None:
                            files.append((identity, path))
                except OSError:
                    continue
            pending.extend(reversed(subdirectories))
        return files

    def _entries(self, directory: str) -> tuple[int, list[os.DirEntry[str]]] | None:
        """The directory's device and sorted entries; None when seen already or unreadable."""
        try:
            stat = os.stat(directory)
            if (stat.st_dev, stat.st_ino) in self.visited:
                return None
            self.visited.add((stat.st_dev, stat.st_ino))
            entries = sorted(os.scandir(directory), key=lambda e: e.name)
            self.walked.directories[directory] = directory_key(stat)
            return stat.st_dev, entries
        except OSError as exc:
            self.errors.append(FileError(directory, f"cannot read directory: {exc.strerror or exc}"))
            return None

    def _excluded(self, name: str, path: str) -> bool:
        # Parents already passed: testing the new component is enough, except for path
        # patterns (a/b), which need the whole relative path.
        return self.excludes.matches_name(name) or (
            self.excludes.has_path_patterns and self.settings.is_excluded(path)
        )

    def _python_file(self, entry: os.DirEntry[str], path: str, device: int) -> Identity | None:
        """A regular file's identity (scandir knows a plain file's inode for free); a symlink
        counts only when it resolves to a file inside the checked tree."""
        if not entry.is_symlink():
            return (device, entry.inode()) if entry.is_file(follow_symlinks=False) else None
        self.walked.linked = True
        if not entry.is_file() or not is_inside(os.path.realpath(path), self.real_roots):
            return None
        target = entry.stat()
        return target.st_dev, target.st_ino


def directory_key(stat: os.stat_result) -> DirectoryKey:
    return (stat.st_dev, stat.st_ino, stat.st_mtime_ns, stat.st_ctime_ns)


def _broken_link(path: str) -> str:
    try:
        os.stat(path)
    except OSError as exc:
        if exc.errno == errno.ELOOP:
            return "symbolic link loop"
    return "broken symbolic link"
