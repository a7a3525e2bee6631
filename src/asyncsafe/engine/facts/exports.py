"""Module-level facts of the other modules of the project, for ``Declarations``.

``from myapp.clients import redis_client`` or ``from myapp.tasks import send_email``: what the
name holds is decided in its own module. That module's top-level statements are pre-scanned
(imports, assignments, class attribute facts, decorators: the walker's pre-scan, no visit), once
per run and module, and kept in the project's facts. Only objects of a known type are answered;
anything else stays unknown, as it would for an unparsed library.
"""

from __future__ import annotations

import re
import sys
from dataclasses import dataclass

from asyncsafe.catalog import Catalog
from asyncsafe.config import Settings
from asyncsafe.engine.facts.project import Project
from asyncsafe.engine.tree.declarations import ClassFacts, Declarations
from asyncsafe.engine.tree.values import Instance, Ref, Value

MAX_HOPS = 8  # re-exports followed (a.x = b.x = c.x ...)


# Standard-library packages whose objects are shared between modules like clients are (a queue,
# a lock, an executor, a connection). The others (os, io, asyncio, pathlib, http, ...) and Django
# are imported by nearly every module of a Django project, and would defeat the prefilter.
SHARED_STDLIB = frozenset(
    ("queue", "threading", "multiprocessing", "concurrent", "socket", "sqlite3", "smtplib", "ftplib")
)
NOT_CLIENTS = frozenset(("django", "builtins"))


def _package_pattern(catalog: Catalog) -> re.Pattern[str]:
    """An import of a package whose objects the catalog (or blocking-calls) knows: ``import
    redis``, ``from boto3.session import Session``, ``from proj.celery import app``."""
    names = [*catalog.constructors, *catalog.decorators, *catalog.instances]
    names += [p for group in catalog.configured.patterns.values() for p, _ in group]
    roots = {n.split(".", 1)[0] for n in names} - NOT_CLIENTS
    kept = sorted(r for r in roots if r not in sys.stdlib_module_names or r in SHARED_STDLIB)
    # `[\w.]{0,200}`: a dotted name is short; unbounded, a megabyte-long one backtracked through
    # the whole alternation at every character.
    alternatives = "|".join(map(re.escape, kept))
    return re.compile(rf"(?m)^[ \t]*(?:from|import)[ \t]+[\w.]{{0,200}}\b(?:{alternatives})\b")


@dataclass(frozen=True)
class ModuleFacts:
    bindings: dict[str, Value]
    declarations: Declarations


class ProjectExports:
    def __init__(self, project: Project, settings: Settings, catalog: Catalog) -> None:
        self.project = project
        self.settings = settings
        self.catalog = catalog

    def value(self, qualname: str, hops: int = 0) -> Instance | None:
        found = self._lookup(qualname)
        if found is None or hops >= MAX_HOPS:
            return None
        facts, name = found
        if qualname in facts.declarations.decorated:
            return Instance(facts.declarations.decorated[qualname], qualname)
        held = facts.bindings.get(name)
        if isinstance(held, Instance):
            return held
        if isinstance(held, Ref) and held.qualname != qualname:  # re-exported from elsewhere
            return self.value(held.qualname, hops + 1)
        return None

    def class_facts(self, qualname: str) -> ClassFacts | None:
        found = self._lookup(qualname)
        return found[0].declarations.classes.get(qualname) if found else None

    def _lookup(self, qualname: str) -> tuple[ModuleFacts, str] | None:
        """The facts of the project module that defines ``qualname``, and the name in it."""
        if qualname in self.project.modules:
            return None  # a module, not a name in one
        split = self.project.module_of(qualname)
        if split is None or "." in split[1]:
            return None
        facts = self._facts(split[0])
        return (facts, split[1]) if facts is not None else None

    def _facts(self, module: str) -> ModuleFacts | None:
        scanning: set[str] = self.project.facts("exports:scanning", lambda _: set())
        if module in scanning:
            return None  # an import cycle finds nothing instead of looping
        scanning.add(module)
        try:
            return self.project.facts(f"exports:{module}", lambda _: self._scan(module))
        finally:
            scanning.discard(module)

    def _mentions_catalog(self, module: str) -> bool:
        """Whether the module imports a package whose objects the catalog knows (``redis``,
        ``boto3``, ``celery``, ...): parsing is the expensive part, most modules import none."""
        source = self.project.source(module)
        if source is None:
            return False
        pattern = self.project.facts("exports:packages", lambda _: _package_pattern(self.catalog))
        return pattern.search(source.text) is not None

    def _scan(self, module: str) -> ModuleFacts | None:
        from asyncsafe.engine.facts.context import build_context, project_rules
        from asyncsafe.engine.tree.walker import Walker

        if not self._mentions_catalog(module):
            return None  # the prefilter: no cataloged package imported, nothing to learn
        tree = self.project.tree(module)
        path = self.project.modules.get(module)
        if tree is None or path is None:
            return None
        ctx = build_context(path, self.settings, self.catalog, project_rules(self.project), self.project)
        scope = Walker(ctx, []).prescan(tree)
        return ModuleFacts(scope.bindings, ctx.resolver.declarations)
