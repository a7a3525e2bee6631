"""A file's walk context: the resolver with every type provider, wired to the project's facts."""

from __future__ import annotations

from asyncsafe.catalog import Catalog
from asyncsafe.config import Settings
from asyncsafe.engine.facts.exports import ProjectExports
from asyncsafe.engine.facts.project import Project
from asyncsafe.engine.input.modules import is_package_init, module_name_for
from asyncsafe.engine.tree.events import FileContext, RuleSet
from asyncsafe.engine.tree.providers import CatalogTypes
from asyncsafe.engine.tree.scopes import FileAware, Resolver


def build_context(
    path: str, settings: Settings, catalog: Catalog, rules: RuleSet, project: Project | None = None
) -> FileContext:
    providers = [CatalogTypes(catalog), *(make(catalog) for make in rules.providers)]
    resolver = Resolver(providers)
    if project is not None:
        resolver.declarations.exports = ProjectExports(project, settings, catalog)
    ctx = FileContext(
        path=path,
        module=module_name_for(path),
        is_package=is_package_init(path),
        settings=settings,
        catalog=catalog,
        resolver=resolver,
        project=project,
        rules=rules,
    )
    for provider in providers:
        if isinstance(provider, FileAware):
            provider.start_file(ctx)
    return ctx


def project_rules(project: Project) -> RuleSet:
    """The rules the run handed the project: a dependency is walked with the same ones."""
    if project.rules is None:
        raise RuntimeError("the run layer did not hand its rules to the project")
    return project.rules
