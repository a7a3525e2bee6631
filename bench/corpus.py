"""Pinned real-world corpora from PyPI, shared by the benchmark, the real-world triage and the crash-free run.

    python bench/corpus.py                 # fetch every library, print where each one is
    python bench/corpus.py channels adrf   # fetch some

Each library is downloaded once with ``pip download --no-deps`` (a wheel when there is one, else the
sdist) and unpacked under ``bench/.work/src/<name>-<version>/``. Versions are pinned so that a table
in the docs can be reproduced exactly.
"""

from __future__ import annotations

import subprocess
import sys
import tarfile
import zipfile
from pathlib import Path

WORK = Path(__file__).resolve().parent / ".work"

PINNED: dict[str, str] = {
    "django": "5.2.19",
    "channels": "4.3.2",
    "daphne": "4.2.3",
    "django-ninja": "1.7.1",
    "adrf": "0.1.14",
    "strawberry-graphql-django": "0.93.0",
    "django-allauth": "65.21.1",
    "channels-redis": "4.3.0",
    "uvicorn": "0.54.0",
    # Django apps that ship async views, consumers or middleware of their own.
    "django-async-extensions": "0.0.5",
    "djangochannelsrestframework": "1.3.0",
    "django-mcp-server": "0.5.7",
    "django-eventstream": "5.3.4",
    "django-htmx": "1.29.0",
    "django-tasks": "0.12.0",
    "django-debug-toolbar": "8.0.0",
    "django-ai-assistant": "0.4.0",
    "strawberry-graphql": "0.341.2",
    "django-ninja-extra": "0.31.7",
    "django-ninja-jwt": "5.4.5",
    "django-health-check": "4.8.0",
    "channels-postgres": "1.1.4",
    "django-socio-grpc": "0.25.0",
    "openwisp-notifications": "1.3",
    "django-browser-reload": "1.21.0",
    "django-asgi-lifespan": "0.5.4",
}

# Large applications for the cold-run and memory targets (issue 15): not triaged and not part of the
# real-world or crash-free runs, only timed and compared byte for byte (bench/identical.py).
LARGE: dict[str, str] = {
    "prefect": "3.9.1",  # ~500 modules, async throughout: the courtlistener/prefect-size target
    "homeassistant": "2024.3.3",  # ~6,300 modules, 4,300 with async code: the memory target
}

# The async-heavy group the benchmark times next to Django's own source.
ASYNC_HEAVY = ("channels", "daphne", "django-ninja", "adrf", "strawberry-graphql-django", "django-allauth")


def fetch(name: str) -> Path:
    """The unpacked source tree of the pinned release of ``name`` (downloaded on first use)."""
    version = PINNED.get(name) or LARGE[name]
    target = WORK / "src" / f"{name}-{version}"
    if target.is_dir():
        return target
    downloads = WORK / "downloads"
    downloads.mkdir(parents=True, exist_ok=True)
    archive = _download(name, version, downloads)
    partial = target.with_name(target.name + ".partial")
    _unpack(archive, partial)
    partial.rename(target)  # only a complete tree ever has the final name
    return target


def _download(name: str, version: str, downloads: Path) -> Path:
    stem = name.replace("-", "_").lower()
    for found in downloads.iterdir():
        if found.name.lower().startswith(f"{stem}-{version}") and _is_archive(found):
            return found
    subprocess.run(
        [sys.executable, "-m", "pip", "download", "-q", "--no-deps", "--prefer-binary",
         "-d", str(downloads), f"{name}=={version}"],
        check=True,
    )
    return _download(name, version, downloads)


def _is_archive(path: Path) -> bool:
    return path.suffix == ".whl" or path.name.endswith((".tar.gz", ".zip"))


def _unpack(archive: Path, target: Path) -> None:
    if archive.name.endswith(".tar.gz"):
        with tarfile.open(archive) as tar:
            tar.extractall(target, filter="data")
    else:
        with zipfile.ZipFile(archive) as zipped:
            zipped.extractall(target)


def main() -> None:
    for name in sys.argv[1:] or PINNED:
        print(f"{name}=={PINNED.get(name) or LARGE[name]}\t{fetch(name)}")


if __name__ == "__main__":
    main()
