"""What the last runs knew, so the next one reads and analyzes only what changed.

One signed entry per (engine, settings, project root) in the cache (``store.py``); adding or
removing a file keeps it (only its results are dropped: what a name resolves to may have changed).
Two tables:

* ``files``, one row per project file: the ``stat`` it had (device, inode, size, mtime, ctime),
  its content digest, whether it can hold an async body, the values of the text scans that read it,
  and the *generation* at which its content (``changed``) and its scan values (``rescanned``) last
  changed. A file whose ``stat`` is unchanged is not opened, unless it was modified within the
  file system's timestamp granularity of the start of the run that wrote the manifest ("racily
  clean", as git says): an edit in the same clock tick as the read that recorded it would leave the
  same ``stat``. Such files are read again by every run until one that started later confirms them.
* ``results``, one row per checked file: its diagnostics (``# noqa`` applied), its digest, the
  generation it was computed at, and which project files its analysis read whole (``reads``) or
  only scanned as text (``scans``, e.g. Django's class-name prefilter), as runs of indices into the
  project's sorted file list (a few numbers for "every file", two per file for a sparse read).

A result is reused only when its file is unchanged and no file it read has changed since, and no
file it scanned yields a different scan: exactly what a cold run would return. Editing one function
body re-checks that file and the files that read it, not the project. Writes are atomic (temp file
+ rename); two concurrent runs can only lose each other's updates, never corrupt them.
"""

from __future__ import annotations

import hashlib
import os
import time
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field, replace
from typing import Any, cast

from asyncsafe.diagnostics import Diagnostic, FileError
from asyncsafe.engine.cache.reads import ScanKind
from asyncsafe.engine.cache.store import CacheStore
from asyncsafe.engine.input.source import DEFAULT_MAX_FILE_SIZE, read_bytes

FORMAT = 3
# The coarsest file timestamp in common use (FAT: 2 s); a file modified this close to the
# manifest's write may have changed after it was read without changing its stat.
RACY_WINDOW_NS = 2_000_000_000
StatKey = tuple[int, int, int, int, int]  # (st_dev, st_ino, st_size, st_mtime_ns, st_ctime_ns)
NO_STAT: StatKey = (-1, -1, -1, -1, -1)  # read while it changed, or unreadable: always re-read
GONE = ""  # the digest of a file that could not be read


@dataclass
class FileState:
    stat: StatKey
    digest: str
    holds_async: bool
    changed: int = 0
    rescanned: int = 0
    scans: dict[str, str] = field(default_factory=dict)  # scan kind (value) -> what it extracted

    def to_json(self) -> list[Any]:
        return [list(self.stat), self.digest, self.holds_async, self.changed, self.rescanned, self.scans]

    @classmethod
    def from_json(cls, raw: list[Any]) -> FileState:
        # Signed by this user for this engine (store.py): the shape is ours, not checked per field.
        return cls(cast(StatKey, tuple(raw[0])), *raw[1:])

    @property
    def size(self) -> int:
        return self.stat[2]

    def modified_ns(self) -> int:
        return max(self.stat[3], self.stat[4])


@dataclass
class Result:
    digest: str
    generation: int
    diagnostics: list[Diagnostic]
    error: FileError | None = None
    reads: list[int] = field(default_factory=list)  # runs of indices into the sorted project files
    scans: list[int] = field(default_factory=list)  # (``_runs``: start, length, start, length...)

    def to_json(self) -> list[Any]:
        error = [self.error.path, self.error.reason] if self.error else None
        return [self.digest, self.generation, [d.to_json() for d in self.diagnostics], error,
                self.reads, self.scans]

    @classmethod
    def from_json(cls, raw: list[Any]) -> Result:
        digest, generation, diagnostics, error, reads, scans = raw
        return cls(digest, int(generation), [Diagnostic.from_json(d) for d in diagnostics],
                   FileError(*error) if error else None, [int(i) for i in reads], [int(i) for i in scans])


def digest_of(data: bytes) -> str:
    return hashlib.blake2b(data, digest_size=16).hexdigest()


def stat_key(stat: os.stat_result) -> StatKey:
    return (stat.st_dev, stat.st_ino, stat.st_size, stat.st_mtime_ns, stat.st_ctime_ns)


class Manifest:
    """``layout``: the project's files (absolute paths); results are kept while it is the same."""

    def __init__(self, store: CacheStore, salt: str, root: str, layout: Iterable[str],
                 holds_async: Callable[[bytes], bool], max_size: int = DEFAULT_MAX_FILE_SIZE) -> None:
        self.store = store
        self.max_size = max_size  # a larger file is never read (it is refused when checked)
        self.layout = sorted(layout)
        self._index = {path: i for i, path in enumerate(self.layout)}
        names = "\0".join(self.layout).encode("utf-8", "surrogateescape")  # os.fsencode, at once
        self._layout_digest = hashlib.sha256(names).hexdigest()
        key = hashlib.sha256(salt.encode() + b"\0" + os.fsencode(os.path.abspath(root))).hexdigest()
        self.name = f"manifest-{key[:20]}.json"
        self.holds_async = holds_async
        self.generation = 1  # this run's: what changes now, and results stored now, carry it
        self.files: dict[str, FileState] = {}
        self.results: dict[str, Result] = {}
        self._racy_after = 0  # states modified at or after this may hide a same-tick edit
        self._started_ns = time.time_ns()  # before any stat of this run
        self._fresh: set[str] = set()  # stat checked (and re-read if changed) in this run
        self._data: dict[str, bytes] = {}
        self._dirty = False
        self._last_change: int | None = None
        self._load()

    # --- file states -------------------------------------------------------------------------
    def state(self, path: str) -> FileState | None:
        """``path``'s state now: from the table while its ``stat`` is unchanged, else read."""
        known = self.files.get(path)
        if path in self._fresh and known is not None:
            return None if known.digest == GONE else known
        try:
            stat = os.stat(path)
        except OSError:
            self._gone(path)
            return None
        if known is not None and stat_key(stat) == known.stat:
            if known.modified_ns() < self._racy_after:
                self._fresh.add(path)
                return known
            self._dirty = True  # racily clean: read it, and write the manifest again (later)
        data = read_bytes(path, self.max_size)  # never waits on a FIFO: refused when checked
        if isinstance(data, FileError):
            self._gone(path)
            return None
        return self.record(path, data, stat)

    def bytes_read(self, path: str) -> bytes | None:
        """What ``state()`` read of ``path`` in this run (None if its ``stat`` spared the read)."""
        return self._data.get(path)

    def record(self, path: str, data: bytes, stat: os.stat_result | None = None) -> FileState:
        """``path`` was just read as ``data``."""
        self._data[path] = data
        self._fresh.add(path)
        stat = stat or _stat(path)
        # A file that grew while it was read keeps no stat: the next run reads it again.
        consistent = stat is not None and stat.st_size == len(data)
        key = stat_key(stat) if stat is not None and consistent else NO_STAT
        digest = digest_of(data)
        known = self.files.get(path)
        if known is not None and known.digest == digest:
            if known.stat != key:
                known.stat = key  # touched, not edited
                self._dirty = True
            return known
        state = FileState(key, digest, self.holds_async(data), self.generation)
        if known is not None:
            state.rescanned = known.rescanned
            state.scans = _scan_values(known.scans, data)
            if state.scans != known.scans:
                state.rescanned = state.changed
        self._changed(path, state)
        return state

    def _gone(self, path: str) -> None:
        """``path`` cannot be read (removed, unreadable): what read it must be computed again."""
        self._fresh.add(path)
        known = self.files.get(path)
        if known is None or known.digest != GONE:
            self._changed(path, FileState(NO_STAT, GONE, False, self.generation, self.generation))

    def _changed(self, path: str, state: FileState) -> None:
        self.files[path] = state
        self._dirty = True
        self._last_change = None

    def refresh(self, paths: Iterable[str]) -> None:
        """Bring these files' states up to date (a result may depend on any of them)."""
        for path in paths:
            if path not in self._fresh:
                self.state(path)

    # --- results -----------------------------------------------------------------------------
    def valid_result(self, path: str, digest: str, display: str) -> Result | None:
        """The stored result for ``path`` at ``digest``, if nothing it depends on changed since;
        its diagnostics name the file as ``display``."""
        result = self.results.get(path)
        if result is None or result.digest != digest or not self._still_valid(result):
            return None
        return replace(result, diagnostics=[replace(d, path=display) for d in result.diagnostics],
                       error=replace(result.error, path=display) if result.error else None)

    def _still_valid(self, result: Result) -> bool:
        if self._last_change is None:
            self._last_change = max((state.changed for state in self.files.values()), default=0)
        if result.generation >= self._last_change:
            return True  # nothing changed since it was computed: the warm path
        since = result.generation
        return not any(self._changed_since(i, since, lambda s: s.changed) for i in _indices(result.reads)) \
            and not any(self._changed_since(i, since, lambda s: s.rescanned) for i in _indices(result.scans))

    def _changed_since(self, index: int, generation: int, when: Callable[[FileState], int]) -> bool:
        state = self.files.get(self.layout[index]) if 0 <= index < len(self.layout) else None
        return state is None or when(state) > generation

    def store_result(self, path: str, digest: str, diagnostics: list[Diagnostic],
                     error: FileError | None, reads: Iterable[str], scans: dict[str, set[ScanKind]]) -> None:
        """The result of checking ``path`` (read as ``digest``); ``reads``/``scans``: what the
        analysis read of the project (absolute paths)."""
        for scanned, kinds in scans.items():
            self._note_scans(scanned, kinds)
        self.results[path] = Result(
            digest, self.generation, diagnostics, error,
            _runs(self._index[p] for p in reads if p in self._index),
            _runs(self._index[p] for p in scans if p in self._index),
        )
        self._dirty = True

    def _note_scans(self, path: str, kinds: set[ScanKind]) -> None:
        state = self.state(path)
        if state is None:
            return
        missing = [kind for kind in kinds if kind.value not in state.scans]
        if missing:
            data = self._data.get(path) or read_bytes(path, self.max_size)
            if isinstance(data, FileError):
                return
            text = data.decode("utf-8", errors="replace")
            state.scans.update({kind.value: kind.extract(text) for kind in missing})
            self._dirty = True

    # --- persistence -------------------------------------------------------------------------
    def _load(self) -> None:
        raw = self.store.read_json(self.name)
        try:
            if not isinstance(raw, dict) or raw.get("format") != FORMAT:
                return
            self.generation = int(raw["generation"]) + 1
            self._racy_after = int(raw["started_ns"]) - RACY_WINDOW_NS
            self.files = {str(p): FileState.from_json(state) for p, state in raw["files"].items()}
            if raw["layout"] == self._layout_digest:
                self.results = {str(p): Result.from_json(r) for p, r in raw["results"].items()}
            else:
                self._dirty = True  # files came or went: what names resolve to may differ
        except (ValueError, KeyError, TypeError, AttributeError):
            self.generation, self.files, self.results, self._racy_after = 1, {}, {}, 0

    def save(self) -> None:
        """Write what this run knows. Files and results of paths that left the project go."""
        if not self._dirty:
            return
        payload = {
            "format": FORMAT,
            "generation": self.generation,
            # Every stat of this run came after this: a file whose timestamp is no older (less the
            # granularity) may have been edited in the same tick as the read that recorded it.
            "started_ns": self._started_ns,
            "layout": self._layout_digest,
            "files": {p: s.to_json() for p, s in self.files.items() if p in self._fresh},
            "results": {
                p: r.to_json() for p, r in self.results.items() if p in self._index or p in self._fresh
            },
        }
        self.store.write_json(self.name, payload)


def _stat(path: str) -> os.stat_result | None:
    try:
        return os.stat(path)
    except OSError:
        return None


def _runs(indices: Iterable[int]) -> list[int]:
    """Indices as runs ``[start, length, ...]``: a result that scanned every file keeps two
    numbers, one that read a few keeps two per file read."""
    runs: list[int] = []
    for index in sorted(set(indices)):
        if runs and runs[-2] + runs[-1] == index:
            runs[-1] += 1
        else:
            runs += [index, 1]
    return runs


def _indices(runs: list[int]) -> Iterator[int]:
    for position in range(0, len(runs) - 1, 2):
        yield from range(runs[position], runs[position] + runs[position + 1])


def _scan_values(previous: dict[str, str], data: bytes) -> dict[str, str]:
    """The same scans as before, over the file's new content. Only kinds known in code run: a
    name in the manifest selects one of them, never anything else."""
    if not previous:
        return {}
    text = data.decode("utf-8", errors="replace")
    kinds = [kind for kind in map(ScanKind.named, previous) if kind is not None]
    return {kind.value: kind.extract(text) for kind in kinds}
