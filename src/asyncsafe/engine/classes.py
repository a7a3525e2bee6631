"""Class hierarchies across the project: which named classes a class derives from.

A class of the module being checked is known from the walker's records; a class of another
project module from a declaration-only pass over that module (imports and class statements,
no rules), done at most once per module and run. Classes outside the project are known by
their canonical name only (``django.views.generic.View``), which is what rules match on.
"""

from __future__ import annotations

from dataclasses import dataclass

from asyncsafe.engine.project import Project
from asyncsafe.engine.scopes import ClassInfo, Resolver, Scope
from asyncsafe.engine.values import Ref

_MOST_ANCESTORS = 64
_MOST_ALIASES = 8


@dataclass(frozen=True)
class Ancestry:
    names: tuple[str, ...]  # the class itself first, then every ancestor found, nearest first
    complete: bool  # False when some base could not be resolved to a name
    external: tuple[str, ...] = ()  # the names with no class statement in the project

    def any_startswith(self, *prefixes: str) -> bool:
        return any(name.startswith(prefixes) for name in self.names)


def ancestry(resolver: Resolver, qualname: str) -> Ancestry:
    names: list[str] = []
    external: list[str] = []
    complete = True
    pending = [qualname]
    while pending and len(names) < _MOST_ANCESTORS:
        info = find_class(resolver, pending.pop(0))
        if info is None or info.qualname in names:
            continue
        names.append(info.qualname)
        if info.node is None:
            external.append(info.qualname)
        for base in info.bases:
            if isinstance(base, Ref):
                pending.append(base.qualname)
            else:
                complete = False
    return Ancestry(tuple(names), complete, tuple(external))


def find_class(resolver: Resolver, qualname: str) -> ClassInfo | None:
    """The class statement named ``qualname`` (following re-exports), or a placeholder with no
    bases for a class outside the project."""
    for _ in range(_MOST_ALIASES):
        if qualname in resolver.classes:
            return resolver.classes[qualname]
        found = _project_lookup(resolver.project, qualname)
        if isinstance(found, ClassInfo):
            return found
        if found is None:
            return ClassInfo(qualname)
        qualname = found  # a re-export: `from .base import View` in a package __init__
    return None


def _project_lookup(project: Project | None, qualname: str) -> ClassInfo | str | None:
    if project is None:
        return None
    split = project.module_of(qualname)
    if split is None:
        return None
    module, inner = split
    declared = _declarations(project, module)
    if declared is None:
        return None
    classes, scope = declared
    if qualname in classes:
        return classes[qualname]
    bound = scope.bindings.get(inner)
    if "." not in inner and isinstance(bound, Ref) and bound.qualname != qualname:
        return bound.qualname
    return None


def _declarations(project: Project, module: str) -> tuple[dict[str, ClassInfo], Scope] | None:
    memo = project.memo.setdefault("classes", {})
    if module not in memo:
        memo[module] = _declare(project, module)
    return memo[module]  # type: ignore[return-value]


def _declare(project: Project, module: str) -> tuple[dict[str, ClassInfo], Scope] | None:
    from asyncsafe.catalog import builtin_catalog
    from asyncsafe.engine.analyze import build_context
    from asyncsafe.engine.walker import Walker

    tree = project.tree(module)
    path = project.modules.get(module)
    if tree is None or path is None:
        return None
    ctx = build_context(path, project.settings, builtin_catalog(), project)
    walker = Walker(ctx, [])
    scope = walker.declare(tree)
    return walker.resolver.classes, scope
