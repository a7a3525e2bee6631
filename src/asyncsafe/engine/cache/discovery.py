"""The files the last run's walk found, reused while no directory it listed has changed.

A warm run of an unchanged tree spends more time listing directories than reading its cache:
the walk (``engine/input/discover.py``) records the ``stat`` of every directory it listed, and
the next run with the same paths and excludes takes the stored file list after one ``stat`` per
directory instead of listing them. Entries are only kept when nothing could hide a change:

* adding, removing or renaming an entry changes its directory's mtime and ctime; a changed
  permission changes its ctime; a replaced directory has another inode;
* a directory modified within the file system's timestamp granularity of the walk could change
  again in the same tick without a new ``stat``: such a walk is not stored ("racily clean");
* a walk that met a symlinked file, or reported an error, is not stored (a link's target can
  change without any listed directory changing).

The entry lives in the project's signed store (``store.py``): a forged one is never read.
"""

from __future__ import annotations

import hashlib
import json
import os
import time

from asyncsafe.config import Settings
from asyncsafe.diagnostics import FileError
from asyncsafe.engine.cache.manifest import RACY_WINDOW_NS
from asyncsafe.engine.cache.store import CacheStore
from asyncsafe.engine.input.discover import Walked, directory_key, discover_recorded

FORMAT = 1
Discovered = tuple[list[str], list[FileError]]


def discover_cached(paths: list[str], settings: Settings, store: CacheStore | None) -> Discovered:
    """``discover(paths, settings)``, answered from the store while the tree is unchanged."""
    if store is None or not all(os.path.isdir(path) for path in paths or ["."]):
        files, errors, _ = discover_recorded(paths, settings)
        return files, errors
    name = _entry_name(paths, settings)
    found = _valid(store.read_json(name))
    if found is not None:
        return found, []
    started_ns = time.time_ns()
    files, errors, walked = discover_recorded(paths, settings)
    if not errors and _storable(walked, started_ns):
        store.write_json(name, {"format": FORMAT, "directories": walked.directories, "files": files})
    return files, errors


def _entry_name(paths: list[str], settings: Settings) -> str:
    """What decides the walk: the paths as named (from this folder), the excludes, the roots."""
    decided = [
        os.getcwd(), paths, settings.root, settings.base, list(settings.exclude), list(settings.extend_exclude),
    ]
    digest = hashlib.sha256(json.dumps(decided).encode("utf-8", "surrogateescape")).hexdigest()
    return f"discovery-{digest[:20]}.json"


def _storable(walked: Walked, started_ns: int) -> bool:
    racy = started_ns - RACY_WINDOW_NS
    return not walked.linked and all(max(key[2], key[3]) < racy for key in walked.directories.values())


def _valid(raw: object) -> list[str] | None:
    """The stored files when every directory listed then has the same ``stat`` now."""
    if not isinstance(raw, dict) or raw.get("format") != FORMAT:
        return None
    directories, files = raw.get("directories"), raw.get("files")
    if not isinstance(directories, dict) or not isinstance(files, list):
        return None
    for path, key in directories.items():
        if not isinstance(key, list) or _key_now(path) != key:
            return None
    return [str(file) for file in files]


def _key_now(path: str) -> list[int] | None:
    try:
        return list(directory_key(os.stat(path)))
    except OSError:
        return None
