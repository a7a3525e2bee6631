"""What a result was computed from: the project files it read whole or only scanned as text.

A cached result is valid while those files are unchanged (``engine/cache/manifest.py``). Facts are
memoized per process (the model index, the call graph's summaries), so the reads made when a fact
was computed are kept with it and credited again to every later result that uses it: a result's
reads are exactly what its answer could depend on, not everything the process read before it.

* ``Recorder.recording()`` opens a frame: every read while it is open is credited to it, and to the
  frames around it.
* A read made on behalf of a long-lived fact object (``owner``) is also kept under that owner:
  whoever uses the owner later depends on everything it has read so far, since its memos may
  answer from any of it.
"""

from __future__ import annotations

import enum
import functools
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any, TypeVar

T = TypeVar("T")

class ScanKind(enum.Enum):
    """A text scan over project files, named in the cache by its value. What it extracts, as a
    digest, is decided here in code: a result that only scanned a file stays valid while that is
    unchanged. The set is closed: nothing a cache entry says is ever imported or called."""

    DJANGO_CLASSES = "django-classes"  # class names and bases, relation targets, AUTH_USER_MODEL
    ASYNC_VIEWS = "async-views"  # the first async view/middleware (deployment rules, ASF7xx)

    def extract(self, text: str) -> str:
        while self not in _extractors and _loaders:
            _extractors.update(_loaders.pop()())
        return _extractors[self](text)

    @classmethod
    def named(cls, name: object) -> ScanKind | None:
        try:
            return cls(name)
        except ValueError:
            return None


Extractors = dict[ScanKind, Callable[[str], str]]
_extractors: Extractors = {}
_loaders: list[Callable[[], Extractors]] = []


def provide_scans(loader: Callable[[], Extractors]) -> None:
    """What each kind extracts is defined above this layer (Django's prefilter): the run hands it
    in as a loader, called on first use (a warm run seldom re-scans, and then loads it)."""
    _loaders.append(loader)


@dataclass
class Reads:
    modules: set[str] = field(default_factory=set)
    scans: dict[str, set[ScanKind]] = field(default_factory=dict)
    uses: set[str] = field(default_factory=set)  # owners (facts) used: resolved at the end
    # Bumped by every change made through the recorder: a memo's reads credited to one result
    # thousands of times (one hit per call site) are merged again only if they grew meanwhile.
    version: int = field(default=0, compare=False, repr=False)
    _merged: dict[int, tuple[Reads, int]] = field(default_factory=dict, compare=False, repr=False)

    def add(self, other: Reads) -> None:
        if other is self:
            return
        merged = self._merged.get(id(other))
        if merged is not None and merged[1] == other.version:
            return
        self.modules |= other.modules
        for module, kinds in other.scans.items():
            self.scans.setdefault(module, set()).update(kinds)
        self.uses |= other.uses
        self._merged[id(other)] = (other, other.version)  # the reference keeps the id unique
        self.version += 1


class Recorder:
    def __init__(self) -> None:
        self._frames: list[Reads] = []
        self._owned: dict[str, Reads] = {}

    @contextmanager
    def recording(self) -> Iterator[Reads]:
        frame = Reads()
        self._frames.append(frame)
        try:
            yield frame
        finally:
            self._frames.pop()
            if self._frames:
                self._frames[-1].add(frame)

    def read(self, module: str, owner: str | None = None) -> None:
        if self._frames:
            frame = self._frames[-1]
            frame.modules.add(module)
            frame.version += 1
        if owner is not None:
            owned = self._owned.setdefault(owner, Reads())
            owned.modules.add(module)
            owned.version += 1

    def scan(self, module: str, kind: ScanKind, owner: str | None = None) -> None:
        if self._frames:
            frame = self._frames[-1]
            frame.scans.setdefault(module, set()).add(kind)
            frame.version += 1
        if owner is not None:
            owned = self._owned.setdefault(owner, Reads())
            owned.scans.setdefault(module, set()).add(kind)
            owned.version += 1

    def current(self) -> Reads | None:
        """The innermost open frame (it keeps growing until it closes)."""
        return self._frames[-1] if self._frames else None

    def keep(self, owner: str, reads: Reads) -> None:
        """``reads`` were made building ``owner``: its later users depend on them."""
        self._owned.setdefault(owner, Reads()).add(reads)

    def use(self, owner: str) -> None:
        """The current result uses ``owner``: it depends on what ``owner`` has read (or will)."""
        if self._frames:
            frame = self._frames[-1]
            frame.uses.add(owner)
            frame.version += 1

    def credit(self, reads: Reads) -> None:
        """``reads`` (what a memoized answer was computed from) count for the current result."""
        if self._frames:
            self._frames[-1].add(reads)

    def resolved(self, reads: Reads) -> Reads:
        """``reads`` with every owner it used replaced by what that owner has read."""
        out = Reads(set(reads.modules), {m: set(s) for m, s in reads.scans.items()})
        pending, seen = list(reads.uses), set()
        while pending:
            owner = pending.pop()
            if owner in seen:
                continue
            seen.add(owner)
            owned = self._owned.get(owner)
            if owned is not None:
                out.add(Reads(owned.modules, owned.scans))
                pending.extend(owned.uses)
        return out


class NullRecorder(Recorder):
    """For a run without a cache: nothing is recorded, since no result is stored to be checked
    later. Bookkeeping costs time and, on a large project, memory that grows with every file."""

    @contextmanager
    def recording(self) -> Iterator[Reads]:
        yield Reads()

    def read(self, module: str, owner: str | None = None) -> None:
        pass

    def scan(self, module: str, kind: ScanKind, owner: str | None = None) -> None:
        pass

    def current(self) -> Reads | None:
        return None

    def keep(self, owner: str, reads: Reads) -> None:
        pass

    def use(self, owner: str) -> None:
        pass

    def credit(self, reads: Reads) -> None:
        pass

    def resolved(self, reads: Reads) -> Reads:
        return Reads()


def recorded(method: Callable[..., T]) -> Callable[..., T]:
    """For a memoizing method of a long-lived fact object (with ``self.project``): what computing
    an answer read is kept per arguments and credited to every later call with them, which the
    method's own memo then answers without reading anything."""
    kept = f"_reads_of_{method.__name__}"

    @functools.wraps(method)
    def wrapper(self: Any, *args: Any) -> T:
        recorder: Recorder = self.project.recorder
        if isinstance(recorder, NullRecorder):
            return method(self, *args)
        memo: dict[object, Reads] = self.__dict__.setdefault(kept, {})
        key = _key(args)
        if key in memo:
            recorder.credit(memo[key])
            return method(self, *args)
        with recorder.recording() as reads:
            result = method(self, *args)
        memo[key] = reads  # a recursive call with the same arguments stored less: this wins
        return result

    return wrapper


def _key(args: tuple[Any, ...]) -> object:
    try:
        hash(args)
    except TypeError:
        return repr(args)  # dataclass arguments: their content names them
    return args
