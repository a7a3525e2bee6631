"""Time asyncsafe against ruff's ASYNC rules and flake8-async on real code, side by side, in one run.

    python bench/run.py                                  # both corpora, 5 repetitions, scaling row
    python bench/run.py --corpus django --repeat 3 --skip-flake8-async --no-scaling
    python bench/run.py --corpus prefect --corpus homeassistant --repeat 1 --cold-only --no-scaling

Corpora come from PyPI through ``bench/corpus.py`` (pinned releases): Django's own source, and an
async-heavy set (channels, daphne, django-ninja, adrf, strawberry-graphql-django, django-allauth).
Each row is the median of ``--repeat`` runs of a fresh process: wall time, CPU time (user+sys of
the process and the workers it waited for) and peak RSS (the largest single process). Machines
here are shared and noisy: read the ratios to ruff in the same run, not the seconds. Needs ``ruff``
and ``flake8`` + ``flake8-async`` (``pip install ruff flake8 flake8-async``).
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import subprocess
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from corpus import ASYNC_HEAVY, WORK, fetch  # noqa: E402

CORPORA: dict[str, tuple[str, ...]] = {
    "django": ("django",),
    "async-heavy": ASYNC_HEAVY,
    # Large applications (issue 15's targets), only on request: --corpus prefect / homeassistant.
    "prefect": ("prefect",),
    "homeassistant": ("homeassistant",),
}
DEFAULT_CORPORA = ("django", "async-heavy")
SCALES = (1, 2, 4, 8)


@dataclass(frozen=True)
class Sample:
    wall: float
    cpu: float
    rss_mib: float
    stdout: str


@dataclass(frozen=True)
class Row:
    name: str
    wall: float
    cpu: float
    rss_mib: float
    findings: int


# As installed: Python may keep bytecode (an editable install under PYTHONDONTWRITEBYTECODE would
# compile asyncsafe's modules from source on every run, which no installed tool does).
ENV = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}


def measure(command: list[str], cwd: Path | None = None) -> Sample:
    """One run of ``command``: wall, CPU and peak RSS from the kernel's accounting of the child."""
    start = time.perf_counter()
    process = subprocess.Popen(
        command, cwd=cwd, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True, env=ENV
    )
    stdout = process.stdout.read() if process.stdout else ""
    _, _, usage = os.wait4(process.pid, 0)
    wall = time.perf_counter() - start
    process.returncode = 0  # reaped above; keep Popen from waiting again
    return Sample(wall, usage.ru_utime + usage.ru_stime, usage.ru_maxrss / 1024, stdout)


def median_row(name: str, command: list[str], repeat: int, before: Callable[[], None] | None = None) -> Row:
    samples = []
    for _ in range(repeat):
        if before:
            before()
        samples.append(measure(command))
    return summarize(name, samples)


def summarize(name: str, samples: list[Sample]) -> Row:
    """Medians of the samples; findings counted in the last one."""
    return Row(
        name,
        statistics.median(s.wall for s in samples),
        statistics.median(s.cpu for s in samples),
        statistics.median(s.rss_mib for s in samples),
        len([line for line in samples[-1].stdout.splitlines() if ": " in line]),
    )


def tool(name: str) -> str:
    beside = Path(sys.executable).parent / name
    found = str(beside) if beside.exists() else shutil.which(name)
    if not found:
        sys.exit(f"bench: {name} is not installed (pip install ruff flake8 flake8-async)")
    return found


def assemble(corpus: str, copies: int = 1) -> Path:
    """The corpus as one tree (``copies`` times over, for the scaling row), with an empty config
    at its root so the project root (and the cache) is the corpus itself."""
    target = WORK / "corpora" / (corpus if copies == 1 else f"{corpus}-x{copies}")
    if not target.is_dir():
        partial = target.with_name(target.name + ".partial")
        shutil.rmtree(partial, ignore_errors=True)
        for copy in range(copies):
            for name in CORPORA[corpus]:
                shutil.copytree(fetch(name), partial / f"copy{copy}" / name, ignore=_not_python)
        (partial / "pyproject.toml").write_text("[tool.asyncsafe]\n", encoding="utf-8")
        partial.rename(target)
    return target


def _not_python(directory: str, names: list[str]) -> set[str]:
    return {n for n in names if not n.endswith(".py") and not os.path.isdir(os.path.join(directory, n))}


def describe(root: Path) -> str:
    files = list(root.rglob("*.py"))
    texts = [f.read_text(encoding="utf-8", errors="replace") for f in files]
    with_async = sum(1 for t in texts if "async def" in t)
    lines = sum(t.count("\n") for t in texts)
    return f"{len(files)} files, {lines} lines, {with_async} files with `async def`"


def async_files(root: Path, count: int) -> list[Path]:
    """``count`` files with an async body, spread evenly over the tree: the files a developer has
    just changed, in the edit row (one per repetition)."""
    found = [p for p in sorted(root.rglob("*.py")) if "async def" in p.read_text(encoding="utf-8", errors="replace")]
    if not found:
        raise SystemExit(f"bench: no async file under {root}")
    step = max(1, len(found) // count)
    return found[step // 2 :: step][:count]


def edit_row(name: str, command: list[str], files: list[Path]) -> Row:
    """Each sample: the cache is warm, one file (a different one each time) gets a new function
    appended, and the run is timed; the file is restored afterwards."""
    samples = []
    for target in files:
        original = target.read_bytes()
        measure(command)  # warm: only the edit below is new
        target.write_bytes(original + f"\n\ndef _bench_edit_{time.time_ns()}():\n    return 1\n".encode())
        try:
            samples.append(measure(command))
        finally:
            target.write_bytes(original)
    return summarize(name, samples)


def bench(corpus: str, repeat: int, skip_flake8_async: bool, cold_only: bool = False) -> list[Row]:
    root = assemble(corpus)
    print(f"\n== {corpus}: {describe(root)} ==")
    asyncsafe = [tool("asyncsafe"), "check", "-q", "--output-format", "concise", str(root)]
    clear = lambda: shutil.rmtree(root / ".asyncsafe_cache", ignore_errors=True)  # noqa: E731
    edited = async_files(root, repeat)
    touch = lambda: edited[0].touch()  # noqa: E731

    rows = [median_row("ruff check --select ASYNC --no-cache", [
        tool("ruff"), "check", "--no-cache", "--select", "ASYNC", "--isolated", "--output-format", "concise", str(root)
    ], repeat)]
    rows.append(median_row("asyncsafe cold (no cache)", asyncsafe, repeat, clear))
    rows.append(median_row("asyncsafe cold, --jobs 1", [*asyncsafe, "--jobs", "1"], repeat, clear))
    rows.append(median_row("asyncsafe cold, --jobs 2", [*asyncsafe, "--jobs", "2"], repeat, clear))
    if cold_only:
        print_table(rows, rows[0])
        return rows
    measure(asyncsafe)
    rows.append(median_row("asyncsafe warm (unchanged tree)", asyncsafe, repeat))
    rows.append(median_row("asyncsafe after touching one file (mtime only)", asyncsafe, repeat, touch))
    rows.append(edit_row("asyncsafe after editing one async file", asyncsafe, edited))
    if not skip_flake8_async:
        rows.append(median_row("flake8-async (flake8 --select ASYNC)", [
            tool("flake8"), "--isolated", "--select", "ASYNC", str(root)
        ], 1))
    rows.append(median_row("libcst parse of every file (baseline)", [sys.executable, "-c", PARSE_ALL, str(root)], 1))
    print_table(rows, rows[0])
    return rows


def scaling(corpus: str, repeat: int) -> None:
    print(f"\n== scaling: {corpus} copied 1x, 2x, 4x, 8x (cold asyncsafe, and ruff) ==")
    base: Row | None = None
    print("| copies | files | asyncsafe cold wall | vs 1x | ruff wall | asyncsafe/ruff |")
    print("|---:|---:|---:|---:|---:|---:|")
    for copies in SCALES:
        root = assemble(corpus, copies)
        clear = lambda: shutil.rmtree(root / ".asyncsafe_cache", ignore_errors=True)  # noqa: E731
        ours = median_row("asyncsafe", [tool("asyncsafe"), "check", "-q", "--output-format", "concise", str(root)], repeat, clear)
        ruff = median_row("ruff", [
            tool("ruff"), "check", "--no-cache", "--select", "ASYNC", "--isolated", "-q", str(root)
        ], repeat)
        base = base or ours
        files = sum(1 for _ in root.rglob("*.py"))
        print(f"| {copies}x | {files} | {ours.wall:.2f} s | {ours.wall / base.wall:.1f}x "
              f"| {ruff.wall:.2f} s | {ours.wall / ruff.wall:.0f}x |")


def print_table(rows: list[Row], reference: Row) -> None:
    print("| command | wall | vs ruff | CPU | peak RSS | findings |")
    print("|---|---:|---:|---:|---:|---:|")
    for row in rows:
        print(f"| {row.name} | {row.wall:.2f} s | {row.wall / reference.wall:.1f}x | {row.cpu:.2f} s "
              f"| {row.rss_mib:.0f} MiB | {row.findings} |")


PARSE_ALL = """
import sys, pathlib, libcst
for f in pathlib.Path(sys.argv[1]).rglob('*.py'):
    try:
        libcst.parse_module(f.read_text(encoding='utf-8'))
    except Exception:
        pass
"""


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--corpus", choices=sorted(CORPORA), action="append")
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--skip-flake8-async", action="store_true", help="it takes minutes on Django")
    parser.add_argument("--cold-only", action="store_true", help="only ruff and the cold rows (large corpora)")
    parser.add_argument("--no-scaling", action="store_true", help="skip the 1x-8x copies row")
    args = parser.parse_args()
    print(f"python {sys.version.split()[0]}, {os.cpu_count()} cores; medians of {args.repeat} runs")
    for corpus in args.corpus or DEFAULT_CORPORA:
        bench(corpus, args.repeat, args.skip_flake8_async, args.cold_only)
    if not args.no_scaling:
        scaling("django", max(1, args.repeat // 2))


if __name__ == "__main__":
    main()
