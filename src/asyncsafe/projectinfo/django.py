"""Which Django the project uses, read from files only (nothing is imported or run): the Django
installed in the project's environment, then the pins its dependency files declare. For a range,
the lowest version it allows: advice must work on every version the project accepts."""

from __future__ import annotations

import json
import os
import re
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

from asyncsafe.config import KNOWN_DJANGO_VERSIONS, ConfigError, _read_toml

# A requirement naming Django: ``Django==4.2.11``, ``django[argon2]>=4.2,<5``, ``Django~=4.2``.
_REQUIREMENT = re.compile(
    r"""^\s*["']?django(?:\[[^\]]*\])?\s*(?P<spec>(?:[=<>!~^]=?|===)[^;#"']*)?""", re.IGNORECASE
)
_CLAUSE = re.compile(r"^\s*(===|==|~=|\^|>=|>|!=|<=|<|~)?\s*v?(\d+)(?:\.(\d+))?")
_SETUP_PY_STRING = re.compile(r"""["'](django(?:\[[^\]]*\])?\s*[=<>!~][^"']*)["']""", re.IGNORECASE)
_VENV_NAMES = (".venv", "venv", "env", ".env")


def lowest_allowed(spec: str) -> str | None:
    """``>=4.2,<5`` -> ``4.2``; ``==4.2.11`` -> ``4.2``; ``^4.2`` (poetry) -> ``4.2``."""
    bounds = []
    for clause in spec.split(","):
        match = _CLAUSE.match(clause)
        if match is not None and (match.group(1) or "==") not in ("!=", "<=", "<"):
            bounds.append((int(match.group(2)), int(match.group(3) or 0)))
    return _known(min(bounds)) if bounds else None


def _known(version: tuple[int, int]) -> str:
    """Into the versions whose API asyncsafe knows (older than 3.2 has no async API either)."""
    known = [tuple(int(p) for p in v.split(".")) for v in KNOWN_DJANGO_VERSIONS]
    fitting = [v for v in known if v <= version] or [known[0]]
    best = fitting[-1]
    return f"{best[0]}.{best[1]}"


def from_requirement(line: str) -> str | None:
    match = _REQUIREMENT.match(line)
    if match is None or not match.group("spec"):
        return None
    return lowest_allowed(match.group("spec"))


# --- the project's environment ---------------------------------------------------------------
def environments(root: Path) -> Iterator[Path]:
    """Virtualenvs that belong to the project: ``$VIRTUAL_ENV`` when it lies inside the project,
    then ``.venv``/``venv``/``env`` in the project root."""
    active = os.environ.get("VIRTUAL_ENV")
    if active and Path(active).resolve().is_relative_to(root.resolve()):
        yield Path(active)
    for name in _VENV_NAMES:
        if (root / name / "pyvenv.cfg").is_file():
            yield root / name


def installed_in(environment: Path) -> str | None:
    """The Django version of a ``django-X.Y.Z.dist-info`` in the environment's site-packages."""
    for site in (*environment.glob("lib/python3*/site-packages"), environment / "Lib" / "site-packages"):
        try:
            names = os.listdir(site)
        except OSError:
            continue
        for name in names:
            project, _, version = name.removesuffix(".dist-info").partition("-")
            if name.endswith(".dist-info") and project.lower() == "django" and version:
                return lowest_allowed(f"=={version}")
    return None


# --- pins in the project's files ------------------------------------------------------------
def _toml(path: Path) -> dict[str, Any]:
    """A project file's data; a missing or invalid one says nothing."""
    try:
        return _read_toml(path) if path.is_file() else {}
    except ConfigError:
        return {}


def _pyproject(root: Path) -> Iterator[str]:
    data = _toml(root / "pyproject.toml")
    for requirement in _table(data, "project").get("dependencies") or ():
        if isinstance(requirement, str):
            yield requirement
    declared = _table(_table(_table(data, "tool"), "poetry"), "dependencies")
    for name, value in declared.items():
        spec = value.get("version") if isinstance(value, dict) else value
        if name.lower() == "django" and isinstance(spec, str):
            yield f"django{spec if spec[:1] in '=<>!~^' else '==' + spec}"


def _table(data: dict[str, Any], key: str) -> dict[str, Any]:
    found = data.get(key)
    return found if isinstance(found, dict) else {}


def _requirements(root: Path) -> Iterator[str]:
    files = sorted(root.glob("requirements*.txt")) + sorted(root.glob("requirements/*.txt"))
    for path in files:
        try:
            yield from path.read_text(encoding="utf-8", errors="replace").splitlines()
        except OSError:
            continue


def _locked(root: Path, name: str) -> Iterator[str]:
    """``[[package]] name = "django" version = "4.2.11"`` in uv.lock / poetry.lock."""
    for package in _toml(root / name).get("package") or ():
        if isinstance(package, dict) and str(package.get("name", "")).lower() == "django":
            yield f"django=={package.get('version', '')}"


def _pipfile_lock(root: Path) -> Iterator[str]:
    path = root / "Pipfile.lock"
    try:
        data = json.loads(path.read_text(encoding="utf-8")) if path.is_file() else {}
    except (OSError, ValueError):
        return
    section = data.get("default") if isinstance(data, dict) else None
    entry = section.get("django") if isinstance(section, dict) else None
    if isinstance(entry, dict) and isinstance(entry.get("version"), str):
        yield f"django{entry['version']}"


def _setup_files(root: Path) -> Iterator[str]:
    cfg = root / "setup.cfg"
    if cfg.is_file():
        import configparser  # seldom: not on every run's import path

        parser = configparser.ConfigParser(interpolation=None)
        try:
            parser.read(cfg, encoding="utf-8")
            yield from parser.get("options", "install_requires", fallback="").splitlines()
        except (configparser.Error, OSError, UnicodeDecodeError):
            pass
    setup = root / "setup.py"
    if setup.is_file():  # read as text, never run
        try:
            yield from _SETUP_PY_STRING.findall(setup.read_text(encoding="utf-8", errors="replace"))
        except OSError:
            pass


PIN_SOURCES: tuple[tuple[str, Callable[[Path], Iterator[str]]], ...] = (
    ("pyproject.toml dependencies", _pyproject),
    ("requirements files", _requirements),
    ("uv.lock", lambda root: _locked(root, "uv.lock")),
    ("poetry.lock", lambda root: _locked(root, "poetry.lock")),
    ("Pipfile.lock", _pipfile_lock),
    ("setup.cfg/setup.py install_requires", _setup_files),
)


def django_from_project(root: Path) -> tuple[str, str] | None:
    """(version ``X.Y``, where it came from), or None when nothing in the project says."""
    for environment in environments(root):
        found = installed_in(environment)
        if found is not None:
            return found, f"Django installed in {environment}"
    for label, lines in PIN_SOURCES:
        versions = [v for v in map(from_requirement, lines(root)) if v is not None]
        if versions:
            lowest = min(versions, key=lambda v: tuple(int(p) for p in v.split(".")))
            return lowest, f"the lowest Django the {label} of {root} allow"
    return None
