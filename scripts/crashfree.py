"""Crash-free over real code: the real CLI over every library pinned in bench/corpus.py (Django,
channels, daphne, django-ninja, adrf, strawberry-graphql-django, django-allauth, channels-redis,
uvicorn and the real-world triage set).

    python scripts/crashfree.py                # check every pinned library
    python scripts/crashfree.py --fix          # also --fix a copy of each and check the round trip
    python scripts/crashfree.py channels adrf  # some libraries only

Every stderr line is sorted into an internal error (a bug: must be zero), a file error (a file the
library ships that Python itself rejects, e.g. Django's deliberately broken test fixtures) or a
warning; a traceback or a signal is a crash. With ``--fix``: files without a finding stay
byte-identical, fixed files compile, a second ``--diff`` finds nothing, and every changed line
holds a finding (imports may be inserted). Exit status 1 when anything is wrong.
"""

from __future__ import annotations

import argparse
import json
import shutil
import subprocess
import sys
import tempfile
from collections import Counter
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path[:0] = [str(ROOT / "bench"), str(ROOT / "tests")]

from corpus import PINNED, fetch  # noqa: E402
from roundtrip import _compiles, _stray_edits  # noqa: E402

CLI = str(Path(sys.executable).parent / "asyncsafe")


def asyncsafe(*args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    command = [CLI, "check", "--no-cache", "-q", "--output-format", "concise", *args]  # a finding a line
    return subprocess.run(command, cwd=cwd, capture_output=True, text=True)


def classify(result: subprocess.CompletedProcess[str]) -> Counter[str]:
    kinds: Counter[str] = Counter()
    if result.returncode < 0 or "Traceback (most recent call last)" in result.stderr:
        kinds["crash"] += 1
    for line in result.stderr.splitlines():
        if ": error: internal error" in line:
            kinds["internal error"] += 1
            print(f"    INTERNAL {line}")
        elif ": error: " in line:
            kinds["file error"] += 1
        elif ": warning: " in line:
            kinds["warning"] += 1
            print(f"    {line}")
    return kinds


def check_library(tree: Path) -> Counter[str]:
    result = asyncsafe(".", cwd=tree)
    kinds = classify(result)
    kinds["finding"] = len(result.stdout.splitlines())
    return kinds


def fix_library(tree: Path) -> Counter[str]:
    report = asyncsafe("--format", "json", ".", cwd=tree)
    fixed_lines: dict[str, set[int]] = {}
    for d in json.loads(report.stdout or "[]"):
        fixed_lines.setdefault(d["path"], set()).update(range(d["line"], d["end_line"] + 1))
    problems: Counter[str] = Counter()
    with tempfile.TemporaryDirectory() as scratch:
        copy = Path(scratch) / tree.name
        shutil.copytree(tree, copy, symlinks=True)
        fixing = classify(asyncsafe("--fix", ".", cwd=copy))
        problems += Counter({kind if kind in ("crash", "internal error") else f"{kind} (--fix)": n
                             for kind, n in fixing.items()})
        for original in sorted(tree.rglob("*.py")):
            relative = original.relative_to(tree).as_posix()
            before, after = original.read_bytes(), (copy / relative).read_bytes()
            if before == after:
                continue
            problems["fixed file"] += 1
            if relative not in fixed_lines:
                problems["changed without a finding"] += 1
                print(f"    CHANGED {relative} had no finding")
            text_before, text_after = before.decode("utf-8", "replace"), after.decode("utf-8", "replace")
            if _compiles(text_before) and not _compiles(text_after):
                problems["does not compile"] += 1
                print(f"    BROKEN {relative}")
            for stray in _stray_edits(text_before, text_after, fixed_lines.get(relative, set())):
                problems["stray edit"] += 1
                print(f"    STRAY {relative}: {stray}")
        again = asyncsafe("--diff", ".", cwd=copy)
        if again.stdout:
            problems["not idempotent"] += 1
            print(f"    NOT IDEMPOTENT:\n{again.stdout[:2000]}")
    return problems


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("names", nargs="*", default=list(PINNED), help="libraries from bench/corpus.py")
    parser.add_argument("--fix", action="store_true", help="also check --fix round trips on a copy")
    args = parser.parse_args()
    bad = ("crash", "internal error", "changed without a finding", "does not compile",
           "stray edit", "not idempotent")
    total: Counter[str] = Counter()
    for name in args.names:
        tree = fetch(name)
        files = sum(1 for _ in tree.rglob("*.py"))
        kinds = check_library(tree)
        if args.fix:
            kinds += fix_library(tree)
        total += kinds
        summary = ", ".join(f"{count} {kind}" for kind, count in sorted(kinds.items()))
        print(f"{name}=={PINNED[name]}: {files} files: {summary or 'clean'}")
    print("total: " + ", ".join(f"{count} {kind}" for kind, count in sorted(total.items())))
    return 1 if any(total[kind] for kind in bad) else 0


if __name__ == "__main__":
    raise SystemExit(main())
