"""The ``--fix`` round-trip properties, for one file's text (shared by tests and scripts/crashfree.py).

A change must compile (when the original did), be idempotent (fixing the result changes nothing),
and touch nothing but lines that hold findings, plus import lines (added, joined or left unused).
"""

from __future__ import annotations

import ast

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
    """Changed lines that hold no fixed finding. Fixes rewrite within lines; besides, an added
    import joins or enters the import block and an import left unused leaves it, so import
    statements (and blank lines) may appear, change or go anywhere. Nothing else may: the other
    lines ("code") of both versions, taken in order, pair up one to one, and a pair differs only
    on a line that holds a fixed finding."""
    old, new = _code_lines(before), _code_lines(after)
    if len(new) > len(old):
        return [f"{len(new) - len(old)} inserted lines that are not imports"]
    if len(new) < len(old):
        return ["the fixed file lost lines that are not imports"]
    stray = {number for (number, a), (_, b) in zip(old, new) if a != b and number not in fixed_lines}
    return [f"lines {sorted(stray)} changed but hold no fixed finding"] if stray else []


def _code_lines(text: str) -> list[tuple[int, str]]:
    imports = _import_lines(text)
    lines = text.splitlines(keepends=True)
    return [(n, line) for n, line in enumerate(lines, 1) if n not in imports and line.strip()]


def _import_lines(text: str) -> set[int]:
    """The lines of every import statement (all of a parenthesized one)."""
    try:
        tree = ast.parse(text)
    except (SyntaxError, ValueError, RecursionError, MemoryError):
        return {n for n, line in enumerate(text.splitlines(), 1) if _is_import_or_blank(line)}
    return {
        n
        for node in ast.walk(tree)
        if isinstance(node, (ast.Import, ast.ImportFrom))
        for n in range(node.lineno, (node.end_lineno or node.lineno) + 1)
    }


def _is_import_or_blank(line: str) -> bool:
    stripped = line.strip()
    return not stripped or stripped.startswith(("import ", "from "))


def _compiles(text: str) -> bool:
    try:
        compile(text, "<fixed>", "exec", dont_inherit=True)
    except (SyntaxError, ValueError, RecursionError, MemoryError):
        return False
    return True
