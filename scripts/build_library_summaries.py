#!/usr/bin/env python3
"""Build the library summaries shipped in the wheel (src/asyncsafe/library/shipped.json).

Maintenance only (needs PyPI): ``pip download --no-deps`` fetches each pinned release below, the
wheels are unpacked side by side into one temporary site-packages directory (so chains between
them are followed), and every public function, class and method of each pinned distribution is
summarized exactly as a library installed in the project's environment would be
(``asyncsafe.library.summaries``). Only what blocks, on every path or on some, is kept.

    python scripts/build_library_summaries.py             # refresh shipped.json
    python scripts/build_library_summaries.py --check     # exit 1 if shipped.json is stale

``tests/test_library_shipped.py`` proves that the shipped entries of one small pinned library
equal what ``build()`` produces from its vendored wheel.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import zipfile
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "src"))

from asyncsafe.catalog import builtin_catalog  # noqa: E402
from asyncsafe.library.distributions import _dist_info_names, _top_level, module_file  # noqa: E402
from asyncsafe.library.reader import methods_of, read_module  # noqa: E402
from asyncsafe.library.store import ENVIRONMENT_VARIABLE  # noqa: E402
from asyncsafe.library.summaries import ROOT_FAMILIES, Library  # noqa: E402
from asyncsafe.rules.codes import CODES  # noqa: E402

TARGET = ROOT / "src" / "asyncsafe" / "library" / "shipped.json"
TOPS = TARGET.with_name("shipped_top_level.txt")

# Summarized and shipped (the libraries Django projects use most, issue 17).
PINNED = [
    "polib==1.2.0",
    "djangorestframework==3.16.1",
    "django-storages==1.14.6",
    "django-waffle==5.0.0",
    "django-filter==25.1",
    "GitPython==3.1.45",
    "email-validator==2.3.0",
    "PyJWT==2.10.1",
    "requests-oauthlib==2.0.0",
    "oauthlib==3.3.1",
    "slack-sdk==3.36.0",
    "python-docx==1.2.0",
    "openpyxl==3.1.5",
]
# Unpacked next to them so that chains into them are followed, but not shipped themselves.
SUPPORT = ["gitdb==4.0.12", "smmap==5.0.2", "dnspython==2.7.0", "requests==2.32.5", "et-xmlfile==2.0.0"]
SKIPPED_PARTS = frozenset({"tests", "test", "testing", "migrations"})


def download(requirements: list[str], directory: Path) -> list[Path]:
    subprocess.run(
        [sys.executable, "-m", "pip", "download", "--no-deps", "--only-binary", ":all:",
         "--dest", str(directory), *requirements],
        check=True,
    )
    return sorted(directory.glob("*.whl"))


def unpack(wheels: list[Path], site: Path) -> None:
    for wheel in wheels:
        with zipfile.ZipFile(wheel) as archive:
            archive.extractall(site)


def _modules_of(site: Path, top: str) -> list[str]:
    package = site / top
    if (site / f"{top}.py").is_file():
        return [top]
    found = []
    for path in sorted(package.rglob("*.py")):
        parts = path.relative_to(site).with_suffix("").parts
        if SKIPPED_PARTS.intersection(parts) or any(p.startswith("_") and p != "__init__" for p in parts):
            continue  # tests, and private modules (what they define is reached through public ones)
        found.append(".".join(parts[:-1] if parts[-1] == "__init__" else parts))
    return found


def _public_names(site: Path, module_name: str) -> list[tuple[str, bool, list[str]]]:
    """(qualname, is a class, public methods) of what a module defines or re-exports."""
    path = module_file(str(site), module_name)
    module = read_module(module_name, path) if path else None
    if module is None:
        return []
    top = module_name.split(".", 1)[0]
    names: list[tuple[str, bool, list[str]]] = []
    for name in sorted(module.classes):
        if not name.startswith("_"):
            names.append((f"{module_name}.{name}", True, _class_methods(site, f"{module_name}.{name}") or []))
    for name in sorted(module.functions):
        if not name.startswith("_"):
            names.append((f"{module_name}.{name}", False, []))
    if not path.endswith("__init__.py"):
        return names
    for name, target in sorted(module.imports.items()):  # a package's re-exports, as users spell them
        if not name.startswith("_") and target.split(".", 1)[0] == top and name not in module.classes:
            if module_file(str(site), target) is None:  # a submodule is no callable
                methods = _class_methods(site, target)
                names.append((f"{module_name}.{name}", methods is not None, methods or []))
    return names


def _class_methods(site: Path, qualname: str) -> list[str] | None:
    """The public methods of the class ``qualname`` names (None when it names no class)."""
    module_name, _, name = qualname.rpartition(".")
    path = module_file(str(site), module_name)
    module = read_module(module_name, path) if path else None
    if module is None or name not in module.classes:
        return None
    return sorted(m for m in methods_of(module.classes[name]) if not m.startswith("_"))


def build(wheels: list[Path], shipped: set[str] | None = None) -> dict[str, Any]:
    """Summaries of every public name of the wheels' distributions (``shipped``: the
    distribution names to keep; the others are only followed)."""
    with tempfile.TemporaryDirectory() as temporary:
        site = Path(temporary) / "site-packages"
        unpack(wheels, site)
        os.environ[ENVIRONMENT_VARIABLE] = str(Path(temporary) / "cache")  # never a user's summaries
        roots = frozenset(code for code, on in CODES.items() if on and code.startswith(ROOT_FAMILIES))
        library = Library((str(site),), builtin_catalog(), roots)
        result: dict[str, Any] = {}
        for name, version, dist_info in _dist_info_names(str(site)):
            key = name.replace("_", "-").lower()
            if shipped is not None and key not in shipped:
                continue
            result[key] = _summarize(library, site, version, sorted(_top_level(dist_info)))
    return {"format": 1, "distributions": dict(sorted(result.items()))}


def _summarize(library: Library, site: Path, version: str, tops: list[str]) -> dict[str, Any]:
    functions: dict[str, Any] = {}
    classes: set[str] = set()
    for top in tops:
        for module_name in _modules_of(site, top):
            for qualname, is_class, methods in _public_names(site, module_name):
                for name in (qualname, *(f"{qualname}.{m}" for m in methods)):
                    verdict = library.summary(name)
                    if verdict is not None:
                        functions[name] = verdict.to_json()
                        if is_class:
                            classes.add(qualname)
                if is_class and library.is_class(qualname) and any(
                    f"{qualname}.{m}" in functions for m in methods
                ):
                    classes.add(qualname)
    return {"version": version, "top_level": tops, "classes": sorted(classes),
            "functions": dict(sorted(functions.items()))}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--check", action="store_true", help="exit 1 if shipped.json is stale")
    parser.add_argument("--wheels", type=Path, help="download into (and reuse) this directory")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as temporary:
        wheels = download(PINNED + SUPPORT, args.wheels or Path(temporary))
        names = {r.split("==")[0].replace("_", "-").lower() for r in PINNED}
        data = build(wheels, names)
    text = json.dumps(data, sort_keys=True, separators=(",", ":")) + "\n"
    tops = "\n".join(sorted({t for entry in data["distributions"].values() for t in entry["top_level"]})) + "\n"
    if args.check:
        stale = TARGET.read_text(encoding="utf-8") != text or TOPS.read_text(encoding="utf-8") != tops
        print("stale" if stale else "up to date")
        return 1 if stale else 0
    TARGET.write_text(text, encoding="utf-8")
    TOPS.write_text(tops, encoding="utf-8")
    counts = {name: len(entry["functions"]) for name, entry in data["distributions"].items()}
    print(f"wrote {TARGET.relative_to(ROOT)} ({len(text) // 1024} KiB): {counts}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
