"""Rule families. Each module registers its RuleSpecs and exposes its Checker classes."""

from __future__ import annotations

from collections.abc import Callable
from functools import lru_cache
from typing import TYPE_CHECKING

if TYPE_CHECKING:  # importing the package (e.g. for ``codes``) must not load the engine
    from asyncsafe.catalog import Catalog
    from asyncsafe.engine.tree.events import Checker, RuleSet
    from asyncsafe.engine.tree.scopes import TypeProvider


@lru_cache(maxsize=1)
def load_rules() -> tuple[type[Checker], ...]:
    from asyncsafe.rules import (
        catalog_calls,
        deploy,
        django_orm,
        django_web,
        event_loop,
        flow,
        library,
        sdk,
        stdlib_http,
        transitive,
    )

    # transitive and event_loop stay last: when a walk ends they read what every rule reported
    # (flow after transitive: its chains need the module's helpers registered).
    return (
        *catalog_calls.CHECKERS,
        *stdlib_http.CHECKERS,
        *django_orm.CHECKERS,
        *django_web.CHECKERS,
        *sdk.CHECKERS,
        *library.CHECKERS,
        *transitive.CHECKERS,
        *flow.CHECKERS,
        *event_loop.CHECKERS,
        *deploy.CHECKERS,
    )


@lru_cache(maxsize=1)
def load_providers() -> tuple[Callable[[Catalog], TypeProvider], ...]:
    """Type knowledge that rule families add beyond the data catalog."""
    from asyncsafe.django.orm import OrmTypes
    from asyncsafe.django.returns import ReturnTypes
    from asyncsafe.engine.facts.project_types import ProjectTypes
    from asyncsafe.rules import django_web
    from asyncsafe.rules.library import LibraryTypes
    from asyncsafe.rules.third_party import ThirdPartyAsyncTypes

    # ProjectTypes last: what Django knows of a project class wins over "a project class";
    # ReturnTypes before it: what a project function returns wins over "a coroutine".
    return (OrmTypes, *django_web.PROVIDERS, ThirdPartyAsyncTypes, LibraryTypes, ReturnTypes, ProjectTypes)


@lru_cache(maxsize=1)
def ruleset() -> RuleSet:
    """Every registered rule and provider, as the run layer hands them to the engine."""
    from asyncsafe.engine.tree.events import RuleSet

    return RuleSet(load_rules(), load_providers())
