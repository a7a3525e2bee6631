"""``# noqa`` comments, read exactly as flake8 reads them, plus asyncsafe's file-level form.

Inline (flake8's own regular expression and rules, so ``asyncsafe check`` and ``flake8`` agree):
``# noqa`` (one space; ``#noqa`` is not a noqa), ``# noqa: ASF301,ASF302`` / ``# noqa:ASF301``
(codes compared as written: ``# noqa: asf301`` suppresses nothing; a prefix ``ASF3`` suppresses
ASF301...), and ``# noqa : X`` or ``# noqa: ASF`` (no code after the colon) suppress everything. The
comment is searched in the whole statement the finding's line belongs to, as flake8 maps a line of a
multi-line statement to all its physical lines.

File level: a line ``# flake8: noqa`` (anything after it is ignored, as flake8 does) skips the file,
as in flake8; ``# asyncsafe: noqa`` skips it for asyncsafe only, ``# asyncsafe: noqa: ASF301,ASF4``
only those codes (case-insensitive). Both must stand alone on their line.
"""

from __future__ import annotations

import io
import re
import tokenize
from collections.abc import Sequence

from asyncsafe.config import Settings, selector_matches
from asyncsafe.diagnostics import Diagnostic
from asyncsafe.engine.input.lines import split_lines

# flake8.defaults.NOQA_INLINE_REGEXP and NOQA_FILE, verbatim.
NOQA = re.compile(r"# noqa(?::[\s]?(?P<codes>([A-Z]+[0-9]+(?:[,\s]+)?)+))?", re.IGNORECASE)
FLAKE8_FILE_NOQA = re.compile(r"\s*# flake8[:=]\s*noqa", re.IGNORECASE)
ASYNCSAFE_FILE_NOQA = re.compile(
    r"\s*# asyncsafe[:=]\s*noqa(?::\s?(?P<codes>[A-Z]+[0-9]*(?:[,\s]+[A-Z]+[0-9]*)*))?\s*$", re.IGNORECASE
)
CODE_SEP = re.compile(r"[,\s]")


def suppressed_codes(line: str) -> set[str] | None:
    """None: no noqa; empty set: bare noqa (everything); else the listed codes, as written."""
    match = NOQA.search(line)
    if match is None:
        return None
    codes = match.group("codes")
    if codes is None:
        return set()
    return {code.strip() for code in CODE_SEP.split(codes) if code.strip()}


def file_suppression(lines: Sequence[str]) -> set[str] | None:
    """None: the file is checked; empty set: skipped whole; else the codes it switches off."""
    codes: set[str] = set()
    for line in lines:
        if "noqa" not in line.lower():
            continue
        if FLAKE8_FILE_NOQA.match(line):
            return set()
        match = ASYNCSAFE_FILE_NOQA.match(line)
        if match is not None:
            if match.group("codes") is None:
                return set()
            codes.update(c.upper() for c in CODE_SEP.split(match.group("codes")) if c)
    return codes or None


def statement_lines(text: str) -> dict[int, tuple[int, int]]:
    """Line -> (first, last) line of the statement it belongs to (flake8's noqa line mapping);
    empty when the file does not tokenize (flake8 then reads the physical line alone)."""
    lines = [f"{line}\n" for line in split_lines(text)]
    mapping: dict[int, tuple[int, int]] = {}
    first, last = len(lines) + 2, -1
    try:
        for token in tokenize.generate_tokens(io.StringIO("".join(lines)).readline):
            if token.type in (tokenize.ENDMARKER, tokenize.DEDENT):
                continue
            first, last = min(first, token.start[0]), max(last, token.end[0])
            if token.type in (tokenize.NL, tokenize.NEWLINE):
                mapping.update(dict.fromkeys(range(first, last + 1), (first, last)))
                first, last = len(lines) + 2, -1
    except (tokenize.TokenError, SyntaxError):
        return {}
    return mapping


def is_suppressed(diagnostic: Diagnostic, lines: Sequence[str], statements: dict[int, tuple[int, int]]) -> bool:
    if not 0 < diagnostic.line <= len(lines):
        return False
    first, last = statements.get(diagnostic.line, (diagnostic.line, diagnostic.line))
    codes = suppressed_codes("\n".join(lines[first - 1 : last]))
    if codes is None:
        return False
    return not codes or diagnostic.code.startswith(tuple(codes))


def apply_noqa(diagnostics: Sequence[Diagnostic], text: str) -> list[Diagnostic]:
    if not diagnostics:
        return []
    lines = split_lines(text)
    kept = drop_file_suppressed(diagnostics, lines)
    if not kept or "# noqa" not in text.lower():
        return kept
    statements = statement_lines(text)
    return [d for d in kept if not is_suppressed(d, lines, statements)]


def drop_file_suppressed(diagnostics: Sequence[Diagnostic], lines: Sequence[str]) -> list[Diagnostic]:
    """What the file-level comments leave (``# flake8: noqa``, ``# asyncsafe: noqa[: codes]``)."""
    codes = file_suppression(lines)
    if codes is None:
        return list(diagnostics)
    if not codes:
        return []
    return [d for d in diagnostics if not any(selector_matches(d.code, code) for code in codes)]


def drop_ignored(settings: Settings, path: str, diagnostics: Sequence[Diagnostic]) -> list[Diagnostic]:
    """Drop the codes ``per-file-ignores`` switches off for ``path``."""
    ignored = settings.ignored_in(path)
    if not ignored:
        return list(diagnostics)
    return [d for d in diagnostics if not any(selector_matches(d.code, code) for code in ignored)]
