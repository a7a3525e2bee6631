"""Installed distributions of the environment: which one provides a module, and its files.

Read from ``*.dist-info`` directories (name and version from the directory name, the top-level
modules from ``top_level.txt`` or else ``RECORD``), once per process and site directory.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from functools import lru_cache


@dataclass(frozen=True)
class Distribution:
    name: str
    version: str
    site: str  # the site-packages directory it is installed in


def _dist_info_names(directory: str) -> list[tuple[str, str, str]]:
    """(name, version, dist-info path) of each distribution installed in ``directory``."""
    try:
        entries = os.listdir(directory)
    except OSError:
        return []
    found = []
    for entry in sorted(entries):
        if entry.endswith(".dist-info"):
            name, _, version = entry[: -len(".dist-info")].partition("-")
            if name and version:
                found.append((name, version, os.path.join(directory, entry)))
    return found


def _top_level(dist_info: str) -> set[str]:
    top = os.path.join(dist_info, "top_level.txt")
    try:
        with open(top, encoding="utf-8") as handle:
            return {line.strip() for line in handle if line.strip()}
    except OSError:
        pass
    names: set[str] = set()
    try:
        with open(os.path.join(dist_info, "RECORD"), encoding="utf-8") as handle:
            for line in handle:
                first = line.split(",", 1)[0].split("/", 1)[0]
                if first.endswith(".py"):
                    names.add(first[:-3])
                elif first and "." not in first and first != "__pycache__":
                    names.add(first)
    except OSError:
        pass
    return names


@lru_cache(maxsize=16)
def top_level_index(sites: tuple[str, ...]) -> dict[str, Distribution]:
    """Top-level module name -> the distribution that installs it (the first site wins)."""
    index: dict[str, Distribution] = {}
    for site in sites:
        for name, version, dist_info in _dist_info_names(site):
            for top in _top_level(dist_info):
                index.setdefault(top, Distribution(name.replace("_", "-").lower(), version, site))
    return index


def module_file(site: str, module: str) -> str | None:
    """The source file of ``module`` under ``site`` (a module or a package's ``__init__.py``)."""
    base = os.path.join(site, *module.split("."))
    for candidate in (base + ".py", os.path.join(base, "__init__.py")):
        if os.path.isfile(candidate):
            return candidate
    return None
