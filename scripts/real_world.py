#!/usr/bin/env python3
"""Run asyncsafe over pinned real-world libraries and join its findings with the triage verdicts.

    python scripts/real_world.py                 # every pinned library (bench/corpus.py)
    python scripts/real_world.py channels adrf   # some of them
    python scripts/real_world.py --markdown      # only the tables for docs/real-world.md

Each library (fetched once from PyPI by ``bench/corpus.py``) is checked on its own, with its
unpacked tree as the project root, so whole-program analysis (ASF5xx/ASF6xx) sees exactly that
library as "the project": ``asyncsafe check . --config asyncsafe-realworld.toml --no-cache
--format json`` run inside the tree, with an empty ``[tool.asyncsafe]`` config (the default rule
set), then once more with only the opt-in codes selected.

Every finding is looked up in ``docs/real-world-triage.toml`` by (library, path, line, code),
where a human recorded the verdict after reading the code: ``true`` (a real blocking call on the
event loop) or ``false-alarm-fixed`` (a false alarm the engine no longer reports). The exit
status is 1 when a finding has no verdict yet, when a fixed false alarm is reported again, or
when a confirmed finding disappeared, so the table stays reproducible and re-checkable.
"""

from __future__ import annotations

import argparse
import ast
import json
import subprocess
import sys
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

import tomllib

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "bench"))

from corpus import PINNED, fetch  # noqa: E402

TRIAGE = ROOT / "docs" / "real-world-triage.toml"
CONFIG_NAME = "asyncsafe-realworld.toml"
VERDICTS = ("true", "false-alarm-fixed")

Key = tuple[str, str, int, str]  # library, path inside the unpacked tree, line, code


@dataclass
class Result:
    library: str
    files: int
    async_functions: int
    findings: list[Key]
    opt_in: list[Key]
    confirmed: int = 0
    opt_in_confirmed: int = 0
    fixed: int = 0
    problems: list[str] = field(default_factory=list)


def opt_in_codes() -> list[str]:
    from asyncsafe.rules.registry import all_rules

    return [code for code, spec in all_rules().items() if not spec.default_enabled]


def check(library: str, tree: Path, *selection: str) -> list[Key]:
    """asyncsafe's findings over ``tree``, run from inside it so paths are relative to it."""
    (tree / CONFIG_NAME).write_text("[tool.asyncsafe]\n", encoding="utf-8")
    command = [
        sys.executable, "-m", "asyncsafe", "check", ".", "--config", CONFIG_NAME,
        "--no-cache", "--format", "json", "--quiet", *selection,
    ]
    done = subprocess.run(command, cwd=tree, capture_output=True, text=True)
    if done.returncode not in (0, 1):
        sys.exit(f"real_world: asyncsafe failed on {library} ({done.returncode}):\n{done.stderr}")
    return sorted(
        (library, item["path"].removeprefix("./"), item["line"], item["code"])
        for item in json.loads(done.stdout or "[]")
    )


def count_code(tree: Path) -> tuple[int, int]:
    """Python files and ``async def`` functions in the tree."""
    files = sorted(tree.rglob("*.py"))
    async_functions = 0
    for path in files:
        try:
            module = ast.parse(path.read_bytes())
        except (SyntaxError, ValueError):
            continue
        async_functions += sum(isinstance(node, ast.AsyncFunctionDef) for node in ast.walk(module))
    return len(files), async_functions


def load_triage(path: Path = TRIAGE) -> dict[Key, dict[str, object]]:
    entries = tomllib.loads(path.read_text(encoding="utf-8")).get("finding", [])
    triage: dict[Key, dict[str, object]] = {}
    for entry in entries:
        key = (entry["library"], entry["path"], int(entry["line"]), entry["code"])
        if entry.get("verdict") not in VERDICTS:
            sys.exit(f"real_world: {path.name}: {key}: verdict must be one of {VERDICTS}")
        if not str(entry.get("reason", "")).strip():
            sys.exit(f"real_world: {path.name}: {key}: a one-line reason is required")
        if key in triage:
            sys.exit(f"real_world: {path.name}: {key} is triaged twice")
        triage[key] = entry
    return triage


def judge(result: Result, triage: dict[Key, dict[str, object]]) -> None:
    """Join the findings (default and opt-in) with the verdicts; what does not match is a
    problem to look at."""
    reported = set(result.findings) | set(result.opt_in)
    for key in sorted(reported):
        verdict = triage.get(key, {}).get("verdict")
        if verdict is None:
            result.problems.append(f"not triaged: {_where(key)}")
        elif verdict == "false-alarm-fixed":
            result.problems.append(f"fixed false alarm reported again: {_where(key)}")
    result.confirmed = sum(triage.get(key, {}).get("verdict") == "true" for key in result.findings)
    result.opt_in_confirmed = sum(triage.get(key, {}).get("verdict") == "true" for key in result.opt_in)
    for key, entry in triage.items():
        if key[0] != result.library or key in reported:
            continue
        if entry["verdict"] == "false-alarm-fixed":
            result.fixed += 1
        else:
            result.problems.append(f"confirmed finding no longer reported: {_where(key)}")


def _where(key: Key) -> str:
    library, path, line, code = key
    return f"{library} {path}:{line} {code}"


def run(library: str, opt_in: list[str]) -> Result:
    tree = fetch(library)
    files, async_functions = count_code(tree)
    findings = check(library, tree)
    extra = check(library, tree, "--select", ",".join(opt_in)) if opt_in else []
    return Result(library, files, async_functions, findings, extra)


def by_code(keys: list[Key]) -> str:
    counts = Counter(code for *_, code in keys)
    return ", ".join(f"{code} ×{n}" for code, n in sorted(counts.items())) or "–"


def _opt_in(keys: list[Key], confirmed: int) -> str:
    return f"{by_code(keys)} ({confirmed} true)" if keys else "–"


def tables(results: list[Result]) -> str:
    lines = [
        "| library | version | files | async functions | findings | confirmed true | "
        "false alarms fixed | by code | opt-in findings (true) |",
        "| --- | --- | ---: | ---: | ---: | ---: | ---: | --- | --- |",
    ]
    for r in results:
        lines.append(
            f"| {r.library} | {PINNED[r.library]} | {r.files} | {r.async_functions} | "
            f"{len(r.findings)} | {r.confirmed} | {r.fixed} | {by_code(r.findings)} | "
            f"{_opt_in(r.opt_in, r.opt_in_confirmed)} |"
        )
    findings = sum(len(r.findings) for r in results)
    confirmed = sum(r.confirmed for r in results)
    share = f"{100 * confirmed / findings:.0f}%" if findings else "–"
    lines.append(
        f"| **total** | | {sum(r.files for r in results)} | "
        f"{sum(r.async_functions for r in results)} | {findings} | {confirmed} ({share}) | "
        f"{sum(r.fixed for r in results)} | {by_code([k for r in results for k in r.findings])} | "
        f"{_opt_in([k for r in results for k in r.opt_in], sum(r.opt_in_confirmed for r in results))} |"
    )
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("libraries", nargs="*", metavar="LIBRARY", help=f"of: {', '.join(PINNED)}")
    parser.add_argument("--markdown", action="store_true", help="print only the table")
    args = parser.parse_args()
    unknown = sorted(set(args.libraries) - set(PINNED))
    if unknown:
        parser.error(f"not pinned in bench/corpus.py: {', '.join(unknown)}")
    triage = load_triage()
    opt_in = opt_in_codes()
    results = [run(library, opt_in) for library in args.libraries or PINNED]
    for result in results:
        judge(result, triage)
    print(tables(results))
    problems = [problem for result in results for problem in result.problems]
    if not args.markdown:
        for result in results:
            for key in result.opt_in:
                print(f"opt-in: {_where(key)}")
        for problem in problems:
            print(problem)
    sys.exit(1 if problems else 0)


if __name__ == "__main__":
    main()
