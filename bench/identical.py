"""Prove an engine change leaves the output byte-identical on every pinned corpus.

    python bench/identical.py --save                # record today's output (baseline-<commit>)
    python bench/identical.py                       # compare against the newest saved baseline
    python bench/identical.py --baseline DIR prefect django --jobs 1

For each corpus of ``bench/corpus.py`` (the triaged libraries and the large applications), runs
``asyncsafe check <tree> --no-cache --format json`` from the tree itself and compares stdout (and
the exit code) byte for byte with the saved baseline under ``bench/.work/baseline-<commit>/``.
A speed-up must not change a single finding; exit 1 lists the corpora that differ.
"""

from __future__ import annotations

import argparse
import difflib
import shutil
import subprocess
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from corpus import LARGE, PINNED, WORK, fetch  # noqa: E402


def output(name: str, extra: list[str]) -> bytes:
    """The tool's JSON for one corpus, run from the corpus root so paths are relative and stable."""
    asyncsafe = shutil.which("asyncsafe", path=str(Path(sys.executable).parent)) or "asyncsafe"
    done = subprocess.run(
        [asyncsafe, "check", ".", "--no-cache", "--format", "json", *extra],
        cwd=fetch(name), capture_output=True, check=False,
    )
    return done.stdout + f"\nexit {done.returncode}\n".encode()


def commit() -> str:
    here = Path(__file__).resolve().parent
    done = subprocess.run(["git", "rev-parse", "--short", "HEAD"], cwd=here, capture_output=True, text=True)
    return done.stdout.strip() or "unknown"


def newest_baseline() -> Path:
    found = sorted(WORK.glob("baseline-*"), key=lambda p: p.stat().st_mtime)
    if not found:
        sys.exit("identical: no baseline saved yet (run with --save first)")
    return found[-1]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("names", nargs="*", help="corpora (default: all of bench/corpus.py)")
    parser.add_argument("--save", action="store_true", help="record a new baseline for this commit")
    parser.add_argument("--baseline", type=Path, help="compare against this directory")
    parser.add_argument("--jobs", help="pass --jobs N to asyncsafe")
    args = parser.parse_args()
    extra = ["--jobs", args.jobs] if args.jobs else []
    names = args.names or [*PINNED, *LARGE]
    target = WORK / f"baseline-{commit()}" if args.save else (args.baseline or newest_baseline())
    target.mkdir(parents=True, exist_ok=True)
    differ = []
    for name in names:
        got = output(name, extra)
        saved = target / f"{name}.json"
        if args.save:
            saved.write_bytes(got)
            findings = got.count(b'"code":')
            print(f"saved {name}: {findings} findings")
            continue
        if not saved.exists():
            print(f"{name}: no baseline in {target}")
            differ.append(name)
        elif saved.read_bytes() != got:
            differ.append(name)
            diff = difflib.unified_diff(saved.read_text().splitlines(), got.decode().splitlines(), lineterm="", n=1)
            print(f"{name}: DIFFERS\n" + "\n".join(list(diff)[:20]))
        else:
            print(f"{name}: identical")
    if differ:
        sys.exit(f"identical: {len(differ)} corpora differ from {target}: {', '.join(differ)}")


if __name__ == "__main__":
    main()
