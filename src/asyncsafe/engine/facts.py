"""What the call graph knows of one module, and how it is kept across runs.

``ModuleFacts``: the module's outline (``outline.py``) and, for each sync function, a ``Body``:
the first blocking finding in its own body (``Blocker``) and the calls and property reads it
makes (``Edge``). ``FactsCache`` keeps them in ``.asyncsafe_cache`` by the file's content.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from typing import Any

from asyncsafe.config import Settings
from asyncsafe.engine.cache import Cache
from asyncsafe.engine.manifest import resolve_signature, scan_record, scan_unchanged
from asyncsafe.engine.outline import Outline
from asyncsafe.engine.project import Project


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

    def to_json(self) -> dict[str, Any]:
        bodies = self.bodies
        return {
            "outline": self.outline.to_json(),
            "bodies": {k: b.to_json() for k, b in bodies.items()} if bodies is not None else None,
        }

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> ModuleFacts:
        bodies = data["bodies"]
        return cls(
            Outline.from_json(data["outline"]),
            {k: Body.from_json(b) for k, b in bodies.items()} if bodies is not None else None,
        )


class FactsCache:
    """Module facts in ``.asyncsafe_cache``: keyed by the file's content (and the project's list of
    modules, which decides what a name can refer to), valid while every file the walk that made
    them read through the project is unchanged, and every file it only scanned as text still
    yields the same scan (``Project.scan_source``)."""

    def __init__(self, project: Project, settings: Settings) -> None:
        self.project = project
        self.cache = Cache(project.root, settings.fingerprint())
        names = "\0".join(sorted(project.modules)).encode()
        self.context = f"callgraph|{hashlib.sha256(names).hexdigest()}"
        self.deps: dict[str, dict[str, str]] = {}  # module -> digests of what its walk read
        self.scans: dict[str, dict[str, list[str]]] = {}  # module -> scan records of its walk
        self._digests: dict[str, str] = {}

    def load(self, module: str) -> ModuleFacts | None:
        key = self._key(module)
        raw = self.cache.get_json(key) if key else None
        try:
            if raw is None or any(self._digest(m) != d for m, d in raw["deps"].items()):
                return None
            if not all(self._scan_unchanged(m, record) for m, record in raw["scans"].items()):
                return None
            facts = ModuleFacts.from_json(raw["facts"])
        except (KeyError, TypeError, ValueError):
            return None
        self.deps[module] = raw["deps"]
        self.scans[module] = raw["scans"]
        self._inherit(raw["deps"], raw["scans"])
        return facts

    def store(self, module: str, facts: ModuleFacts, read: set[str]) -> None:
        """``read``: what the walk that made ``facts`` read (kept for later stores of its facts)."""
        key = self._key(module)
        if key is None:
            return
        if module not in self.deps:
            self.deps[module] = {m: self._digest(m) for m in sorted(read) if m != module}
            self.scans[module] = self._scan_records(set(read) | {module})
        self.cache.put_json(
            key, {"deps": self.deps[module], "scans": self.scans[module], "facts": facts.to_json()}
        )

    def _scan_records(self, read: set[str]) -> dict[str, list[str]]:
        records: dict[str, list[str]] = {}
        for scanned, signatures in sorted(self.project.scans.items()):
            source = self.project.source(scanned, track=False)
            if scanned not in read and source is not None:
                records[scanned] = scan_record(self._digest(scanned), source.text, signatures)
        return records

    def _scan_unchanged(self, module: str, record: list[str]) -> bool:
        def text() -> str | None:
            source = self.project.source(module, track=False)
            return source.text if source is not None else None

        return scan_unchanged(record, self._digest(module), text)

    def _inherit(self, deps: dict[str, str], scans: dict[str, list[str]]) -> None:
        """Whoever uses facts loaded from the cache depends on what made them (``Project``)."""
        self.project.dependencies.update(deps)
        for scanned, record in scans.items():
            found = (resolve_signature(name) for name in record[1::2])
            self.project.scans.setdefault(scanned, set()).update(f for f in found if f is not None)

    def _key(self, module: str) -> str | None:
        source = self.project.source(module, track=False)
        return self.cache.key(source.path, source.data, self.context) if source else None

    def _digest(self, module: str) -> str:
        if module not in self._digests:
            source = self.project.source(module, track=False)
            data = source.data if source is not None else b"<missing>"
            self._digests[module] = hashlib.sha256(data).hexdigest()
        return self._digests[module]
