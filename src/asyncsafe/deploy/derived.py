"""What the deployed settings tell the other rule families: which cache backend
``django.core.cache`` talks to (ASF230) and whether sessions do I/O (ASF210), so nobody has to
set ``cache-backend`` by hand. Only certain values count: a computed CACHES decides nothing."""

from __future__ import annotations

import hashlib
import os
from typing import TYPE_CHECKING

from asyncsafe.deploy.deployment import build_deployment
from asyncsafe.deploy.servers import config_files
from asyncsafe.deploy.settings import SettingsModule
from asyncsafe.deploy.values import KnownDict, literal_text

if TYPE_CHECKING:
    from asyncsafe.config import Settings
    from asyncsafe.engine.facts.project import Project

CACHE_CLASSES = {
    "django.core.cache.backends.redis.RedisCache": "redis",
    "django_redis.cache.RedisCache": "redis",
    "django.core.cache.backends.memcached.PyMemcacheCache": "memcached",
    "django.core.cache.backends.memcached.PyLibMCCache": "memcached",
    "django.core.cache.backends.memcached.MemcachedCache": "memcached",
    "django.core.cache.backends.db.DatabaseCache": "database",
    "django.core.cache.backends.filebased.FileBasedCache": "file",
    "django.core.cache.backends.locmem.LocMemCache": "locmem",
    "django.core.cache.backends.dummy.DummyCache": "dummy",
}
DJANGO_DEFAULT_CACHE = "locmem"  # no CACHES setting: Django uses LocMemCache
SESSION_ENGINES = {  # engine -> does I/O (None: as the default cache does)
    "django.contrib.sessions.backends.db": True,
    "django.contrib.sessions.backends.cached_db": True,
    "django.contrib.sessions.backends.file": True,
    "django.contrib.sessions.backends.signed_cookies": False,
    "django.contrib.sessions.backends.cache": None,
}
DJANGO_DEFAULT_SESSIONS = "django.contrib.sessions.backends.db"
NO_IO_CACHES = frozenset({"locmem", "dummy"})
CACHE_CODE, SESSION_CODE = "ASF230", "ASF210"


def deployment_defaults(project: Project, settings: Settings) -> tuple[tuple[str, bool], ...]:
    """(code, enabled) decided by the deployed settings: ASF230 on for a cache that does I/O and
    off for locmem/dummy; ASF210 off when sessions do no I/O."""
    deployment = build_deployment(project, settings, settings.settings_module)
    backend = _agreed([_cache_backend(module) for module in deployment.settings])
    found: list[tuple[str, bool]] = []
    if backend is not None:
        found.append((CACHE_CODE, backend not in NO_IO_CACHES))
    sessions = _agreed([_session_io(module, backend) for module in deployment.settings])
    if sessions is False:
        found.append((SESSION_CODE, False))
    return tuple(found)


def _agreed(values: list[str | bool | None]) -> str | bool | None:
    """The one value every deployed settings module agrees on (None: unknown or they differ)."""
    if not values or any(value is None for value in values) or len(set(values)) != 1:
        return None
    return values[0]


def _cache_backend(module: SettingsModule) -> str | None:
    caches = module.get("CACHES")
    if caches is None:
        return DJANGO_DEFAULT_CACHE
    if not isinstance(caches, KnownDict):
        return None
    default = caches.get("default")
    if not isinstance(default, KnownDict):
        return None
    backend = literal_text(default.get("BACKEND"))
    return CACHE_CLASSES.get(backend) if backend is not None else None


def _session_io(module: SettingsModule, cache: str | bool | None) -> bool | None:
    value = module.get("SESSION_ENGINE")
    engine = DJANGO_DEFAULT_SESSIONS if value is None else literal_text(value)
    if engine not in SESSION_ENGINES:
        return None
    io = SESSION_ENGINES[engine]
    if io is None:  # cache sessions: as the cache does (SESSION_CACHE_ALIAS "default" assumed)
        alias = module.get("SESSION_CACHE_ALIAS")
        if alias is not None and literal_text(alias) != "default":
            return None
        return None if not isinstance(cache, str) else cache not in NO_IO_CACHES
    return io


def server_config_digest(root: str, modules: dict[str, str]) -> str:
    """A digest of the server configuration files (Procfile, Dockerfile, ...): cached results of
    the deployment rules depend on them, and they are not Python modules the cache tracks."""
    managers = sorted({os.path.dirname(os.path.abspath(path)) for path in modules.values() if os.path.basename(path) == "manage.py"})
    digest = hashlib.sha256()
    for path in config_files(os.path.abspath(root), managers):
        try:
            with open(path, "rb") as handle:
                digest.update(path.encode() + b"\0" + handle.read(1_000_000))
        except OSError:
            continue
    return digest.hexdigest()[:16]



def with_deployment(settings: Settings, project: Project) -> Settings:
    """``settings`` with what the deployed Django settings decide for the other families."""
    from dataclasses import replace

    try:
        defaults = deployment_defaults(project, settings)
    except (RecursionError, MemoryError):  # a pathological settings file decides nothing
        return settings
    return replace(settings, deployment_defaults=defaults) if defaults else settings
