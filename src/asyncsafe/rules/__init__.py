"""Rule families. Each module registers its RuleSpecs and exposes its Checker classes."""

from __future__ import annotations

from collections.abc import Callable
from functools import lru_cache

from asyncsafe.catalog import Catalog
from asyncsafe.engine.events import Checker
from asyncsafe.engine.scopes import TypeProvider


@lru_cache(maxsize=1)
def load_rules() -> tuple[type[Checker], ...]:
    from asyncsafe.rules import catalog_calls, django_orm, django_web, sdk, stdlib_http

    return (
        *catalog_calls.CHECKERS, *stdlib_http.CHECKERS, *django_orm.CHECKERS,
        *django_web.CHECKERS, *sdk.CHECKERS,
    )


@lru_cache(maxsize=1)
def load_providers() -> tuple[Callable[[Catalog], TypeProvider], ...]:
    """Type knowledge that rule families add beyond the data catalog."""
    from asyncsafe.django.orm import OrmTypes
    from asyncsafe.rules import django_web

    return (OrmTypes, *django_web.PROVIDERS)
