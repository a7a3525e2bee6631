"""Content-addressed JSON store under ``.asyncsafe_cache/<engine>/``: the call graph keeps each
module's facts here by content (``facts.py``); per-file results live in ``manifest.py``."""

from __future__ import annotations

import hashlib
import json
import os
import tempfile
from functools import lru_cache
from pathlib import Path
from typing import Any

CACHE_DIR_NAME = ".asyncsafe_cache"


@lru_cache(maxsize=1)
def engine_fingerprint() -> str:
    """Hash of asyncsafe's own code and catalog: any change invalidates every entry."""
    package = Path(__file__).resolve().parent.parent
    digest = hashlib.sha256()
    for file in sorted(package.rglob("*")):
        if file.suffix in (".py", ".toml"):
            digest.update(file.as_posix().encode())
            digest.update(file.read_bytes())
    return digest.hexdigest()[:16]


class Cache:
    def __init__(self, root: str, settings_fingerprint: str) -> None:
        self.directory = Path(root) / CACHE_DIR_NAME / engine_fingerprint()
        self.salt = settings_fingerprint

    def key(self, path: str, data: bytes, context: str = "") -> str:
        digest = hashlib.sha256()
        for part in (self.salt, path, context):
            digest.update(part.encode())
            digest.update(b"\0")
        digest.update(data)
        return digest.hexdigest()

    def get_json(self, key: str) -> Any:
        """The payload stored under ``key``, or None."""
        try:
            return json.loads((self.directory / key[:2] / key).read_text(encoding="utf-8"))
        except (OSError, ValueError):
            return None

    def put_json(self, key: str, payload: Any) -> None:
        target = self.directory / key[:2] / key
        try:
            target.parent.mkdir(parents=True, exist_ok=True)
            ensure_gitignore(self.directory.parent)
            handle, temp = tempfile.mkstemp(dir=target.parent, prefix=".tmp-")
            with os.fdopen(handle, "w", encoding="utf-8") as out:
                json.dump(payload, out)
            os.replace(temp, target)
        except OSError:
            pass  # a read-only tree just runs uncached


def ensure_gitignore(directory: Path) -> None:
    marker = directory / ".gitignore"
    if not marker.exists():
        marker.write_text("# created by asyncsafe\n*\n", encoding="utf-8")
