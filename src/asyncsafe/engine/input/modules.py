"""Map files to dotted module names, so relative imports resolve to canonical names."""

from __future__ import annotations

import os


def module_name_for(path: str, packages: dict[str, tuple[str, ...]] | None = None) -> str:
    """``pkg/sub/mod.py`` -> ``pkg.sub.mod`` walking up while ``__init__.py`` exists.

    ``packages``: what is known of directories already (pass one dict for many files of a tree).
    """
    directory, filename = os.path.split(os.path.abspath(path))
    stem = os.path.splitext(filename)[0]
    parts = _package_parts(directory, {} if packages is None else packages)
    if stem != "__init__":
        parts = (*parts, stem)
    return ".".join(parts) or stem


def _package_parts(directory: str, known: dict[str, tuple[str, ...]]) -> tuple[str, ...]:
    """The package names ``directory`` is nested in, itself included (empty: not a package).
    Iterative: a package chain thousands deep must not exhaust the stack."""
    chain: list[tuple[str, str]] = []  # (directory, name) of the packages not known yet, innermost first
    while directory not in known:
        parent, name = os.path.split(directory)
        if not (name and os.path.isfile(os.path.join(directory, "__init__.py"))):
            known[directory] = ()
            break
        chain.append((directory, name))
        directory = parent
    parts = known[directory]
    for package, name in reversed(chain):
        parts = (*parts, name)
        known[package] = parts
    return parts


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
