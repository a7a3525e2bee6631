"""What a person reads: ``full`` (the default: each finding with a code frame), ``concise`` (one
line a finding), ``--statistics``, ``--show-fixes``; colored on a terminal.

Colors: ``--color always|never|auto``; with ``auto`` (the default), ``NO_COLOR`` (non-empty) turns
them off, ``FORCE_COLOR`` (non-empty) on, else only a terminal gets them (https://no-color.org).
Every file name, message and source line passes through ``escape``.
"""

from __future__ import annotations

import os
from collections import Counter
from collections.abc import Mapping
from dataclasses import dataclass
from typing import TextIO

from asyncsafe.diagnostics import Diagnostic, escape
from asyncsafe.engine.input.lines import split_lines
from asyncsafe.engine.input.source import Source, read_source
from asyncsafe.rules.codes import TITLES
from asyncsafe.run.runner import RunResult

FRAME_LINES = 3  # a longer finding shows its first lines and an ellipsis


@dataclass(frozen=True)
class Palette:
    enabled: bool = False

    def _sgr(self, code: str, text: str) -> str:
        return f"\x1b[{code}m{text}\x1b[0m" if self.enabled and text else text

    def bold(self, text: str) -> str:
        return self._sgr("1", text)

    def code(self, text: str) -> str:
        return self._sgr("1;31", text)

    def caret(self, text: str) -> str:
        return self._sgr("31", text)

    def gutter(self, text: str) -> str:
        return self._sgr("34", text)

    def hint(self, text: str) -> str:
        return self._sgr("36", text)


def palette(choice: str, stream: TextIO, environ: Mapping[str, str] = os.environ) -> Palette:
    if choice != "auto":
        return Palette(choice == "always")
    if environ.get("NO_COLOR"):
        return Palette(False)
    if environ.get("FORCE_COLOR"):
        return Palette(True)
    return Palette(stream.isatty())


def header(d: Diagnostic, colors: Palette) -> str:
    where = colors.bold(f"{escape(d.path)}:{d.line}:{d.column}:")
    return f"{where} {colors.code(d.code)} {escape(d.message)}"


def concise(result: RunResult, colors: Palette = Palette()) -> str:
    return "".join(f"{header(d, colors)}\n" for d in result.diagnostics)


def full(result: RunResult, colors: Palette = Palette(), texts: Mapping[str, str] | None = None) -> str:
    """Each finding: its one-line header, the source lines with a caret span, the suggestion and
    whether ``--fix`` can rewrite it."""
    sources = _Sources(texts if texts is not None else result.texts)
    blocks = []
    for d in result.diagnostics:
        frame, width = _frame(d, sources.lines(d.path), colors)
        lines = [header(d, colors), *frame, *_hints(d, colors, " " * width)]
        blocks.append("".join(f"{line}\n" for line in lines))
    return "\n".join(blocks)


def _frame(d: Diagnostic, lines: list[str] | None, colors: Palette) -> tuple[list[str], int]:
    """The finding's source lines under a gutter, a caret span under each; the gutter's width."""
    if lines is None or not 0 < d.line <= len(lines):
        return [], 1
    last = min(d.end_line, len(lines), d.line + FRAME_LINES - 1)
    width = len(str(last))
    bar = colors.gutter(f"{' ' * width} |")
    frame = [bar]
    for number in range(d.line, last + 1):
        text = lines[number - 1]
        frame.append(f"{colors.gutter(f'{number:>{width}} |')} {escape(text)}")
        start = d.column - 1 if number == d.line else len(text) - len(text.lstrip())
        end = d.end_column - 1 if number == d.end_line else len(text)
        if end > start:
            frame.append(f"{bar} {_padding(text[:start])}{colors.caret('^' * len(escape(text[start:end])))}")
    if last < d.end_line:
        frame.append(f"{bar} ...")
    return frame, width


def _padding(prefix: str) -> str:
    """Blanks as wide as ``prefix`` when printed (tabs kept, so the caret lines up under them)."""
    return "".join(char if char == "\t" else " " * len(escape(char)) for char in prefix)


def _hints(d: Diagnostic, colors: Palette, indent: str) -> list[str]:
    hints = []
    if d.suggestion:
        hints.append(colors.hint(f"{indent} = suggestion: {escape(d.suggestion)}"))
    fixable = {
        "safe": "fixable with --fix",
        "unsafe": "fixable with --fix --unsafe-fixes (can change behaviour)",
    }.get(d.fixable or "", "not fixable automatically")
    hints.append(colors.hint(f"{indent} = {fixable}"))
    return hints


class _Sources:
    """Source lines of the reported files, read once each (``texts``: buffers not on disk)."""

    def __init__(self, texts: Mapping[str, str]) -> None:
        self.cache: dict[str, list[str] | None] = {path: split_lines(text) for path, text in texts.items()}

    def lines(self, path: str) -> list[str] | None:
        if path not in self.cache:
            source = read_source(path)
            self.cache[path] = split_lines(source.text) if isinstance(source, Source) else None
        return self.cache[path]


def statistics(result: RunResult, colors: Palette = Palette()) -> str:
    """A count per code, most frequent first, with how many of them ``--fix`` can rewrite."""
    counts = Counter(d.code for d in result.diagnostics)
    fixable = Counter(d.code for d in result.diagnostics if d.fixable == "safe")
    unsafe = Counter(d.code for d in result.diagnostics if d.fixable == "unsafe")
    width = max((len(str(n)) for n in counts.values()), default=1)
    marks = {code: _fixable_mark(fixable[code], unsafe[code]) for code in counts}
    mark_width = max((len(mark) for mark in marks.values()), default=0)
    return "".join(
        f"{count:>{width}}  {colors.code(code)}  {marks[code]:<{mark_width}}  "
        f"{TITLES[code][1] if code in TITLES else ''}".rstrip() + "\n"
        for code, count in sorted(counts.items(), key=lambda item: (-item[1], item[0]))
    )


def _fixable_mark(safe: int, unsafe: int) -> str:
    parts = [f"{safe} fixable"] if safe else []
    if unsafe:
        parts.append(f"{unsafe} with --unsafe-fixes")
    return f"[{', '.join(parts)}]" if parts else ""


def show_fixes(result: RunResult, colors: Palette = Palette()) -> str:
    """Per file, what ``--fix`` rewrote (or ``--diff`` would): the count per code."""
    remaining = Counter((d.path, d.code) for d in result.diagnostics)
    lines = []
    for change in sorted(result.changes, key=lambda c: c.path):
        before = Counter(d.code for d in change.diagnostics_before)
        fixed = {code: n - remaining[(change.path, code)] for code, n in before.items()}
        fixed = {code: n for code, n in fixed.items() if n > 0}
        if not fixed:
            continue
        lines.append(f"- {colors.bold(escape(change.path))}:")
        for code, n in sorted(fixed.items()):
            name = f" ({TITLES[code][0]})" if code in TITLES else ""
            lines.append(f"    {n} x {colors.code(code)}{name}")
    return "".join(f"{line}\n" for line in lines)
