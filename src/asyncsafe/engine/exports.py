"""Module-level facts of the other modules of the project, for ``Declarations``.

``from myapp.clients import redis_client`` or ``from myapp.tasks import send_email``: what the
name holds is decided in its own module. That module's top-level statements are pre-scanned
(imports, assignments, class attribute facts, decorators: the walker's pre-scan, no visit), once
per run and module, and kept in the project's facts. Only objects of a known type are answered;
anything else stays unknown, as it would for an unparsed library.
"""

from __future__ import annotations

from dataclasses import dataclass

from asyncsafe.catalog import Catalog
from asyncsafe.config import Settings
from asyncsafe.engine.declarations import ClassFacts, Declarations
from asyncsafe.engine.project import Project
from asyncsafe.engine.values import Instance, Ref, Value

MAX_HOPS = 8  # re-exports followed (a.x = b.x = c.x ...)


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

    def _scan(self, module: str) -> ModuleFacts | None:
        from asyncsafe.engine.analyze import build_context
        from asyncsafe.engine.walker import Walker

        tree = self.project.tree(module)
        path = self.project.modules.get(module)
        if tree is None or path is None:
            return None
        ctx = build_context(path, self.settings, self.catalog, self.project)
        scope = Walker(ctx, []).prescan(tree)
        return ModuleFacts(scope.bindings, ctx.resolver.declarations)
