"""``# noqa`` / ``# noqa: ASF301,ASF302`` on the reported line (flake8's syntax)."""

from __future__ import annotations

import re
from collections.abc import Sequence

from asyncsafe.config import Settings, selector_matches
from asyncsafe.diagnostics import Diagnostic
from asyncsafe.engine.input.lines import split_lines

NOQA = re.compile(
    r"#\s*noqa(?::[\s]?(?P<codes>[A-Z]+[0-9]+(?:[,\s]+[A-Z]+[0-9]+)*))?",
    re.IGNORECASE,
)
CODE_SEP = re.compile(r"[,\s]+")


def suppressed_codes(line: str) -> set[str] | None:
    """None: no noqa; empty set: bare noqa (everything); else the listed codes."""
    if "noqa" not in line.lower():
        return None
    match = NOQA.search(line)
    if match is None:
        return None
    codes = match.group("codes")
    if not codes:
        return set()
    return {c.upper() for c in CODE_SEP.split(codes.strip()) if c}


def is_suppressed(diagnostic: Diagnostic, lines: Sequence[str]) -> bool:
    if not 0 < diagnostic.line <= len(lines):
        return False
    codes = suppressed_codes(lines[diagnostic.line - 1])
    if codes is None:
        return False
    return not codes or any(diagnostic.code.startswith(code) for code in codes)


def apply_noqa(diagnostics: Sequence[Diagnostic], text: str) -> list[Diagnostic]:
    if not diagnostics:
        return []
    lines = split_lines(text)
    return [d for d in diagnostics if not is_suppressed(d, lines)]


def drop_ignored(settings: Settings, path: str, diagnostics: Sequence[Diagnostic]) -> list[Diagnostic]:
    """Drop the codes ``per-file-ignores`` switches off for ``path``."""
    ignored = settings.ignored_in(path)
    if not ignored:
        return list(diagnostics)
    return [d for d in diagnostics if not any(selector_matches(d.code, code) for code in ignored)]
