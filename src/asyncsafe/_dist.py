"""Installed distributions' versions without importing ``importlib.metadata`` (tens of
milliseconds: a run answered from the cache must not pay that)."""

from __future__ import annotations

import os
import re
import sys

_NORMALIZE = re.compile(r"[-_.]+")


def distribution_version(name: str) -> str | None:
    """The version of the installed distribution ``name``, or None when it is not installed."""
    # egg-info and other layouts: the slow, complete lookup
    return dist_info_version(name) or _from_metadata(name)


def dist_info_version(name: str) -> str | None:
    """The fast path: the version in a ``<name>-<version>.dist-info`` directory on ``sys.path``."""
    wanted = _NORMALIZE.sub("_", name).lower()
    for entry in sys.path:
        try:
            names = os.listdir(entry or ".")
        except OSError:
            continue
        for found in names:
            if found.endswith(".dist-info"):
                project, _, version = found[: -len(".dist-info")].partition("-")
                if version and _NORMALIZE.sub("_", project).lower() == wanted:
                    return version
    return None


def _from_metadata(name: str) -> str | None:
    from importlib.metadata import PackageNotFoundError, version

    try:
        return version(name)
    except PackageNotFoundError:
        return None
