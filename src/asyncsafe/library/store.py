"""Library summaries on disk: one JSON file per (distribution, version, asyncsafe version) in the
user's cache directory, so a library is analyzed once per machine, not per project or run.

The directory: ``$ASYNCSAFE_USER_CACHE`` (tests point it at a temporary directory), else
``$XDG_CACHE_HOME/asyncsafe``, ``~/Library/Caches/asyncsafe`` (macOS), ``%LOCALAPPDATA%\\asyncsafe``
(Windows), ``~/.cache/asyncsafe``. A summary does not depend on the project's configuration
(``safe-calls`` and the selected codes apply when a finding is reported), so one file serves
every project. Files are written atomically; a damaged or foreign file is ignored and rewritten.
"""

from __future__ import annotations

import hashlib
import json
import os
import sys
import tempfile
from functools import lru_cache
from importlib import resources
from pathlib import Path
from typing import Any

from asyncsafe import __version__

ENVIRONMENT_VARIABLE = "ASYNCSAFE_USER_CACHE"
FORMAT = 1


def user_cache_dir() -> Path:
    explicit = os.environ.get(ENVIRONMENT_VARIABLE)
    if explicit:
        return Path(explicit)
    if os.environ.get("XDG_CACHE_HOME"):
        return Path(os.environ["XDG_CACHE_HOME"]) / "asyncsafe"
    if sys.platform == "darwin":
        return Path.home() / "Library" / "Caches" / "asyncsafe"
    if sys.platform == "win32" and os.environ.get("LOCALAPPDATA"):
        return Path(os.environ["LOCALAPPDATA"]) / "asyncsafe"
    return Path.home() / ".cache" / "asyncsafe"


@lru_cache(maxsize=1)
def analysis_digest() -> str:
    """What the summaries are computed with besides the library: the analysis code and the
    catalog. Part of every file name, so a development build never reads stale summaries."""
    digest = hashlib.blake2b(digest_size=6)
    for package in ("asyncsafe.library", "asyncsafe.catalog"):
        for entry in sorted(resources.files(package).iterdir(), key=lambda e: e.name):
            if entry.name.endswith((".py", ".toml")):
                digest.update(entry.name.encode() + entry.read_bytes())
    return digest.hexdigest()


def _file(distribution: str, version: str) -> Path:
    safe = "".join(c if c.isalnum() or c in "._-" else "_" for c in f"{distribution}-{version}")
    return user_cache_dir() / "library" / f"{safe}-asyncsafe-{__version__}-{analysis_digest()}.json"


def load(distribution: str, version: str) -> dict[str, Any]:
    try:
        data = json.loads(_file(distribution, version).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}
    if not isinstance(data, dict) or data.get("format") != FORMAT or data.get("asyncsafe") != __version__:
        return {}
    functions = data.get("functions")
    return functions if isinstance(functions, dict) else {}


def save(distribution: str, version: str, functions: dict[str, Any]) -> None:
    target = _file(distribution, version)
    payload = {"format": FORMAT, "asyncsafe": __version__, "distribution": distribution,
               "version": version, "functions": functions}
    try:
        target.parent.mkdir(parents=True, exist_ok=True)
        handle, temporary = tempfile.mkstemp(dir=target.parent, prefix=".summaries-", suffix=".tmp")
        with os.fdopen(handle, "w", encoding="utf-8") as stream:
            json.dump(payload, stream, sort_keys=True, separators=(",", ":"))
        os.replace(temporary, target)
    except OSError:
        pass  # a read-only cache only costs time: the next run analyzes again
