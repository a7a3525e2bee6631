"""The checked project as a whole: which module lives in which file, parsed lazily and once.

Per-file analysis stays the unit of work; project-wide facts (Django models, summaries of sync
helpers) are built on top of this by the rule families that need them, lazily and cached
(``facts``). Cross-file facts read other files through ``source()``/``tree()``: that is how a
cached result learns which files it depends on (``recorder``, see ``engine/cache/reads.py``).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from functools import cached_property
from typing import TYPE_CHECKING, TypeVar

from asyncsafe.config import Settings
from asyncsafe.diagnostics import FileError
from asyncsafe.engine.cache.reads import Recorder, ScanKind
from asyncsafe.engine.input.discover import discover
from asyncsafe.engine.input.modules import module_name_for
from asyncsafe.engine.input.source import Source, read_source

if TYPE_CHECKING:  # libcst is imported only when a tree is needed: a warm run never parses
    import libcst as cst

    from asyncsafe.engine.cache.store import CacheStore
    from asyncsafe.engine.tree.events import RuleSet

T = TypeVar("T")


@dataclass
class Project:
    root: str
    settings: Settings
    extra_files: tuple[str, ...] = ()
    cache: CacheStore | None = None  # project-wide facts may also be kept in the cache
    rules: RuleSet | None = None  # handed in by the run layer: dependencies are walked with them
    recorder: Recorder = field(default_factory=Recorder, repr=False)
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
        packages: dict[str, tuple[str, ...]] = {}
        for path in files:
            mapping.setdefault(module_name_for(path, packages), path)
        return mapping

    def module_of(self, qualname: str) -> tuple[str, str] | None:
        """Split ``pkg.mod.Class.method`` into (``pkg.mod``, ``Class.method``): longest module."""
        parts = qualname.split(".")
        for cut in range(len(parts) - 1, 0, -1):
            module = ".".join(parts[:cut])
            if module in self.modules:
                return module, ".".join(parts[cut:])
        return None

    def source(self, module: str, *, track: bool = True, owner: str | None = None) -> Source | None:
        """The module's text. ``track``: the caller's result depends on it; ``owner``: the fact
        object that reads it for its memos (see ``engine/cache/reads.py``)."""
        if track:
            self.recorder.read(module, owner)
        if module not in self._sources:
            path = self.modules.get(module)
            found = read_source(path, self.settings.max_file_size) if path else None
            self._sources[module] = None if isinstance(found, FileError) else found
        return self._sources[module]

    def scan_source(
        self, module: str, kind: ScanKind, owner: str | None = None
    ) -> Source | None:
        """The module's text for a scan over many files: the caller's result depends only on
        ``kind.extract(text)``, not on the whole text."""
        self.recorder.scan(module, kind, owner)
        return self.source(module, track=False)

    def tree(self, module: str, *, track: bool = True) -> cst.Module | None:
        """The module's libcst tree, parsed at most once per run (None if unparseable)."""
        import libcst as cst

        source = self.source(module, track=track)
        if module not in self._trees:
            from asyncsafe.engine.input.parse_gate import gate

            try:  # the gate keeps a pathological module from crashing libcst (and the run)
                usable = source is not None and gate(source) is None
                self._trees[module] = cst.parse_module(source.text) if source and usable else None
            except Exception:  # a broken file is reported when it is checked itself
                self._trees[module] = None
        return self._trees[module]

    def facts(self, key: str, build: Callable[[Project], T]) -> T:
        """A project-wide fact (e.g. the Django model index), built on first use, once per process.

        ``key`` names the fact; ``build`` must return the same type for the same key. Whoever
        asks depends on what building it read, and on what it reads later as ``owner=key``.
        """
        self.recorder.use(key)
        if key not in self._facts:
            with self.recorder.recording() as frame:
                self._facts[key] = build(self)
            self.recorder.keep(key, frame)
        return self._facts[key]  # type: ignore[return-value]
