"""Output formats. Each formatter turns a RunResult into the text written to stdout.

``full`` (default: a code frame per finding), ``concise`` (one line a finding; ``text`` is its former
name); for machines ``json``, ``json-lines``, ``junit``, ``gitlab`` (Code Quality), ``pylint``,
``github`` (workflow annotations) and ``sarif`` (SARIF 2.1.0).
"""

from __future__ import annotations

import importlib
from collections.abc import Callable, Mapping

from asyncsafe.diagnostics import Diagnostic
from asyncsafe.report.human import Palette, concise, full
from asyncsafe.run.runner import RunResult


def summary(result: RunResult, fixing: bool = False) -> str:
    checked = f"{_plural(result.files_checked, 'file')} checked"
    if result.errors:
        checked += f", {_plural(len(result.errors), 'path')} could not be checked"
    if result.unparsed:
        checked += f", {_plural(result.unparsed, 'project file')} could not be parsed for facts"
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


# Formats for machines: the result alone decides the text. Named, not imported: the JSON and
# SARIF formats derive fix edits (libcst), which a warm run in a human format must not import.
FORMATS: dict[str, str] = {
    "json": "asyncsafe.report.machine:json_format",
    "json-lines": "asyncsafe.report.machine:json_lines",
    "junit": "asyncsafe.report.machine:junit",
    "gitlab": "asyncsafe.report.machine:gitlab",
    "pylint": "asyncsafe.report.machine:pylint",
    "github": "asyncsafe.report.github:github",
    "sarif": "asyncsafe.report.sarif:sarif",
}
# Formats for people (colors, code frames): rendered by ``render``.
HUMAN_FORMATS = ("full", "concise", "text")  # text: the former name of concise
OUTPUT_FORMATS = sorted((*FORMATS, *HUMAN_FORMATS))


def render(
    result: RunResult, name: str, colors: Palette = Palette(), texts: Mapping[str, str] | None = None
) -> str:
    if name == "full":
        return full(result, colors, texts)
    if name in HUMAN_FORMATS:
        return concise(result, colors)
    return formatter(name)(result)


def formatter(name: str) -> Callable[[RunResult], str]:
    """The machine format called ``name``: one of ``FORMATS``' keys (the CLI checks the name,
    also one from the environment); what is imported is only ever a value of that table."""
    module, function = FORMATS[name].split(":")
    found: Callable[[RunResult], str] = getattr(importlib.import_module(module), function)
    return found
