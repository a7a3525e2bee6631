"""The ``--fix`` round-trip properties, for one file's text (shared by tests and scripts/crashfree.py).

A change must compile (when the original did), be idempotent (fixing the result changes nothing),
and touch nothing but lines that hold findings, plus inserted import lines.
"""

from __future__ import annotations

from asyncsafe.config import Settings
from asyncsafe.engine.facts.project import Project
from asyncsafe.engine.input.source import Source
from asyncsafe.fix import fix_source


def roundtrip_problems(
    source: Source, settings: Settings, project: Project | None = None, *, unsafe: bool = False
) -> list[str]:
    """What is wrong with fixing ``source`` (empty: nothing, or no fix applies)."""
    outcome = fix_source(source, settings, project, unsafe=unsafe)
    change = outcome.change
    if outcome.error is not None or change is None:
        return []
    after = change.after.decode(source.encoding)
    if after.startswith("\ufeff"):
        after = after[1:]
    problems = []
    if _compiles(source.text) and not _compiles(after):
        problems.append("the fixed file does not compile")
    again = fix_source(Source(source.path, change.after, after, source.encoding), settings, project, unsafe=unsafe)
    if again.change is not None:
        problems.append("not idempotent: fixing the fixed file changes it again")
    # Lines holding a finding: a fix rewrites only there. (Not only the findings marked fixable
    # at first: a fix can make another one possible, and fixing repeats until nothing is left.)
    fixed_lines = {line for d in change.diagnostics_before for line in range(d.line, d.end_line + 1)}
    problems += _stray_edits(source.text, after, fixed_lines)
    return problems


def _stray_edits(before: str, after: str, fixed_lines: set[int]) -> list[str]:
    """Changed lines that hold no fixed finding. Fixes rewrite within lines and may insert one
    block of import (and blank) lines; a line diff can misalign repeated lines, so every place
    such a block could sit is tried and the best alignment judged."""
    old, new = before.splitlines(keepends=True), after.splitlines(keepends=True)
    extra = len(new) - len(old)
    if extra < 0:
        return [f"the fixed file lost {-extra} lines"]
    best: set[int] | None = None
    for at in range(len(new) - extra + 1):
        if not all(_is_import_or_blank(line) for line in new[at:at + extra]):
            continue
        kept = new[:at] + new[at + extra:]
        stray = {number for number, (a, b) in enumerate(zip(old, kept), 1) if a != b} - fixed_lines
        if best is None or len(stray) < len(best):
            best = stray
        if not best:
            return []
    if best is None:
        return [f"{extra} inserted lines that are not imports"]
    return [f"lines {sorted(best)} changed but hold no fixed finding"]


def _is_import_or_blank(line: str) -> bool:
    stripped = line.strip()
    return not stripped or stripped.startswith(("import ", "from "))


def _compiles(text: str) -> bool:
    try:
        compile(text, "<fixed>", "exec", dont_inherit=True)
    except (SyntaxError, ValueError, RecursionError, MemoryError):
        return False
    return True
