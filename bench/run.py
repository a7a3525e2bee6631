"""Benchmark asyncsafe against ruff's ASYNC rules and flake8-async on real code, side by side.

    python bench/run.py                      # Django's own source + an async-heavy corpus
    python bench/run.py --corpus django --skip-flake8-async

Corpora are downloaded from PyPI (`pip download --no-deps`) into bench/.work/. Times are the best of
--repeat runs; machines here are shared and noisy, so read the ratios, not the seconds.
Needs `ruff` and `flake8` + `flake8-async` installed (pip install ruff flake8 flake8-async).
"""

from __future__ import annotations

import argparse
import shutil
import subprocess
import sys
import time
import zipfile
from collections.abc import Callable
from pathlib import Path

WORK = Path(__file__).resolve().parent / ".work"
CORPORA: dict[str, list[str]] = {
    "django": ["django==5.2.*"],
    "async-heavy": ["channels", "django-ninja", "adrf", "strawberry-graphql-django"],
}


def fetch(corpus: str) -> Path:
    target = WORK / corpus
    if target.is_dir():
        return target
    wheels = WORK / f"{corpus}-wheels"
    wheels.mkdir(parents=True, exist_ok=True)
    subprocess.run(
        [sys.executable, "-m", "pip", "download", "-q", "--no-deps", "--only-binary=:all:",
         "-d", str(wheels), *CORPORA[corpus]],
        check=True,
    )
    for wheel in wheels.glob("*.whl"):
        with zipfile.ZipFile(wheel) as archive:
            archive.extractall(target / wheel.stem)
    return target


def timed(command: list[str], repeat: int, before: Callable[[], None] | None = None) -> tuple[float, str]:
    best = float("inf")
    output = ""
    for _ in range(repeat):
        if before:
            before()
        start = time.perf_counter()
        done = subprocess.run(command, capture_output=True, text=True)
        best = min(best, time.perf_counter() - start)
        output = done.stdout
    return best, output


def tool(name: str) -> str:
    beside = Path(sys.executable).parent / name
    found = str(beside) if beside.exists() else shutil.which(name)
    if not found:
        sys.exit(f"bench: {name} is not installed (pip install ruff flake8 flake8-async)")
    return found


def count_lines(root: Path) -> tuple[int, int, int]:
    files = list(root.rglob("*.py"))
    texts = [f.read_text(encoding="utf-8", errors="replace") for f in files]
    with_async = sum(1 for t in texts if "async" in t or "await" in t)
    return len(files), sum(t.count("\n") for t in texts), with_async


def bench(corpus: str, repeat: int, skip_flake8_async: bool) -> None:
    root = fetch(corpus)
    files, lines, with_async = count_lines(root)
    print(f"\n== {corpus}: {files} files, {lines} lines, {with_async} files mention async/await ==")
    cache = root / ".asyncsafe_cache"
    clear = lambda: shutil.rmtree(cache, ignore_errors=True)  # noqa: E731
    # The same project root (the corpus) for every run: it decides which modules are "the project".
    asyncsafe = [tool("asyncsafe"), "check", "-q", str(root), "--config", str(_config(root))]
    rows: dict[str, tuple[float, str]] = {
        "asyncsafe (cold cache)": timed(asyncsafe, repeat, clear),
    }
    rows["asyncsafe (warm cache)"] = timed(asyncsafe, repeat)
    rows["asyncsafe (--jobs 1, no cache)"] = timed([*asyncsafe, "--no-cache", "--jobs", "1"], repeat)
    rows["ruff --select ASYNC"] = timed(
        [tool("ruff"), "check", "--no-cache", "--select", "ASYNC", "--isolated", "--output-format", "concise", str(root)],
        repeat,
    )
    if not skip_flake8_async:
        rows["flake8 --select ASYNC (flake8-async)"] = timed(
            [tool("flake8"), "--isolated", "--select", "ASYNC", str(root)], 1
        )
    rows["libcst parse of every file (baseline)"] = timed(
        [sys.executable, "-c", PARSE_ALL, str(root)], 1
    )
    reference = rows["ruff --select ASYNC"][0]
    width = max(len(name) for name in rows)
    for name, (seconds, output) in rows.items():
        findings = len([l for l in output.splitlines() if ": " in l])
        print(f"{name:<{width}}  {seconds:8.2f} s  {seconds / reference:8.1f}x ruff  findings: {findings}")


PARSE_ALL = """
import sys, pathlib, libcst
for f in pathlib.Path(sys.argv[1]).rglob('*.py'):
    try:
        libcst.parse_module(f.read_text(encoding='utf-8'))
    except Exception:
        pass
"""


def _config(root: Path) -> Path:
    """An empty config rooted at the corpus, so the cache lives there."""
    config = root / "asyncsafe-bench.toml"
    config.write_text("[tool.asyncsafe]\n", encoding="utf-8")
    return config


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--corpus", choices=sorted(CORPORA), action="append")
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--skip-flake8-async", action="store_true", help="it takes minutes on Django")
    args = parser.parse_args()
    for corpus in args.corpus or sorted(CORPORA, reverse=True):
        bench(corpus, args.repeat, args.skip_flake8_async)


if __name__ == "__main__":
    main()
