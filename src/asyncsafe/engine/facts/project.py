"""The checked project as a whole: which module lives in which file, parsed lazily and once.

Per-file analysis stays the unit of work; project-wide facts (Django models, summaries of sync
helpers) are built on top of this by the rule families that need them, lazily and cached
(``facts``). Cross-file facts read other files through ``source()``/``tree()``: that is how a
cached result learns which files it depends on (``recorder``, see ``engine/cache/reads.py``).
"""

from __future__ import annotations

import os
from collections.abc import Callable
from dataclasses import dataclass, field
from functools import cached_property
from typing import TYPE_CHECKING, TypeVar

from asyncsafe.config import Settings
from asyncsafe.diagnostics import FileError
from asyncsafe.engine.cache.reads import NullRecorder, Recorder, ScanKind
from asyncsafe.engine.input.discover import discover
from asyncsafe.engine.input.modules import module_names_for
from asyncsafe.engine.input.source import Source, read_source

if TYPE_CHECKING:  # libcst is imported only when a tree is needed: a warm run never parses
    import libcst as cst

    from asyncsafe.engine.cache.store import CacheStore
    from asyncsafe.engine.tree.events import RuleSet

T = TypeVar("T")

# libcst trees kept at once (the most recently used): enough for every tree a project of
# Django's size needs, and a bound on memory for one of Home Assistant's (a tree dropped and
# needed again is parsed again from the text, which is kept).
TREES_KEPT = 256


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
    _names: dict[str, str] = field(default_factory=dict, repr=False)  # absolute path -> module
    # Project files read for facts that could not be read or parsed: path -> reason.
    unreadable: dict[str, str] = field(default_factory=dict, repr=False)
    _aliases: dict[str, str] = field(default_factory=dict, repr=False)  # other name -> canonical
    _split: dict[str, tuple[str, str] | None] = field(default_factory=dict, repr=False)  # module_of

    # Every Python file under the root, when the caller already discovered them (checking ".").
    files_under_root: tuple[str, ...] | None = field(default=None, repr=False)

    def __post_init__(self) -> None:
        if self.cache is None and type(self.recorder) is Recorder:
            self.recorder = NullRecorder()  # no result is stored: nothing to record it for

    @cached_property
    def modules(self) -> dict[str, str]:
        """Dotted module name -> path, for every Python file under the root."""
        if self.files_under_root is not None:
            files = list(self.files_under_root)
        else:
            files, _ = discover([self.root, *self.extra_files], self.settings)
        mapping: dict[str, str] = {}
        packages: dict[str, tuple[str, ...]] = {}
        roots = frozenset(self.settings.src_roots)
        for path in files:
            canonical, *aliases = module_names_for(path, packages, roots)
            if mapping.setdefault(canonical, path) != path:
                continue
            self._names[os.path.abspath(path)] = canonical
            for alias in aliases:
                self._aliases.setdefault(alias, canonical)
        return mapping

    def module_name(self, path: str) -> str:
        """The canonical module name of a file (see ``module_names_for``)."""
        if self.modules and os.path.abspath(path) in self._names:
            return self._names[os.path.abspath(path)]
        return module_names_for(path, None, frozenset(self.settings.src_roots))[0]

    def canonical(self, qualname: str) -> str:
        """``apps.rbac.models.Role`` -> ``rbac.models.Role`` when ``apps/`` is an import root:
        one name per project object, whichever way the code imports it."""
        if not self._aliases or qualname in self.modules:
            return qualname
        parts = qualname.split(".")
        for cut in range(len(parts), 0, -1):
            module = ".".join(parts[:cut])
            if module in self._aliases:
                return ".".join((self._aliases[module], *parts[cut:]))
        return qualname

    def module_of(self, qualname: str) -> tuple[str, str] | None:
        """Split ``pkg.mod.Class.method`` into (``pkg.mod``, ``Class.method``): longest module."""
        if qualname in self._split:  # asked hundreds of thousands of times on a large project
            return self._split[qualname]
        modules = self.modules  # first: it also learns the aliases ``canonical`` reads
        parts = self.canonical(qualname).split(".")
        found = None
        for cut in range(len(parts) - 1, 0, -1):
            module = ".".join(parts[:cut])
            if module in modules:
                found = module, ".".join(parts[cut:])
                break
        self._split[qualname] = found
        return found

    def source(self, module: str, *, track: bool = True, owner: str | None = None) -> Source | None:
        """The module's text. ``track``: the caller's result depends on it; ``owner``: the fact
        object that reads it for its memos (see ``engine/cache/reads.py``)."""
        module = self.canonical(module)
        if track:
            self.recorder.read(module, owner)
        if module not in self._sources:
            path = self.modules.get(module)
            found = read_source(path, self.settings.max_file_size) if path else None
            if isinstance(found, FileError):
                self.unreadable[found.path] = found.reason
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
        """The module's libcst tree (None if unparseable): parsed once, and again only if it
        was dropped under ``TREES_KEPT``."""
        import libcst as cst

        module = self.canonical(module)
        source = self.source(module, track=track)
        if module in self._trees:
            return self._keep_tree(module, self._trees.pop(module))
        from asyncsafe.engine.tree.parsing import parse_source

        parsed = parse_source(source, self.settings.target_version) if source else None
        if isinstance(parsed, FileError):  # reported by the run: never a silent drop
            self.unreadable[parsed.path] = parsed.reason
        return self._keep_tree(module, parsed if isinstance(parsed, cst.Module) else None)

    def _keep_tree(self, module: str, tree: cst.Module | None) -> cst.Module | None:
        """Keep ``tree`` as the most recently used; forget the least recently used beyond the bound."""
        self._trees.pop(module, None)
        self._trees[module] = tree
        while len(self._trees) > TREES_KEPT:
            del self._trees[next(iter(self._trees))]
        return tree

    def holds_tree(self, module: str, tree: cst.Module) -> bool:
        """Whether ``tree`` is the project's tree of ``module`` (parsed from the same text)."""
        return self._trees.get(module) is tree

    def checked_tree(
        self, source: Source, parse: Callable[[Source], cst.Module | FileError]
    ) -> cst.Module | FileError:
        """The tree of a file being checked: parsed once per run, whether the file was first
        read as a dependency of another one, or is read as one later."""
        module = self._names.get(os.path.abspath(source.path)) if self.modules else None
        if module is None:
            return parse(source)
        known = self._sources.get(module, source)
        same_text = known is not None and known.text == source.text
        held = self._trees.get(module)
        if same_text and held is not None:
            self._keep_tree(module, held)
            return held
        tree = parse(source)
        if same_text and not isinstance(tree, FileError):
            self._sources[module] = known
            self._keep_tree(module, tree)
        return tree

    def star_names(self, module: str) -> dict[str, str]:
        """What ``from module import *`` binds (empty for a module outside the project)."""
        from asyncsafe.engine.input.modules import is_package_init
        from asyncsafe.engine.tree.star import star_names

        module = self.canonical(module)
        tree = self.tree(module)  # tracked: the importing file's result depends on it
        if tree is None:
            return {}
        return star_names(module, is_package_init(self.modules[module]), tree)

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
