"""``--fix`` writes: replace a file's content in one step, and only when that loses nothing.

The new content goes to a temp file beside the target (``.<name>.<random>.asyncsafe``), is
synced, and renamed over it. A rename makes a new inode, so a fix is refused where that would
change more than the content: a file with other hard links (they would keep the old content), a
read-only file, a file whose owner or group the temp file cannot be given (root keeps them; another
user cannot). The target is checked again right before the rename, so an editor's save during
the write is never overwritten. A run killed mid-write leaves its temp file: the next ``--fix``
run removes those it can tell are its own.
"""

from __future__ import annotations

import hashlib
import os
import re
import stat
from collections.abc import Iterable
from typing import Protocol

from asyncsafe.diagnostics import FileError

TEMP_SUFFIX = ".asyncsafe"
# `tempfile.mkstemp(prefix=".<name>.", suffix=".asyncsafe")`: 8 characters of its alphabet.
_TEMP_NAME = re.compile(r"\.(?P<name>.+\.py)\.[a-z0-9_]{8}\.asyncsafe\Z")
_CHANGED = "changed on disk while fixing; file left unchanged"


class Change(Protocol):
    @property
    def path(self) -> str: ...
    @property
    def before(self) -> bytes: ...
    @property
    def after(self) -> bytes: ...


def write_atomically(change: Change) -> FileError | None:
    """Replace ``change.path``'s content (a symlink's target, not the link) with ``change.after``;
    refuse, with the reason, when that is not safe or the file is no longer ``change.before``."""
    target = os.path.realpath(change.path)
    try:
        status = os.stat(target)
    except OSError as exc:
        return _cannot(change.path, exc)
    refusal = _refusal(target, status)
    if refusal is not None:
        return FileError(change.path, f"{refusal}; fix not applied, file left unchanged")
    try:
        if not _unchanged(target, status, change.before):
            return FileError(change.path, _CHANGED)
        import tempfile  # only when a fix is written: not on every run's import path

        descriptor, temp = tempfile.mkstemp(
            dir=os.path.dirname(target), prefix=f".{os.path.basename(target)}.", suffix=TEMP_SUFFIX
        )
    except OSError as exc:
        return _cannot(change.path, exc)
    try:
        problem = _write_temp(descriptor, change.after, status)
        if problem is None and not _unchanged(target, status, change.before):
            problem = _CHANGED  # an editor saved while we wrote: its content wins
        if problem is not None:
            _remove_quietly(temp)
            return FileError(change.path, problem)
        os.replace(temp, target)
    except OSError as exc:
        _remove_quietly(temp)
        return _cannot(change.path, exc)
    except BaseException:
        _remove_quietly(temp)
        raise
    return None


def _refusal(target: str, status: os.stat_result) -> str | None:
    """Why replacing ``target`` by a new file would lose something (None: it would not)."""
    if not stat.S_ISREG(status.st_mode):
        return "not a regular file"
    if status.st_nlink > 1:
        return f"it has {status.st_nlink} hard links, which a rewrite would split"
    if not status.st_mode & (stat.S_IWUSR | stat.S_IWGRP | stat.S_IWOTH) or not os.access(target, os.W_OK):
        return "it is read-only"
    return None


def _write_temp(descriptor: int, data: bytes, status: os.stat_result) -> str | None:
    """Fill the temp file and give it the target's mode, owner and group (None: done)."""
    with os.fdopen(descriptor, "wb") as out:
        out.write(data)
        out.flush()
        os.fsync(out.fileno())
        mine = os.fstat(out.fileno())
        if (mine.st_uid, mine.st_gid) != (status.st_uid, status.st_gid):
            try:
                os.fchown(out.fileno(), status.st_uid, status.st_gid)
            except PermissionError:
                return "it belongs to another user or group, which a rewrite would change; fix not applied, file left unchanged"
        os.fchmod(out.fileno(), stat.S_IMODE(status.st_mode))  # after fchown, which clears setuid
    return None


def _unchanged(target: str, status: os.stat_result, before: bytes) -> bool:
    """``target`` is still the file ``status`` describes, holding ``before``."""
    with open(target, "rb") as handle:
        now = os.fstat(handle.fileno())
        if _identity(now) != _identity(status):
            return False
        return hashlib.blake2b(handle.read()).digest() == hashlib.blake2b(before).digest()


def _identity(status: os.stat_result) -> tuple[int, ...]:
    return (status.st_dev, status.st_ino, status.st_size, status.st_mtime_ns, status.st_ctime_ns)


def remove_leftovers(paths: Iterable[str]) -> None:
    """Remove the temp files a killed ``--fix`` run left beside ``paths``: regular files of the
    current user named exactly as ``write_atomically`` names them, for a file that exists."""
    directories = {os.path.dirname(os.path.realpath(path)) for path in paths}
    for directory in directories:
        try:
            entries = list(os.scandir(directory))
        except OSError:
            continue
        names = {entry.name for entry in entries}
        for entry in entries:
            match = _TEMP_NAME.fullmatch(entry.name)
            if match is None or match["name"] not in names:
                continue
            try:
                if entry.is_file(follow_symlinks=False) and entry.stat(follow_symlinks=False).st_uid == os.geteuid():
                    os.unlink(entry.path)
            except OSError:
                continue


def _cannot(path: str, exc: OSError) -> FileError:
    return FileError(path, f"cannot write the fix: {exc.strerror or exc}")


def _remove_quietly(path: str) -> None:
    try:
        os.unlink(path)
    except OSError:
        pass
