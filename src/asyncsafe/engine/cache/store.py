"""Signed, atomic entries under ``<cache dir>/<engine fingerprint>/``: the manifest
(``manifest.py``) and each module's call-graph facts by content (``facts/module_facts.py``).

A cache can only spare work, never decide a result: every entry carries an HMAC-SHA256 over its
name and content with this user's key (``location.py``), and one that does not verify reads as
absent and is rewritten. Entries are data (JSON); nothing in them is ever imported or called.

Writes never follow a symbolic link: every directory written into is checked to be a real
directory of the current user, each entry is written to a new temporary file (``O_EXCL``) and
renamed over its name (a rename replaces a link, it does not write through it), and the
``.gitignore`` is created only where nothing, not even a dangling link, exists.
"""

from __future__ import annotations

import contextlib
import hashlib
import hmac
import json
import os
import re
import stat
import time
from functools import lru_cache
from pathlib import Path
from typing import Any

from asyncsafe.engine.cache.location import (
    CacheRefused,
    cache_directory,
    check_trusted,
    git_work_tree,
    index_stamp,
    owned,
    tracked_by_git,
    user_key,
)

HEADER = b"asyncsafe-cache-1 "
MAX_ENTRY_BYTES = 256 << 20
TEMP_PREFIX = ".tmp-"
STALE_TEMP_SECONDS = 600  # a temporary file this old belongs to a run that was killed
KEEP_MANIFESTS = 8  # per engine: one per (settings, project); the least recently written go
OLD_ENGINE_SECONDS = 7 * 24 * 3600  # another asyncsafe version's entries, unused this long, go
ENGINE_NAME = re.compile(r"[0-9a-f]{16}")
GIT_CHECKED = "git-untracked"
_NOFOLLOW = getattr(os, "O_NOFOLLOW", 0)
_NONBLOCK = getattr(os, "O_NONBLOCK", 0)


@lru_cache(maxsize=1)
def engine_fingerprint() -> str:
    """Hash of asyncsafe's own code and catalog: any change invalidates every entry."""
    package = str(Path(__file__).resolve().parent.parent.parent)
    digest = hashlib.sha256()
    for path in sorted(_code_files(package)):
        digest.update(Path(path).as_posix().encode())
        with open(path, "rb") as handle:
            digest.update(handle.read())
    return digest.hexdigest()[:16]


def _code_files(package: str) -> list[str]:
    """The package's .py and .toml files (every run reads them: no ``__pycache__`` listings)."""
    found = []
    for directory, subdirectories, names in os.walk(package):
        subdirectories[:] = [name for name in subdirectories if name != "__pycache__"]
        found += [os.path.join(directory, name) for name in names if name.endswith((".py", ".toml"))]
    return found


def open_store(root: str, configured: str | None) -> tuple[CacheStore | None, str | None]:
    """The project's cache, or None and the one line that says why it is not used."""
    directory = cache_directory(root, configured)
    try:
        check_trusted(directory)
        store = CacheStore(directory, user_key())
        if store.tracked_by_git():
            raise CacheRefused(f"the cache directory {directory} is tracked by git")
    except CacheRefused as exc:
        return None, f"warning: {exc}; running without the cache"
    store.tidy()
    return store, None


class CacheStore:
    def __init__(self, root: Path, key: bytes) -> None:
        self.root = root
        self.directory = root / engine_fingerprint()
        self._key = key
        self._ready: set[Path] = set()  # directories made or checked by this process

    def read(self, name: str) -> bytes | None:
        """The content stored under ``name`` if this user's key signed it, else None."""
        data = _read_regular(self.directory / name)
        if data is None:
            return None
        head, _, body = data.partition(b"\n")
        if not head.startswith(HEADER) or not hmac.compare_digest(head[len(HEADER):], self._mac(name, body)):
            return None
        return body

    def write(self, name: str, body: bytes) -> None:
        """Store ``body`` under ``name`` (``sub/dir/name``), signed, whole or not at all."""
        target = self.directory / name
        temp: str | None = None
        try:
            self._prepare(target.parent)
            temp, descriptor = _new_temporary(self.directory)
            with os.fdopen(descriptor, "wb") as out:
                out.write(HEADER + self._mac(name, body) + b"\n")
                out.write(body)
            os.replace(temp, target)
            temp = None
        except OSError:
            pass  # a read-only or foreign directory just runs uncached
        finally:
            if temp is not None:
                with contextlib.suppress(OSError):
                    os.unlink(temp)

    def read_json(self, name: str) -> Any:
        body = self.read(name)
        try:
            return None if body is None else json.loads(body)
        except ValueError:
            return None

    def write_json(self, name: str, payload: Any) -> None:
        # ASCII (the default): a file name that is not UTF-8 travels as \udcXX escapes.
        self.write(name, json.dumps(payload, separators=(",", ":")).encode())

    def _mac(self, name: str, body: bytes) -> bytes:
        signer = hmac.new(self._key, digestmod=hashlib.sha256)
        signer.update(f"{engine_fingerprint()}/{name}\0".encode())
        signer.update(body)
        return signer.hexdigest().encode()

    def _prepare(self, directory: Path) -> None:
        if directory in self._ready:
            return
        for level in (self.root, self.directory, directory):
            if level not in self._ready:
                _own_directory(level, parents=level == self.root)
                if level == self.root:
                    _create_gitignore(level)
                self._ready.add(level)

    # --- trust and upkeep -------------------------------------------------------------------
    def tracked_by_git(self) -> bool:
        """Asked of git only when the index changed since git last said no (a signed note)."""
        if not self.root.is_dir():
            return False  # nothing there for git to track: this run creates it
        top = git_work_tree(self.root)
        if top is None:
            return False
        stamp = index_stamp(top)
        if stamp is not None and self.read(GIT_CHECKED) == stamp.encode():
            return False
        if tracked_by_git(self.root):
            return True
        if stamp is not None:
            self.write(GIT_CHECKED, stamp.encode())
        return False

    def tidy(self) -> None:
        """Remove what killed runs left (temporary files), the least recently written manifests
        and discovery entries (``discovery.py``) beyond ``KEEP_MANIFESTS`` of each, and other
        engines' entries unused for a week. Only names this module makes are ever removed: a
        ``cache-dir`` pointed at the wrong place loses nothing."""
        now = time.time()
        kept: dict[str, list[tuple[float, str]]] = {"manifest-": [], "discovery-": []}
        for entry in _entries(self.directory) if _is_own_directory(self.directory) else []:
            if entry.name.startswith(TEMP_PREFIX) and now - _mtime(entry) > STALE_TEMP_SECONDS:
                _remove(entry.path)
            elif entry.name.startswith(tuple(kept)) and entry.name.endswith(".json"):
                kept[entry.name.partition("-")[0] + "-"].append((now - _mtime(entry), entry.path))
        for entries in kept.values():
            for _, path in sorted(entries)[KEEP_MANIFESTS:]:
                _remove(path)
        for entry in _entries(self.root):
            other = ENGINE_NAME.fullmatch(entry.name) and entry.name != self.directory.name
            if other and entry.is_dir(follow_symlinks=False) and now - _mtime(entry) > OLD_ENGINE_SECONDS:
                import shutil  # seldom: not on the warm path

                shutil.rmtree(entry.path, ignore_errors=True)


class Cache:
    """JSON payloads by content key, fanned out over 256 directories (``ab/abcdef...``)."""

    def __init__(self, store: CacheStore, settings_fingerprint: str) -> None:
        self.store = store
        self.salt = settings_fingerprint

    def key(self, path: str, data: bytes, context: str = "") -> str:
        digest = hashlib.sha256()
        for part in (self.salt.encode(), os.fsencode(path), context.encode("utf-8", "surrogateescape")):
            digest.update(part)
            digest.update(b"\0")
        digest.update(data)
        return digest.hexdigest()

    def get_json(self, key: str) -> Any:
        """The payload stored under ``key``, or None."""
        return self.store.read_json(f"{key[:2]}/{key}")

    def put_json(self, key: str, payload: Any) -> None:
        self.store.write_json(f"{key[:2]}/{key}", payload)


def _read_regular(path: Path) -> bytes | None:
    """A regular file's bytes, without following a link or waiting on a FIFO."""
    try:
        descriptor = os.open(path, os.O_RDONLY | _NOFOLLOW | _NONBLOCK)
    except OSError:
        return None
    with open(descriptor, "rb") as handle:
        try:
            info = os.fstat(descriptor)
            if not stat.S_ISREG(info.st_mode) or info.st_size > MAX_ENTRY_BYTES:
                return None
            return handle.read(MAX_ENTRY_BYTES + 1)
        except OSError:
            return None


def _new_temporary(directory: Path) -> tuple[str, int]:
    """A new file (``O_EXCL``: never an existing file or link) for an entry being written."""
    path = os.path.join(directory, f"{TEMP_PREFIX}{os.urandom(8).hex()}")
    return path, os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL | _NOFOLLOW, 0o600)


def _own_directory(path: Path, parents: bool) -> None:
    """Make ``path`` (a directory) unless it exists; either way it must be a real directory of the
    current user, else ``OSError``."""
    try:
        if parents:
            os.makedirs(path, exist_ok=True)
        else:
            os.mkdir(path)
    except FileExistsError:
        pass
    if not _is_own_directory(path):
        raise OSError(f"{path} is not a directory of the current user")


def _is_own_directory(path: Path) -> bool:
    """A real directory (not a link to one) of the current user."""
    try:
        info = os.lstat(path)
    except OSError:
        return False
    return stat.S_ISDIR(info.st_mode) and owned(info)


def _create_gitignore(directory: Path) -> None:
    """Keep the cache out of git. ``O_EXCL``: whatever exists there, even a dangling link, stays."""
    try:
        descriptor = os.open(
            directory / ".gitignore", os.O_WRONLY | os.O_CREAT | os.O_EXCL | _NOFOLLOW, 0o644
        )
    except OSError:
        return
    with open(descriptor, "w", encoding="utf-8") as out:
        out.write("# created by asyncsafe\n*\n")


def _entries(directory: Path) -> list[os.DirEntry[str]]:
    try:
        with os.scandir(directory) as found:
            return list(found)
    except OSError:
        return []


def _mtime(entry: os.DirEntry[str]) -> float:
    try:
        return entry.stat(follow_symlinks=False).st_mtime
    except OSError:
        return 0.0


def _remove(path: str) -> None:
    with contextlib.suppress(OSError):
        os.unlink(path)
