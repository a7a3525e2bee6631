"""A/B the warm path (unchanged tree, cache filled) of two asyncsafe source trees, interleaved.

    python bench/warm_ab.py --before /path/to/other/checkout/src --corpus django --repeat 15

Each side checks its own copy of the corpus (so their caches never meet) with the same interpreter,
alternating A and B so machine load hits both alike; prints each side's median wall time and the
ratio after/before. The signing key goes to a temporary user cache directory, not ~/.cache.
"""

from __future__ import annotations

import argparse
import os
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from corpus import fetch  # noqa: E402

HERE = Path(__file__).resolve().parent.parent / "src"


def run(source: Path, tree: Path, environment: dict[str, str]) -> tuple[float, float]:
    """Wall and CPU (user + sys) seconds of one run: CPU time is the steadier on a loaded machine."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    start = time.perf_counter()
    subprocess.run(
        [sys.executable, "-m", "asyncsafe", "check", "-q", "."], cwd=tree, env={**environment, "PYTHONPATH": str(source)},
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, check=False,
    )
    wall = time.perf_counter() - start
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    return wall, (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--before", type=Path, required=True, help="the other checkout's src directory")
    parser.add_argument("--after", type=Path, default=HERE, help="default: this checkout's src")
    parser.add_argument("--corpus", default="django")
    parser.add_argument("--repeat", type=int, default=15)
    args = parser.parse_args()
    corpus = fetch(args.corpus)
    with tempfile.TemporaryDirectory(prefix="asyncsafe-warm-ab-") as scratch:
        environment = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}
        environment["ASYNCSAFE_USER_CACHE_DIR"] = str(Path(scratch) / "user-cache")
        sides = {"before": args.before.resolve(), "after": args.after.resolve()}
        trees = {name: Path(scratch) / name for name in sides}
        for name, tree in trees.items():
            shutil.copytree(corpus, tree, ignore=shutil.ignore_patterns(".asyncsafe_cache"))
            run(sides[name], tree, environment)  # cold: fills the cache (and the bytecode)
            run(sides[name], tree, environment)
        times: dict[str, list[tuple[float, float]]] = {name: [] for name in sides}
        for _ in range(args.repeat):
            for name in sides:
                times[name].append(run(sides[name], trees[name], environment))
    for index, measure in enumerate(("wall", "CPU")):
        medians = {name: statistics.median(sample[index] for sample in values) for name, values in times.items()}
        for name, value in medians.items():
            print(f"{measure} {name}: median {value * 1000:.0f} ms over {args.repeat} warm runs ({sides[name]})")
        print(f"{measure} after/before: {medians['after'] / medians['before']:.3f}")


if __name__ == "__main__":
    main()
