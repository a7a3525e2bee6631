"""Map files to dotted module names, so relative imports resolve to canonical names."""

from __future__ import annotations

import os


def module_name_for(path: str) -> str:
    """``pkg/sub/mod.py`` -> ``pkg.sub.mod`` walking up while ``__init__.py`` exists."""
    absolute = os.path.abspath(path)
    directory, filename = os.path.split(absolute)
    stem = os.path.splitext(filename)[0]
    parts = [] if stem == "__init__" else [stem]
    while os.path.isfile(os.path.join(directory, "__init__.py")):
        directory, package = os.path.split(directory)
        parts.append(package)
        if not package:
            break
    return ".".join(reversed(parts)) or stem


def is_package_init(path: str) -> bool:
    return os.path.basename(path) == "__init__.py"


def resolve_relative(module: str, is_package: bool, level: int, target: str | None) -> str:
    """Resolve ``from ..x import y`` (level 2, target ``x``) seen in ``module``."""
    base = module.split(".") if module else []
    if not is_package:
        base = base[:-1]
    if level > 1:
        base = base[: max(len(base) - (level - 1), 0)]
    if target:
        base.append(target)
    return ".".join(base)
