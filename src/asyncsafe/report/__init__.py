"""Output formats. Each formatter turns a RunResult into the text written to stdout."""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Callable

from asyncsafe.engine.runner import RunResult
from asyncsafe.rules.registry import all_rules


def text(result: RunResult) -> str:
    return "".join(
        f"{d.path}:{d.line}:{d.column}: {d.code} {d.message}\n" for d in result.diagnostics
    )


def json_format(result: RunResult) -> str:
    return json.dumps([d.to_json() for d in result.diagnostics], indent=2) + "\n"


def statistics(result: RunResult) -> str:
    counts = Counter(d.code for d in result.diagnostics)
    rules = all_rules()
    width = max((len(str(n)) for n in counts.values()), default=1)
    return "".join(
        f"{count:>{width}}  {code}  {rules[code].summary if code in rules else ''}\n"
        for code, count in sorted(counts.items(), key=lambda item: (-item[1], item[0]))
    )


def _plural(count: int, noun: str) -> str:
    return f"{count} {noun}{'s' if count != 1 else ''}"


def summary(result: RunResult) -> str:
    checked = f"{_plural(result.files_checked, 'file')} checked"
    if result.errors:
        checked += f", {_plural(len(result.errors), 'path')} could not be checked"
    if not result.diagnostics:
        verdict = "No findings" if result.errors else "All checks passed"
        return f"{verdict} ({checked}).\n"
    files = len({d.path for d in result.diagnostics})
    return (
        f"Found {_plural(len(result.diagnostics), 'finding')} in {_plural(files, 'file')} "
        f"({checked}).\n"
    )


FORMATS: dict[str, Callable[[RunResult], str]] = {"text": text, "json": json_format}
