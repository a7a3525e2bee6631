"""Every text scan asyncsafe runs over whole files, fed a megabyte of adversarial text.

    python bench/adversarial.py              # each scan must finish in --limit seconds (default 5)
    python bench/adversarial.py --cli        # also run `asyncsafe check` on each text as a module

The scans (the async-def prefilter, the Django model-index prefilters, the client-import prefilter,
the coding cookie, noqa) run on every file of a project before anything is parsed; a regex that
backtracks quadratically turns one harmless file (a 288 KB docstring) into a CI denial of
service. Each input below targets one way a pattern can go quadratic: an unclosed ``(`` after
``class X``, whitespace runs across lines, a long dotted name before an alternation. A linear
scan of 1 MB takes milliseconds; the limit is generous so a loaded machine does not fail it.
Exits 1 when a scan exceeds the limit. A wall-clock guard, deliberately not a test assertion.

``--cli`` also times whole runs, parsing included (limit: 10x ``--limit``). Two inputs exceed it
for reasons outside the regexes: libcst takes about a minute to parse a module of 1,000,000
blank lines, and CPython's parser (``ast``) stalls on a 500,000-part dotted name in an import.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

from asyncsafe.catalog import builtin_catalog
from asyncsafe.deploy.deployment import async_view_signature
from asyncsafe.django import prefilter as django
from asyncsafe.engine.facts.exports import _package_pattern
from asyncsafe.engine.input.prefilter import might_hold_async, might_hold_async_data
from asyncsafe.engine.input.source import decode_source
from asyncsafe.run.noqa import apply_noqa, suppressed_codes

SIZE = 1_000_000


def repeat(unit: str) -> str:
    return unit * (SIZE // len(unit))


# name -> adversarial text (about 1 MB each)
INPUTS: dict[str, str] = {
    "unclosed class bases": repeat("class A(\n"),
    "class bases in a docstring": '"""\n' + repeat("class Foo(Bar, Baz,\n    ") + '"""\n',
    "class keyword then whitespace": "class" + " \n" * (SIZE // 2),
    "blank lines": "\n" * SIZE,
    "indented blank lines": repeat(" \n"),
    "label-like lines": repeat("    label \n"),
    "assignment chain": "A = " + "b." * (SIZE // 2),
    "long dotted import": "import " + "a" * SIZE,
    "long from-import": "from " + "a." * (SIZE // 2) + " import x\n",
    "relation then whitespace": repeat("ForeignKey" + " " * 100 + "\n"),
    "user model then whitespace": "AUTH_USER_MODEL" + " " * SIZE,
    "async then whitespace": repeat("async " + " \\\n" * 50),
    "noqa-like comment": "x = 1  # noqa: " + "A1, " * (SIZE // 4),
    "hashes": "#" * SIZE,
    "coding-like first line": "# " + "c" * SIZE + "\n",
}


def scans() -> dict[str, Callable[[str], object]]:
    imports = _package_pattern(builtin_catalog())
    return {
        "might_hold_async": might_hold_async,
        "might_hold_async_data": lambda text: might_hold_async_data(text.encode()),
        "django scan_signature": django.scan_signature,
        "django TOP_LEVEL_CLASS": lambda text: django.TOP_LEVEL_CLASS.findall(text),
        "django CLASS_BASES": lambda text: django.CLASS_BASES.findall(text),
        "django RELATION_TARGET": lambda text: django.RELATION_TARGET.findall(text),
        "django APP_LABEL": lambda text: django.APP_LABEL.findall(text),
        "django USER_MODEL_ASSIGNMENT": lambda text: django.USER_MODEL_ASSIGNMENT.findall(text),
        "client imports": lambda text: imports.findall(text),
        "coding cookie": lambda text: decode_source("x.py", text.encode()),
        "noqa": lambda text: [suppressed_codes(line) for line in text.split("\n")],
        "deploy async-view scan": async_view_signature,
        "apply_noqa": lambda text: apply_noqa([], text),
    }


def timed(function: Callable[[str], object], text: str) -> float:
    started = time.perf_counter()
    function(text)
    return time.perf_counter() - started


def run_cli(text: str, limit: float) -> float:
    """`asyncsafe check` on a project whose model module, apps.py and settings hold the text."""
    with tempfile.TemporaryDirectory() as directory:
        root = Path(directory)
        (root / "pyproject.toml").write_text("", encoding="utf-8")
        app = root / "app"
        app.mkdir()
        for name in ("__init__.py", "models.py", "apps.py", "settings.py"):
            (app / name).write_text(text if name != "__init__.py" else "", encoding="utf-8")
        (app / "views.py").write_text(
            "from app.models import A\n\n\nasync def view():\n    return A.objects.get()\n", encoding="utf-8"
        )
        started = time.perf_counter()
        command = [sys.executable, "-m", "asyncsafe", "check", "--no-cache", "-q", "."]
        try:
            subprocess.run(command, cwd=root, capture_output=True, timeout=limit * 20)
        except subprocess.TimeoutExpired:
            return float("inf")
        return time.perf_counter() - started


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--limit", type=float, default=5.0, help="seconds allowed per scan and input")
    parser.add_argument("--cli", action="store_true", help="also time the whole CLI on each input")
    args = parser.parse_args()
    slow: list[str] = []
    worst = (0.0, "")
    for scan_name, scan in scans().items():
        for input_name, text in INPUTS.items():
            seconds = timed(scan, text)
            worst = max(worst, (seconds, f"{scan_name} on {input_name!r}"))
            if seconds > args.limit:
                slow.append(f"{scan_name} on {input_name!r}: {seconds:.2f} s")
                print(f"SLOW  {slow[-1]}", flush=True)
    print(f"{len(scans())} scans x {len(INPUTS)} inputs of ~1 MB: slowest {worst[0] * 1000:.0f} ms ({worst[1]})")
    if args.cli:
        cli_limit = args.limit * 10  # start-up, discovery, parsing the 1 MB modules that parse
        for input_name, text in INPUTS.items():
            seconds = run_cli(text, args.limit)
            print(f"asyncsafe check on {input_name!r}: {seconds:.2f} s", flush=True)
            if seconds > cli_limit:
                slow.append(f"asyncsafe check on {input_name!r}: {seconds:.2f} s")
    for line in slow:
        print(f"over the limit: {line}", file=sys.stderr)
    return 1 if slow else 0


if __name__ == "__main__":
    os.environ.setdefault("PYTHONDONTWRITEBYTECODE", "1")
    raise SystemExit(main())
