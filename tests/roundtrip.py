"""The ``--fix`` round-trip properties, for one file's text (shared by tests and scripts/crashfree.py).

A change must compile (when the original did), be idempotent (fixing the result changes nothing),
and touch nothing but lines that hold findings, plus import lines (added, joined or left unused).
"""

from __future__ import annotations

import ast
import difflib

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
    statements (and blank lines) may appear, change or go anywhere. Nothing else may."""
    old, new = before.splitlines(keepends=True), after.splitlines(keepends=True)
    old_imports, new_imports = _import_lines(before), _import_lines(after)
    stray: set[int] = set()
    inserted: list[str] = []
    matcher = difflib.SequenceMatcher(None, old, new, autojunk=False)
    for tag, i1, i2, j1, j2 in matcher.get_opcodes():
        if tag == "equal":
            continue
        old_code = [i for i in range(i1 + 1, i2 + 1) if i not in old_imports and old[i - 1].strip()]
        new_code = [j for j in range(j1 + 1, j2 + 1) if j not in new_imports and new[j - 1].strip()]
        stray |= {i for i in old_code if i not in fixed_lines}
        if len(new_code) > len(old_code):
            inserted += [new[j - 1] for j in new_code[len(old_code):]]
    if len(new) - len(_blank_or_import(new, new_imports)) < len(old) - len(_blank_or_import(old, old_imports)):
        return ["the fixed file lost lines that are not imports"]
    if inserted:
        return [f"{len(inserted)} inserted lines that are not imports"]
    return [f"lines {sorted(stray)} changed but hold no fixed finding"] if stray else []


def _blank_or_import(lines: list[str], imports: set[int]) -> list[int]:
    return [n for n, line in enumerate(lines, 1) if n in imports or not line.strip()]


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
