"""Differential check of the cache on real code: after every edit, a cached run equals a cold run.

    python bench/cache_check.py                      # Django's source (bench/corpus.py), 8 modules
    python bench/cache_check.py --root path/to/project --modules 20

Each chosen module (those the files with an async body import most) is edited
twice and restored after each edit: every ``return`` first sleeps (sync helpers start blocking, so
their async callers elsewhere get ASF6xx findings), then every top-level class is renamed (what
other modules import from it disappears). After each edit and each restore the cached run must
print exactly what ``--no-cache`` prints. Exits 1 on any difference.
"""

from __future__ import annotations

import argparse
import os
import re
import subprocess
import sys
from collections import Counter
from collections.abc import Callable
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from corpus import fetch  # noqa: E402

RETURN = re.compile(r"^(?P<indent>[ \t]+)return\b", re.MULTILINE)
CLASS = re.compile(r"^class (\w+)", re.MULTILINE)
IMPORT = re.compile(r"^\s*from\s+([\w.]+)\s+import", re.MULTILINE)
MUTATIONS: dict[str, Callable[[str], str]] = {
    "helpers block": lambda text: "import time as _t\n" + RETURN.sub(r"\g<indent>_t.sleep(0)\n\g<0>", text),
    "classes renamed": lambda text: CLASS.sub(r"class \1Renamed", text),
}


def check(root: Path, *extra: str) -> str:
    command = [sys.executable, "-m", "asyncsafe", "check", "-q", ".", *extra]
    return subprocess.run(command, cwd=root, capture_output=True, text=True).stdout


def write(path: Path, text: str) -> None:
    path.write_text(text, encoding="utf-8")
    stat = path.stat()  # a same-size rewrite within the clock's resolution must still count
    os.utime(path, ns=(stat.st_atime_ns, stat.st_mtime_ns + 1_000_000_000))


def most_imported(root: Path, count: int) -> list[Path]:
    """Modules that files with an async body import most: the dependencies whose edits matter."""
    files = {f: f.read_text(encoding="utf-8", errors="replace") for f in sorted(root.rglob("*.py"))}
    by_name = {".".join(f.relative_to(root).with_suffix("").parts): f for f in files}
    imported: Counter[Path] = Counter()
    for text in (t for t in files.values() if "async def" in t):
        for name in IMPORT.findall(text):
            for candidate, path in by_name.items():
                if candidate.endswith(name):
                    imported[path] += 1
    return [path for path, _ in imported.most_common(count)]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--root", type=Path, help="a project with [tool.asyncsafe] (default: Django)")
    parser.add_argument("--modules", type=int, default=8)
    args = parser.parse_args()
    root = args.root or fetch("django")
    if not (root / "pyproject.toml").exists():
        (root / "pyproject.toml").write_text("[tool.asyncsafe]\n", encoding="utf-8")
    check(root)
    failures = 0
    for module in most_imported(root, args.modules):
        original = module.read_text(encoding="utf-8")
        for name, mutate in MUTATIONS.items():
            for label, text in ((name, mutate(original)), ("restored", original)):
                write(module, text)
                cached, cold = check(root), check(root, "--no-cache")
                verdict = "same" if cached == cold else "DIFFERENT"
                failures += cached != cold
                print(f"{verdict:9} {len(cold.splitlines()):4} findings  {module.relative_to(root)}: {label}")
    print(f"{failures} difference(s)")
    return 1 if failures else 0


if __name__ == "__main__":
    raise SystemExit(main())
