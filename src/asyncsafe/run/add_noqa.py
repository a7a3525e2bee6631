"""``check --add-noqa``: silence every current finding with ``# noqa: CODE``, to adopt asyncsafe on a
large codebase and fail only on new findings from then on.

Each comment goes where flake8 (and ``asyncsafe check``) will look for it: on the finding's line,
or, when that line ends inside a multi-line string or with a backslash, on the last line of its
statement. A statement that already has ``# noqa: X`` gets the new codes merged into it (as ruff
does); a blanket ``# noqa`` already silences everything. The result is verified: every finding it
was meant to silence is silenced, or the file is left alone with a warning.
"""

from __future__ import annotations

import io
import re
import tokenize
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass

from asyncsafe.diagnostics import Diagnostic, FileError
from asyncsafe.engine.input.lines import split_lines
from asyncsafe.engine.input.source import Source, read_source
from asyncsafe.run.noqa import NOQA, apply_noqa, statement_lines, suppressed_codes

LINE = re.compile(r"(.*?)(\r\n|\r|\n|)$", re.DOTALL)


@dataclass(frozen=True)
class NoqaEdit:
    text: str  # the new file text
    added: int  # findings newly silenced


def add_noqa(source: Source, diagnostics: Sequence[Diagnostic]) -> NoqaEdit | str:
    """The text with a ``# noqa`` for each finding, or why it cannot be done safely."""
    lines = split_lines(source.text, keepends=True)
    statements = statement_lines(source.text)
    open_ends = _lines_continuing(source.text)
    wanted: dict[int, set[str]] = defaultdict(set)
    for diagnostic in diagnostics:
        wanted[_comment_line(diagnostic.line, lines, statements, open_ends)].add(diagnostic.code)
    for number, codes in wanted.items():
        if 0 < number <= len(lines):
            lines[number - 1] = _with_codes(lines[number - 1], codes)
    text = "".join(lines)
    if apply_noqa(diagnostics, text):
        return "a # noqa could not be placed where flake8 reads it; file left unchanged"
    return NoqaEdit(text, len(diagnostics))


def _comment_line(
    line: int, lines: Sequence[str], statements: dict[int, tuple[int, int]], open_ends: set[int]
) -> int:
    first, last = statements.get(line, (line, line))
    for number in range(first, last + 1):  # flake8 reads the first noqa of the statement: merge there
        if NOQA.search(_content(lines[number - 1])):
            return number
    return line if line not in open_ends else last


def _with_codes(line: str, codes: set[str]) -> str:
    content, end = _content(line), line[len(_content(line)) :]
    match = NOQA.search(content)
    if match is None:
        return f"{content.rstrip()}  # noqa: {', '.join(sorted(codes))}{end}"
    existing = suppressed_codes(match.group(0))
    if not existing:  # a blanket noqa: already silent
        return line
    listed = [c.strip() for c in re.split(r"[,\s]", match.group("codes")) if c.strip()]
    merged = listed + sorted(c for c in codes if not c.startswith(tuple(listed)))
    stop = match.start("codes") + len(match.group("codes").rstrip(", \t"))
    return f"{content[: match.start()]}# noqa: {', '.join(merged)}{content[stop:]}{end}"


def _content(line: str) -> str:
    found = LINE.match(line)
    assert found is not None
    return found.group(1)


def _lines_continuing(text: str) -> set[int]:
    """Lines whose end is inside a token (a multi-line string) or a backslash continuation:
    a comment appended there would become part of the string, or a syntax error."""
    lines = split_lines(text)
    continuing = {n for n, line in enumerate(lines, 1) if line.rstrip(" \t\f").endswith("\\")}
    source = "".join(f"{line}\n" for line in lines)
    try:
        for token in tokenize.generate_tokens(io.StringIO(source).readline):
            continuing.update(range(token.start[0], token.end[0]))
    except (tokenize.TokenError, SyntaxError):
        pass
    return continuing


def write_noqa(diagnostics: Sequence[Diagnostic]) -> tuple[int, int, list[str]]:
    """Add the comments file by file (each replaced atomically): (findings silenced, files
    changed, one line per file that could not be changed)."""
    from asyncsafe.fix import FileChange, write_atomically

    by_path: dict[str, list[Diagnostic]] = defaultdict(list)
    for diagnostic in diagnostics:
        by_path[diagnostic.path].append(diagnostic)
    added, files, problems = 0, 0, []
    for path, found in sorted(by_path.items()):
        source = read_source(path)
        if isinstance(source, FileError):
            problems.append(str(source))
            continue
        edit = add_noqa(source, found)
        if isinstance(edit, str):
            problems.append(f"{path}: warning: {edit}")
            continue
        change = FileChange(path, source.data, edit.text.encode(source.encoding), source.encoding, edit.added, tuple(found))
        error = write_atomically(change)
        if error is not None:
            problems.append(str(error))
            continue
        added, files = added + edit.added, files + 1
    return added, files, problems
