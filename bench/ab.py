"""A/B: two versions of asyncsafe on one corpus, runs interleaved, CPU and wall medians side by side.

    git archive <commit> src | tar -x -C /tmp/before
    python bench/ab.py /tmp/before/src src --corpus django --repeat 5 -- --jobs 1

Each version runs as ``python -m asyncsafe check -q --no-cache <corpus> [args]`` with its ``src``
first on PYTHONPATH; A and B alternate, so a noisy machine slows both alike. CPU time (user+sys,
workers included) moves far less with the load than wall time; read both.
"""

from __future__ import annotations

import argparse
import statistics
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from run import CORPORA, ENV, assemble, measure  # noqa: E402


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("before", type=Path, help="the src directory of version A")
    parser.add_argument("after", type=Path, help="the src directory of version B")
    parser.add_argument("--corpus", choices=sorted(CORPORA), default="django")
    parser.add_argument("--repeat", type=int, default=5)
    options, rest = parser.parse_known_args()
    options.args = [arg for arg in rest if arg != "--"]  # passed to asyncsafe check
    root = assemble(options.corpus)
    samples: dict[str, list[tuple[float, float, float]]] = {"A": [], "B": []}
    for _ in range(options.repeat):
        for name, src in (("A", options.before), ("B", options.after)):
            ENV["PYTHONPATH"] = str(src.resolve())
            command = [sys.executable, "-m", "asyncsafe", "check", "-q", "--no-cache", str(root), *options.args]
            sample = measure(command)
            samples[name].append((sample.wall, sample.cpu, sample.rss_mib))
    print(f"{options.corpus}, asyncsafe check --no-cache {' '.join(options.args)}; medians of {options.repeat}")
    print("| version | wall | CPU | peak RSS |\n|---|---:|---:|---:|")
    for name, src in (("A", options.before), ("B", options.after)):
        wall, cpu, rss = (statistics.median(s[i] for s in samples[name]) for i in range(3))
        print(f"| {name}: {src} | {wall:.2f} s | {cpu:.2f} s | {rss:.0f} MiB |")
    ratio = statistics.median(b[1] / a[1] for a, b in zip(samples["A"], samples["B"]))
    print(f"B/A CPU (median of paired ratios): {ratio:.2f}")


if __name__ == "__main__":
    main()
