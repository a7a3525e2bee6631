"""What the last runs knew, so the next one reads and analyzes only what changed.

One JSON file per (engine, settings, project layout) under ``.asyncsafe_cache``, two tables:

* ``files``, one row per project file: the ``stat`` it had (size, mtime), its content digest,
  whether it can hold an async body, the values of the text scans that read it, and the
  *generation* at which its content (``changed``) and its scan values (``rescanned``) last changed.
  A file whose ``stat`` is unchanged is never opened.
* ``results``, one row per checked file: its diagnostics (``# noqa`` applied), its digest, the
  generation it was computed at, and which project files its analysis read whole (``reads``) or
  only scanned as text (``scans``, e.g. Django's class-name prefilter), as bitmaps over the
  project's sorted file list.

A result is reused only when its file is unchanged and no file it read has changed since, and no
file it scanned yields a different scan: exactly what a cold run would return. Editing one function
body re-checks that file and the files that read it, not the project. Writes are atomic (temp file
+ rename); two concurrent runs can only lose each other's updates, never corrupt them.
"""

from __future__ import annotations

import base64
import hashlib
import importlib
import json
import os
import tempfile
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from asyncsafe.diagnostics import Diagnostic, FileError
from asyncsafe.engine.cache.reads import ScanSignature
from asyncsafe.engine.cache.store import ensure_gitignore
from asyncsafe.engine.input.source import read_bytes

FORMAT = 2


@dataclass
class FileState:
    size: int
    mtime_ns: int
    digest: str
    holds_async: bool
    changed: int = 0
    rescanned: int = 0
    scans: dict[str, str] = field(default_factory=dict)  # signature name -> value

    def to_json(self) -> list[Any]:
        return [self.size, self.mtime_ns, self.digest, self.holds_async, self.changed,
                self.rescanned, self.scans]


@dataclass
class Result:
    digest: str
    generation: int
    diagnostics: list[Diagnostic]
    error: FileError | None = None
    reads: str = ""  # bitmap over the project's files (base64)
    scans: str = ""

    def to_json(self) -> list[Any]:
        error = [self.error.path, self.error.reason] if self.error else None
        return [self.digest, self.generation, [d.to_json() for d in self.diagnostics], error,
                self.reads, self.scans]

    @classmethod
    def from_json(cls, raw: list[Any]) -> Result:
        digest, generation, diagnostics, error, reads, scans = raw
        return cls(digest, int(generation), [Diagnostic.from_json(d) for d in diagnostics],
                   FileError(*error) if error else None, reads, scans)


def digest_of(data: bytes) -> str:
    return hashlib.blake2b(data, digest_size=16).hexdigest()


class Manifest:
    """``layout``: the project's files (absolute paths); a different layout is another manifest."""

    def __init__(self, directory: Path, salt: str, layout: Iterable[str],
                 holds_async: Callable[[bytes], bool]) -> None:
        self.layout = sorted(layout)
        self._index = {path: i for i, path in enumerate(self.layout)}
        key = hashlib.sha256("\0".join([salt, *self.layout]).encode()).hexdigest()[:20]
        self.file = directory / f"manifest-{key}.json"
        self.holds_async = holds_async
        self.generation = 1  # this run's: what changes now, and results stored now, carry it
        self.files: dict[str, FileState] = {}
        self.results: dict[str, Result] = {}
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
            return known
        try:
            stat = os.stat(path)
        except OSError:
            return None
        if known is not None and (stat.st_size, stat.st_mtime_ns) == (known.size, known.mtime_ns):
            self._fresh.add(path)
            return known
        data = read_bytes(path)  # never waits on a FIFO: those are refused when checked
        return None if isinstance(data, FileError) else self.record(path, data, stat)

    def bytes_read(self, path: str) -> bytes | None:
        """What ``state()`` read of ``path`` in this run (None if its ``stat`` spared the read)."""
        return self._data.get(path)

    def record(self, path: str, data: bytes, stat: os.stat_result | None = None) -> FileState:
        """``path`` was just read as ``data``."""
        self._data[path] = data
        self._fresh.add(path)
        stat = stat or _stat(path)
        digest = digest_of(data)
        known = self.files.get(path)
        if known is not None and known.digest == digest:
            if stat is not None and (known.size, known.mtime_ns) != (stat.st_size, stat.st_mtime_ns):
                known.size, known.mtime_ns = stat.st_size, stat.st_mtime_ns  # touched, not edited
                self._dirty = True
            return known
        # A file that grew while it was read keeps no stat: the next run reads it again.
        consistent = stat is not None and stat.st_size == len(data)
        size, mtime = (stat.st_size, stat.st_mtime_ns) if stat is not None and consistent else (-1, -1)
        state = FileState(size, mtime, digest, self.holds_async(data), self.generation)
        if known is not None:
            state.rescanned = known.rescanned
            state.scans = _scan_values(known.scans, data)
            if state.scans != known.scans:
                state.rescanned = state.changed
        self.files[path] = state
        self._dirty = True
        self._last_change = None
        return state

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
        reads, scans = _unpack(result.reads), _unpack(result.scans)
        for path, state in self.files.items():
            if state.changed <= result.generation:
                continue
            index = self._index.get(path)
            if index is None:
                continue
            if _has(reads, index) or (_has(scans, index) and state.rescanned > result.generation):
                return False
        return True

    def store(self, path: str, digest: str, diagnostics: list[Diagnostic], error: FileError | None,
              reads: Iterable[str], scans: dict[str, set[ScanSignature]]) -> None:
        """The result of checking ``path`` (read as ``digest``); ``reads``/``scans``: what the
        analysis read of the project (absolute paths)."""
        for scanned, signatures in scans.items():
            self._note_scans(scanned, signatures)
        self.results[path] = Result(
            digest, self.generation, diagnostics, error,
            _pack(self._index[p] for p in reads if p in self._index),
            _pack(self._index[p] for p in scans if p in self._index),
        )
        self._dirty = True

    def _note_scans(self, path: str, signatures: set[ScanSignature]) -> None:
        state = self.state(path)
        if state is None:
            return
        missing = [fn for fn in signatures if signature_name(fn) not in state.scans]
        if missing:
            data = self._data.get(path) or read_bytes(path)
            if isinstance(data, FileError):
                return
            text = data.decode("utf-8", errors="replace")
            state.scans.update({signature_name(fn): fn(text) for fn in missing})
            self._dirty = True

    # --- persistence -------------------------------------------------------------------------
    def _load(self) -> None:
        try:
            raw = json.loads(self.file.read_text(encoding="utf-8"))
            if raw.get("format") != FORMAT:
                return
            self.generation = int(raw["generation"]) + 1
            self.files = {p: FileState(*state) for p, state in raw["files"].items()}
            self.results = {p: Result.from_json(r) for p, r in raw["results"].items()}
        except (OSError, ValueError, KeyError, TypeError):
            self.generation, self.files, self.results = 1, {}, {}

    def save(self) -> None:
        if not self._dirty:
            return
        payload = {
            "format": FORMAT,
            "generation": self.generation,
            "files": {p: s.to_json() for p, s in self.files.items()},
            "results": {p: r.to_json() for p, r in self.results.items()},
        }
        try:
            self.file.parent.mkdir(parents=True, exist_ok=True)
            ensure_gitignore(self.file.parent.parent)
            handle, temp = tempfile.mkstemp(dir=self.file.parent, prefix=".tmp-")
            with os.fdopen(handle, "w", encoding="utf-8") as out:
                json.dump(payload, out, separators=(",", ":"))
            os.replace(temp, self.file)
        except OSError:
            pass  # a read-only tree just runs uncached


def _stat(path: str) -> os.stat_result | None:
    try:
        return os.stat(path)
    except OSError:
        return None


def _scan_values(previous: dict[str, str], data: bytes) -> dict[str, str]:
    """The same scans as before, over the file's new content."""
    if not previous:
        return {}
    text = data.decode("utf-8", errors="replace")
    values: dict[str, str] = {}
    for name in previous:
        signature = resolve_signature(name)
        values[name] = signature(text) if signature is not None else ""
    return values


def _pack(indices: Iterable[int]) -> str:
    bits = 0
    for index in indices:
        bits |= 1 << index
    return base64.b64encode(bits.to_bytes((bits.bit_length() + 7) // 8, "little")).decode()


def _unpack(packed: str) -> int:
    return int.from_bytes(base64.b64decode(packed), "little") if packed else 0


def _has(bits: int, index: int) -> bool:
    return bool(bits >> index & 1)


def signature_name(fn: ScanSignature) -> str:
    return f"{fn.__module__}:{fn.__qualname__}"


def resolve_signature(name: str) -> ScanSignature | None:
    module, _, qualname = name.partition(":")
    try:
        found: Any = importlib.import_module(module)
        for part in qualname.split("."):
            found = getattr(found, part)
    except (ImportError, AttributeError):
        return None
    return found if callable(found) else None
