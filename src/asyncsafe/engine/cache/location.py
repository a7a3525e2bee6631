"""Where the cache lives, whether this user may trust it, and the key that signs its entries.

The cache directory is chosen as ruff does: ``cache-dir`` in the configuration, else
``$ASYNCSAFE_CACHE_DIR``, else ``.asyncsafe_cache`` in the project root. It is refused (the run
says so once and goes on without a cache) when it is a symbolic link, is not a directory owned by
the current user, or is tracked by git: a cache that came with the checked tree is never read.

Entries are signed with a random key kept in the user's own cache directory
(``$ASYNCSAFE_USER_CACHE_DIR``, else the platform's: ``$XDG_CACHE_HOME/asyncsafe`` or
``~/.cache/asyncsafe``), outside any checked tree: an entry that another user, another machine or
a repository wrote verifies as nothing (``store.py``).
"""

from __future__ import annotations

import os
import stat
import sys
from functools import lru_cache
from pathlib import Path

CACHE_DIR_NAME = ".asyncsafe_cache"
CACHE_DIR_ENV = "ASYNCSAFE_CACHE_DIR"
USER_CACHE_DIR_ENV = "ASYNCSAFE_USER_CACHE_DIR"
KEY_FILE = "cache-key"
KEY_BYTES = 32


class CacheRefused(Exception):
    """The cache may not be used; the message says why (one line)."""


def cache_directory(root: str, configured: str | None) -> Path:
    """``configured`` (``cache-dir``, relative to the project root), else the environment's,
    else ``.asyncsafe_cache`` in the project root."""
    if configured:
        return Path(os.path.abspath(os.path.join(root, os.path.expanduser(configured))))
    from_environment = os.environ.get(CACHE_DIR_ENV)
    if from_environment:
        return Path(os.path.abspath(os.path.expanduser(from_environment)))
    return Path(os.path.abspath(root)) / CACHE_DIR_NAME


def user_cache_directory() -> Path:
    """This user's own cache directory (never inside a checked tree)."""
    override = os.environ.get(USER_CACHE_DIR_ENV)
    if override:
        return Path(os.path.expanduser(override))
    if sys.platform == "win32":
        base = os.environ.get("LOCALAPPDATA") or os.path.expanduser("~/AppData/Local")
        return Path(base) / "asyncsafe"
    if sys.platform == "darwin":
        return Path.home() / "Library" / "Caches" / "asyncsafe"
    xdg = os.environ.get("XDG_CACHE_HOME")
    return Path(xdg if xdg and os.path.isabs(xdg) else Path.home() / ".cache") / "asyncsafe"


def user_key() -> bytes:
    """The key this user's entries are signed with: created on first use, readable only by them."""
    return _user_key(str(user_cache_directory()))


@lru_cache(maxsize=4)
def _user_key(directory: str) -> bytes:
    path = os.path.join(directory, KEY_FILE)
    try:
        return _read_key(path)
    except FileNotFoundError:
        pass
    except OSError as exc:
        raise CacheRefused(f"cannot read the cache key {path}: {exc.strerror or exc}") from exc
    try:
        os.makedirs(directory, mode=0o700, exist_ok=True)
        _create_key(directory, path)
        return _read_key(path)
    except OSError as exc:
        raise CacheRefused(f"cannot create the cache key {path}: {exc.strerror or exc}") from exc


def _create_key(directory: str, path: str) -> None:
    """Write the key whole under a temporary name, then link it into place: two first runs at once
    agree on one key (the loser reads the winner's)."""
    temp = os.path.join(directory, f".tmp-key-{os.urandom(8).hex()}")
    descriptor = os.open(temp, os.O_WRONLY | os.O_CREAT | os.O_EXCL | _NOFOLLOW, 0o600)
    try:
        with open(descriptor, "wb") as out:
            out.write(os.urandom(KEY_BYTES))
        try:
            os.link(temp, path)
        except FileExistsError:
            pass
    finally:
        os.unlink(temp)


def _read_key(path: str) -> bytes:
    descriptor = os.open(path, os.O_RDONLY | _NOFOLLOW | _NONBLOCK)
    with open(descriptor, "rb") as handle:
        info = os.fstat(descriptor)
        private = not info.st_mode & 0o077 or sys.platform == "win32"
        if not stat.S_ISREG(info.st_mode) or not owned(info) or not private:
            raise CacheRefused(f"the cache key {path} is not a private file of the current user")
        key = handle.read(KEY_BYTES + 1)
    if len(key) != KEY_BYTES:
        raise CacheRefused(f"the cache key {path} is damaged: delete it to make a new one")
    return key


_NOFOLLOW = getattr(os, "O_NOFOLLOW", 0)
_NONBLOCK = getattr(os, "O_NONBLOCK", 0)


def owned(info: os.stat_result) -> bool:
    geteuid = getattr(os, "geteuid", None)
    return geteuid is None or info.st_uid == geteuid()


def check_trusted(directory: Path) -> None:
    """Raise ``CacheRefused`` unless ``directory`` is absent or a real directory of this user that
    git does not track. An absent one is created by the first write (``store.py``)."""
    try:
        info = os.lstat(directory)
    except FileNotFoundError:
        return
    except OSError as exc:
        raise CacheRefused(f"cannot use the cache directory {directory}: {exc.strerror}") from exc
    if stat.S_ISLNK(info.st_mode):
        raise CacheRefused(f"the cache directory {directory} is a symbolic link")
    if not stat.S_ISDIR(info.st_mode):
        raise CacheRefused(f"the cache directory {directory} is not a directory")
    if not owned(info):
        raise CacheRefused(f"the cache directory {directory} belongs to another user")


def git_work_tree(directory: Path) -> Path | None:
    """The top of the git work tree holding ``directory`` (a few stats; None outside git)."""
    for candidate in (directory.parent, *directory.parent.parents):
        if os.path.lexists(candidate / ".git"):
            return candidate
    return None


def tracked_by_git(directory: Path) -> bool:
    """Whether git tracks any file in ``directory``."""
    import subprocess  # seldom: only when the index changed since git last said no

    try:
        listed = subprocess.run(
            # fsmonitor is a command from the repository's config: never run it for this
            ["git", "-c", "core.fsmonitor=false", "ls-files", "-z", "--", directory.name],
            cwd=directory.parent, capture_output=True, timeout=30, check=False,
        )
    except (OSError, subprocess.SubprocessError):
        return False
    return listed.returncode == 0 and bool(listed.stdout)


def index_stamp(top: Path) -> str | None:
    """What git's answer depends on: the index file's identity and stat (git replaces the index
    by renaming a new file over it). None when it cannot be told: then git is asked every run."""
    if any(name in os.environ for name in ("GIT_DIR", "GIT_INDEX_FILE", "GIT_WORK_TREE")):
        return None
    dot_git = top / ".git"
    if dot_git.is_dir():
        index = dot_git / "index"
    else:  # a linked work tree or submodule: ".git" is a file naming the real git directory
        try:
            line = dot_git.read_text(encoding="utf-8", errors="replace").partition("\n")[0]
        except OSError:
            return None
        if not line.startswith("gitdir:"):
            return None
        index = top / line.removeprefix("gitdir:").strip() / "index"
    try:
        info = os.stat(index)
    except FileNotFoundError:
        return f"{os.fsencode(top)!r}|no index"
    except OSError:
        return None
    identity = (info.st_dev, info.st_ino, info.st_size, info.st_mtime_ns, info.st_ctime_ns)
    return f"{os.fsencode(top)!r}|{identity}"
