"""The checked project as a whole: which module lives in which file, parsed lazily and once.

Per-file analysis stays the unit of work; project-wide facts (Django models, summaries of sync
helpers) are built on top of this by the rule families that need them, lazily and cached
(``facts``). Cross-file facts read other files through ``source()``/``tree()``: that is how a
cached result learns which files it depends on (``dependencies``).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from functools import cached_property
from typing import TYPE_CHECKING, TypeVar

from asyncsafe.config import Settings
from asyncsafe.diagnostics import FileError
from asyncsafe.engine.discover import discover
from asyncsafe.engine.modules import module_name_for
from asyncsafe.engine.source import Source, read_source

if TYPE_CHECKING:  # libcst is imported only when a tree is needed: a warm run never parses
    import libcst as cst

T = TypeVar("T")
# What a text scan of a file extracts, as a digest: a result that only scanned the file stays
# valid while this is unchanged (see ``Project.scan_source`` and ``engine/manifest.py``).
ScanSignature = Callable[[str], str]


@dataclass
class Project:
    root: str
    settings: Settings
    extra_files: tuple[str, ...] = ()
    use_cache: bool = False  # project-wide facts may also be kept in .asyncsafe_cache
    dependencies: set[str] = field(default_factory=set, repr=False)
    scans: dict[str, set[ScanSignature]] = field(default_factory=dict, repr=False)
    _reported: tuple[set[str], set[tuple[str, ScanSignature]]] = field(
        default_factory=lambda: (set(), set()), repr=False
    )
    _sources: dict[str, Source | None] = field(default_factory=dict, repr=False)
    _trees: dict[str, cst.Module | None] = field(default_factory=dict, repr=False)
    _facts: dict[str, object] = field(default_factory=dict, repr=False)

    # Every Python file under the root, when the caller already discovered them (checking ".").
    files_under_root: tuple[str, ...] | None = field(default=None, repr=False)

    @cached_property
    def modules(self) -> dict[str, str]:
        """Dotted module name -> path, for every Python file under the root."""
        if self.files_under_root is not None:
            files = list(self.files_under_root)
        else:
            files, _ = discover([self.root, *self.extra_files], self.settings)
        mapping: dict[str, str] = {}
        for path in files:
            mapping.setdefault(module_name_for(path), path)
        return mapping

    def module_of(self, qualname: str) -> tuple[str, str] | None:
        """Split ``pkg.mod.Class.method`` into (``pkg.mod``, ``Class.method``): longest module."""
        parts = qualname.split(".")
        for cut in range(len(parts) - 1, 0, -1):
            module = ".".join(parts[:cut])
            if module in self.modules:
                return module, ".".join(parts[cut:])
        return None

    def source(self, module: str, *, track: bool = True) -> Source | None:
        """The module's text. ``track``: the caller's result depends on it (``dependencies``)."""
        if track:
            self.dependencies.add(module)
        if module not in self._sources:
            path = self.modules.get(module)
            found = read_source(path) if path else None
            self._sources[module] = None if isinstance(found, FileError) else found
        return self._sources[module]

    def scan_source(self, module: str, signature: ScanSignature) -> Source | None:
        """The module's text for a scan over many files: the caller's result depends only on
        ``signature(text)``, not on the whole text (``scans``)."""
        self.scans.setdefault(module, set()).add(signature)
        return self.source(module, track=False)

    def new_dependencies(self) -> tuple[set[str], dict[str, set[ScanSignature]]]:
        """What was read (and scanned) since the last call: facts are memoized per process, so a
        result depends on everything read before it, and the union of these is that superset."""
        reads, scans = self._reported
        new_reads = self.dependencies - reads
        reads |= new_reads
        new_scans: dict[str, set[ScanSignature]] = {}
        for module, signatures in self.scans.items():
            for signature in signatures:
                if (module, signature) not in scans:
                    scans.add((module, signature))
                    new_scans.setdefault(module, set()).add(signature)
        return new_reads, new_scans

    def tree(self, module: str, *, track: bool = True) -> cst.Module | None:
        """The module's libcst tree, parsed at most once per run (None if unparseable)."""
        import libcst as cst

        if module not in self._trees:
            source = self.source(module, track=track)
            from asyncsafe.engine.parse_gate import gate

            try:  # the gate keeps a pathological module from crashing libcst (and the run)
                usable = source is not None and gate(source) is None
                self._trees[module] = cst.parse_module(source.text) if source and usable else None
            except Exception:  # a broken file is reported when it is checked itself
                self._trees[module] = None
        elif track:
            self.dependencies.add(module)
        return self._trees[module]

    def facts(self, key: str, build: Callable[[Project], T]) -> T:
        """A project-wide fact (e.g. the Django model index), built on first use, once per process.

        ``key`` names the fact; ``build`` must return the same type for the same key.
        """
        if key not in self._facts:
            self._facts[key] = build(self)
        return self._facts[key]  # type: ignore[return-value]
