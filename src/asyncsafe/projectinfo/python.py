"""Which Python grammar the project's files are written for: ``target-version``, else the lower
bound of ``[project] requires-python``, else the newest the parser knows."""

from __future__ import annotations

import re
from pathlib import Path

from asyncsafe.config import TARGET_VERSIONS, ConfigError, _read_toml

# The newest grammar libcst (>= 1.9) parses; the oldest target asyncsafe distinguishes.
NEWEST_TARGET = "3.14"
OLDEST_TARGET = "3.10"

_CLAUSE = re.compile(r"^\s*(===|==|~=|>=|>|!=|<=|<)?\s*v?(\d+)(?:\.(\d+))?")


def as_target(version: str) -> str:
    """Clamp ``X.Y`` into the targets asyncsafe knows (py310 .. py314)."""
    major, minor = (int(part) for part in version.split("."))
    known = [tuple(int(p) for p in (v[2], v[3:])) for v in TARGET_VERSIONS]
    clamped = min(max((major, minor), known[0]), known[-1])
    return f"{clamped[0]}.{clamped[1]}"


def lower_bound(specifier: str) -> str | None:
    """``>=3.11,<4`` -> ``3.11``; ``~=3.12.1`` -> ``3.12``; ``<3.13`` alone -> None."""
    bounds = []
    for clause in specifier.split(","):
        match = _CLAUSE.match(clause)
        if match is None:
            continue
        operator, major, minor = match.group(1) or "==", match.group(2), match.group(3) or "0"
        if operator in ("==", "===", "~=", ">=", ">"):
            bounds.append((int(major), int(minor)))
    return f"{min(bounds)[0]}.{min(bounds)[1]}" if bounds else None


def requires_python(pyproject: Path) -> str | None:
    """The lower bound of ``[project] requires-python`` (unparsable files say nothing)."""
    try:
        data = _read_toml(pyproject)
    except ConfigError:
        return None
    project = data.get("project")
    spec = project.get("requires-python") if isinstance(project, dict) else None
    return lower_bound(spec) if isinstance(spec, str) else None


def target_from_project(config: Path | None, root: Path) -> tuple[str, str]:
    """(target ``X.Y``, where it came from) when ``target-version`` is not set."""
    for pyproject in (config, root / "pyproject.toml"):
        if pyproject is not None and pyproject.name == "pyproject.toml" and pyproject.is_file():
            bound = requires_python(pyproject)
            if bound is not None:
                return as_target(bound), f"requires-python in {pyproject}"
    return NEWEST_TARGET, "the newest Python the parser supports (no target-version, no requires-python)"
