"""Installed distributions' versions without importing ``importlib.metadata`` (tens of
milliseconds: a run answered from the cache must not pay that)."""

from __future__ import annotations

import os
import re
import sys

_NORMALIZE = re.compile(r"[-_.]+")


def distribution_version(name: str) -> str | None:
    """The version of the installed distribution ``name``, or None when it is not installed."""
    found = _listed(name)
    if isinstance(found, str):
        return found
    # An egg-info layout: the slow, complete lookup. Nothing at all: not installed, and
    # importlib.metadata (tens of milliseconds to import) would find nothing either.
    return _from_metadata(name) if found else None


def dist_info_version(name: str) -> str | None:
    """The fast path: the version in a ``<name>-<version>.dist-info`` directory on ``sys.path``."""
    found = _listed(name)
    return found if isinstance(found, str) else None


def _listed(name: str) -> str | bool:
    """The version from a ``.dist-info`` name on ``sys.path``; else whether an ``.egg-info``
    (or ``.egg``) of ``name`` is there, which only ``importlib.metadata`` reads."""
    wanted = _NORMALIZE.sub("_", name).lower()
    egg = False
    for entry in sys.path:
        try:
            names = os.listdir(entry or ".")
        except OSError:
            continue
        for found in names:
            stem, dot, suffix = found.rpartition(".")
            if not dot or suffix not in ("dist-info", "egg-info", "egg"):
                continue
            project, _, version = stem.partition("-")
            if _NORMALIZE.sub("_", project).lower() != wanted:
                continue
            if suffix == "dist-info" and version:
                return version
            egg = True
    return egg


def _from_metadata(name: str) -> str | None:
    from importlib.metadata import PackageNotFoundError, version

    try:
        return version(name)
    except PackageNotFoundError:
        return None
