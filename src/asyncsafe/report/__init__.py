"""Output formats. Each formatter turns a RunResult into the text written to stdout.

``text`` (default), ``json``, ``github`` (workflow annotations) and ``sarif`` (SARIF 2.1.0).
"""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Callable

from asyncsafe.diagnostics import Diagnostic, display_path
from asyncsafe.report.github import github
from asyncsafe.report.sarif import sarif
from asyncsafe.rules.registry import all_rules
from asyncsafe.run.runner import RunResult


def text(result: RunResult) -> str:
    return "".join(
        f"{display_path(d.path)}:{d.line}:{d.column}: {d.code} {d.message}\n" for d in result.diagnostics
    )


def json_format(result: RunResult) -> str:
    shown = [{**d.to_json(), "path": display_path(d.path)} for d in result.diagnostics]
    return json.dumps(shown, indent=2) + "\n"


def statistics(result: RunResult) -> str:
    counts = Counter(d.code for d in result.diagnostics)
    rules = all_rules()
    width = max((len(str(n)) for n in counts.values()), default=1)
    return "".join(
        f"{count:>{width}}  {code}  {rules[code].summary if code in rules else ''}\n"
        for code, count in sorted(counts.items(), key=lambda item: (-item[1], item[0]))
    )


def summary(result: RunResult, fixing: bool = False) -> str:
    checked = f"{_plural(result.files_checked, 'file')} checked"
    if result.errors:
        checked += f", {_plural(len(result.errors), 'path')} could not be checked"
    lines = [fixed_line(result, would=False)] if fixing and result.changes else []
    if not result.diagnostics:
        verdict = "No findings" if result.errors else "All checks passed"
        lines.append(f"{verdict} ({checked}).")
    else:
        files = len({d.path for d in result.diagnostics})
        count = _plural(len(result.diagnostics), "finding")
        lines.append(f"Found {count} in {_plural(files, 'file')} ({checked}).")
        lines += _fixable_hint(result.diagnostics, fixing)
    return "".join(f"{line}\n" for line in lines)


def fixed_line(result: RunResult, would: bool) -> str:
    fixed = _plural(result.fixed, "finding")
    files = _plural(len(result.changes), "file")
    return f"Would fix {fixed} in {files}." if would else f"Fixed {fixed} in {files}."


def _fixable_hint(diagnostics: list[Diagnostic], fixing: bool) -> list[str]:
    """How many findings --fix would rewrite (after --fix: only the unsafe ones left)."""
    safe = 0 if fixing else sum(d.fixable == "safe" for d in diagnostics)
    unsafe = sum(d.fixable == "unsafe" for d in diagnostics)
    if safe:
        more = f" ({unsafe} more with --unsafe-fixes)" if unsafe else ""
        return [f"{safe} fixable with --fix{more}."]
    return [f"{unsafe} fixable with --unsafe-fixes."] if unsafe else []


def _plural(count: int, noun: str) -> str:
    return f"{count} {noun}{'' if count == 1 else 's'}"


FORMATS: dict[str, Callable[[RunResult], str]] = {
    "text": text,
    "json": json_format,
    "github": github,
    "sarif": sarif,
}
