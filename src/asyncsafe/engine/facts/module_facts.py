"""What the call graph knows of one module, and how it is kept across runs.

``ModuleFacts``: the module's outline (``outline.py``) and, for each sync function, a ``Body``:
the first blocking finding in its own body (``Blocker``) and the calls and property reads it
makes (``Edge``). ``FactsCache`` keeps them in ``.asyncsafe_cache`` by the file's content.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from collections.abc import Container
from typing import Any

from asyncsafe.config import Settings
from asyncsafe.engine.cache.manifest import digest_of
from asyncsafe.engine.cache.reads import Reads, ScanKind
from asyncsafe.engine.cache.store import Cache, CacheStore
from asyncsafe.engine.facts.outline import Outline
from asyncsafe.engine.facts.project import Project


@dataclass(frozen=True)
class Blocker:
    """The first blocking finding in a function's own body. ``line`` 0: not located yet (lines
    cost a positions pass over the module: paid only for blockers a reported chain ends at)."""

    code: str
    what: str
    path: str
    line: int = 0


@dataclass(frozen=True)
class Edge:
    """A call a function makes (``call``: to a name; ``method``: on an instance of ``target``)
    or a property it reads (``attribute``). ``receiver`` is ``self`` or ``super`` when the
    instance is the method's own: then the method found depends on the instance's class."""

    kind: str
    target: str
    name: str = ""
    receiver: str = ""


@dataclass
class Body:
    blocker: Blocker | None = None
    edges: list[Edge] = field(default_factory=list)
    generator: bool = False  # calling it only makes a generator: nothing runs yet

    def to_json(self) -> dict[str, Any]:
        blocker = self.blocker
        return {
            "blocker": [blocker.code, blocker.what, blocker.path, blocker.line] if blocker else None,
            "edges": [[e.kind, e.target, e.name, e.receiver] for e in self.edges],
            "generator": self.generator,
        }

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> Body:
        raw = data["blocker"]
        return cls(
            blocker=Blocker(raw[0], raw[1], raw[2], int(raw[3])) if raw else None,
            edges=[Edge(k, t, n, r) for k, t, n, r in data["edges"]],
            generator=bool(data["generator"]),
        )


@dataclass
class ModuleFacts:
    outline: Outline
    bodies: dict[str, Body] | None = None  # None: only the outline is known yet
    # Functions of a dependency whose bodies were not walked yet (by local qualified name: a
    # module- or class-level function, with the functions nested in it). Empty: all walked.
    pending: set[str] = field(default_factory=set)

    def knows(self, local: str) -> bool:
        """Whether ``bodies`` holds what is known of ``local`` (walked, or not a sync function)."""
        return self.bodies is not None and (not self.pending or self.pending_unit(local) is None)

    def pending_unit(self, local: str) -> str | None:
        """The pending function whose walk would tell about ``local``, if any."""
        return unit_of(local, self.pending)

    def to_json(self) -> dict[str, Any]:
        bodies = self.bodies
        return {
            "outline": self.outline.to_json(),
            "bodies": {k: b.to_json() for k, b in bodies.items()} if bodies is not None else None,
            "pending": sorted(self.pending),
        }

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> ModuleFacts:
        bodies = data["bodies"]
        return cls(
            Outline.from_json(data["outline"]),
            {k: Body.from_json(b) for k, b in bodies.items()} if bodies is not None else None,
            set(data["pending"]),
        )


def unit_of(local: str, units: Container[str]) -> str | None:
    """The outermost of ``units`` that ``local`` is, or is nested in (``A.m`` for ``A.m.<locals>.f``)."""
    parts = local.split(".")
    for cut in range(1, len(parts) + 1):
        unit = ".".join(parts[:cut])
        if unit in units:
            return unit
    return None


class FactsCache:
    """Module facts in ``.asyncsafe_cache``: keyed by the file's content (and the project's list of
    modules, which decides what a name can refer to), valid while every file the walk that made
    them read through the project is unchanged, and the text scans it made over the project
    (``Project.scan_source``) still extract the same from every file."""

    def __init__(self, project: Project, store: CacheStore, settings: Settings) -> None:
        self.project = project
        self.cache = Cache(store, settings.fingerprint())
        names = "\0".join(sorted(project.modules)).encode("utf-8", "surrogateescape")
        self.context = f"callgraph|{hashlib.sha256(names).hexdigest()}"
        self.deps: dict[str, dict[str, str]] = {}  # module -> digests of what its walk read
        self.scans: dict[str, dict[str, str]] = {}  # module -> scans its walk made, by kind
        self._digests: dict[str, str] = {}
        self._scan_digests: dict[str, str | None] = {}

    def load(self, module: str) -> tuple[ModuleFacts, Reads] | None:
        """The module's cached facts, and what they were made from; None if stale or absent."""
        key = self._key(module)
        raw = self.cache.get_json(key) if key else None
        try:
            if raw is None or any(self._digest(m) != d for m, d in raw["deps"].items()):
                return None
            if any(self._scan_digest(name) != d for name, d in raw["scans"].items()):
                return None
            facts = ModuleFacts.from_json(raw["facts"])
        except (KeyError, TypeError, ValueError):
            return None
        self.deps[module] = raw["deps"]
        self.scans[module] = raw["scans"]
        return facts, self._reads(module, raw["deps"], raw["scans"])

    def store(self, module: str, facts: ModuleFacts, made_from: Reads) -> None:
        """``made_from``: what the walk that made ``facts`` read (kept for later stores)."""
        key = self._key(module)
        if key is None:
            return
        if module not in self.deps:
            self.deps[module] = {m: self._digest(m) for m in sorted(made_from.modules) if m != module}
            names = {kind.value for kinds in made_from.scans.values() for kind in kinds}
            digests = {name: self._scan_digest(name) for name in sorted(names)}
            self.scans[module] = {name: d for name, d in digests.items() if d is not None}
        self.cache.put_json(
            key, {"deps": self.deps[module], "scans": self.scans[module], "facts": facts.to_json()}
        )

    def _scan_digest(self, name: str) -> str | None:
        """What the scan ``name`` extracts from every project file, as one digest (a superset of
        the files a walk scanned: the scans that matter read them all)."""
        if name not in self._scan_digests:
            kind = ScanKind.named(name)
            self._scan_digests[name] = self._digest_all(kind) if kind is not None else None
        return self._scan_digests[name]

    def _digest_all(self, kind: ScanKind) -> str:
        digest = hashlib.blake2b(digest_size=16)
        for module in sorted(self.project.modules):
            source = self.project.source(module, track=False)
            scanned = kind.extract(source.text if source else "")
            digest.update(f"{module}\0{scanned}\0".encode("utf-8", "surrogateescape"))
        return digest.hexdigest()

    def _reads(self, module: str, deps: dict[str, str], scans: dict[str, str]) -> Reads:
        """What cached facts were made from, for whoever uses them (``engine/cache/reads.py``)."""
        reads = Reads({module, *deps})
        for kind in filter(None, map(ScanKind.named, scans)):
            for scanned in self.project.modules:
                reads.scans.setdefault(scanned, set()).add(kind)
        return reads

    def _key(self, module: str) -> str | None:
        source = self.project.source(module, track=False)
        return self.cache.key(source.path, source.data, self.context) if source else None

    def _digest(self, module: str) -> str:
        if module not in self._digests:
            source = self.project.source(module, track=False)
            data = source.data if source is not None else b"<missing>"
            self._digests[module] = digest_of(data)
        return self._digests[module]
