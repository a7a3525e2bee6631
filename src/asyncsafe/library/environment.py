"""Which Python environment the project runs in, and its site-packages directories.

In order: the ``python`` setting (``--python``, ``python = ".venv/bin/python"``), the active
``VIRTUAL_ENV``, a ``.venv``/``venv`` beside the configuration file, else the interpreter asyncsafe
runs on. Another interpreter's ``sys.path`` is read once, by running it with ``-c`` (``-I -S``
would hide the very directories asked for; nothing of the project or its libraries is imported).
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from functools import lru_cache
from pathlib import Path

from asyncsafe.config import Settings

VENV_NAMES = (".venv", "venv")
PRINT_PATH = "import json, sys; print(json.dumps(sys.path))"


def find_interpreter(settings: Settings) -> str:
    """The interpreter of the project's environment (``sys.executable`` when none is found)."""
    if settings.python:
        configured = Path(settings.python).expanduser()
        return str(configured if configured.is_absolute() else Path(settings.root) / configured)
    active = os.environ.get("VIRTUAL_ENV")
    if active and _venv_python(Path(active)) is not None:
        return str(_venv_python(Path(active)))
    for name in VENV_NAMES:
        found = _venv_python(Path(settings.root) / name)
        if found is not None:
            return str(found)
    return sys.executable


def _venv_python(venv: Path) -> Path | None:
    for candidate in (venv / "bin" / "python", venv / "Scripts" / "python.exe"):
        if candidate.is_file():
            return candidate
    return None


def site_directories(settings: Settings) -> tuple[str, ...]:
    """The environment's ``site-packages`` directories: the stdlib is the catalog's business,
    and the project's own source is the project's."""
    return site_directories_of(find_interpreter(settings))


@lru_cache(maxsize=8)
def site_directories_of(interpreter: str) -> tuple[str, ...]:
    paths = _sys_path(interpreter)
    return tuple(
        path for path in paths
        if os.path.basename(path.rstrip(os.sep)) in ("site-packages", "dist-packages") and os.path.isdir(path)
    )


def _sys_path(interpreter: str) -> list[str]:
    if os.path.abspath(interpreter) == os.path.abspath(sys.executable):  # not realpath: venvs link
        return list(sys.path)
    try:
        done = subprocess.run(
            [interpreter, "-c", PRINT_PATH], capture_output=True, text=True, timeout=30, check=True
        )
        found = json.loads(done.stdout)
    except (OSError, subprocess.SubprocessError, ValueError):
        return []  # no usable environment: the shipped summaries still apply
    return [str(p) for p in found] if isinstance(found, list) else []
