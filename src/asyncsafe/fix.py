"""``--fix`` / ``--diff``: apply the fixes rules attached to their findings, safely.

The fixes come from the one analysis walk (``FileAnalysis.fixes``); this module only splices
them into the same libcst tree, so every byte it does not rewrite stays as it was (comments,
formatting, encoding, line endings). A rewrite is kept only when the result still compiles and,
analyzed again, no longer holds the findings it fixed; files are replaced atomically.
"""

from __future__ import annotations

import difflib
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

import libcst as cst

from asyncsafe.config import Settings
from asyncsafe.diagnostics import Diagnostic, FileError, display_path
from asyncsafe.engine.facts.project import Project
from asyncsafe.engine.input.lines import split_lines
from asyncsafe.engine.input.source import Source
from asyncsafe.engine.tree.events import Fix
from asyncsafe.run.analyze import analyze_source
from asyncsafe.run.noqa import apply_noqa, drop_ignored
from asyncsafe.run.replace import write_atomically as write_atomically  # where it used to live


@dataclass(frozen=True)
class FileChange:
    """A file's fixed content, not yet written."""

    path: str
    before: bytes
    after: bytes
    encoding: str
    fixed: int  # how many findings the change removes
    diagnostics_before: tuple[Diagnostic, ...]

    def diff(self) -> str:
        return unified_diff(display_path(self.path), self.before.decode(self.encoding), self.after.decode(self.encoding))


@dataclass(frozen=True)
class FixOutcome:
    """One file: what remains to report (after the change, when there is one)."""

    diagnostics: list[Diagnostic]
    error: FileError | None = None
    change: FileChange | None = None
    warning: str | None = None  # a fix that was refused; its findings stay reported


# A fix can enable another (the first ``import asyncio`` makes ``asyncio`` free to use elsewhere):
# fixing is repeated on the result while something fixable remains, so that --fix is idempotent.
MAX_PASSES = 3


def fix_source(
    source: Source, settings: Settings, project: Project | None = None, *, unsafe: bool = False
) -> FixOutcome:
    """Analyze, fix what is certain, verify, and report what remains. Writes nothing."""
    outcome = _fix_once(source, settings, project, unsafe=unsafe)
    for _ in range(MAX_PASSES - 1):
        change = outcome.change
        if change is None or not any(_applies(d, unsafe) for d in outcome.diagnostics):
            break
        text = change.after.decode(source.encoding)
        again = _fix_once(Source(source.path, change.after, text, source.encoding), settings, project, unsafe=unsafe)
        if again.change is None or again.error is not None:
            break
        merged = FileChange(
            source.path, source.data, again.change.after, source.encoding,
            change.fixed + again.change.fixed, change.diagnostics_before,
        )
        outcome = FixOutcome(again.diagnostics, change=merged, warning=again.warning)
    return outcome


def _applies(diagnostic: Diagnostic, unsafe: bool) -> bool:
    return diagnostic.fixable == "safe" or (unsafe and diagnostic.fixable == "unsafe")


def _fix_once(
    source: Source, settings: Settings, project: Project | None, *, unsafe: bool
) -> FixOutcome:
    analysis = analyze_source(source, settings, project=project)
    reported = drop_ignored(settings, source.path, apply_noqa(analysis.diagnostics, source.text))
    if analysis.error is not None:  # a file some rule failed on is reported, never rewritten
        return FixOutcome(reported, analysis.error)
    chosen = {
        id(fix): (diagnostic.code, fix)
        for diagnostic in reported
        if (fix := analysis.fixes.get(diagnostic)) is not None and (fix.safe or unsafe)
    }
    if not chosen or analysis.module is None:
        return FixOutcome(reported)
    if analysis.module.code != source.text:  # e.g. libcst drops a form feed that starts a line
        unfaithful = "libcst does not reproduce this file byte for byte, so a fix could change other lines"
        return FixOutcome(reported, warning=_refused(source.path, unfaithful))
    fixed_module, applied = apply_fixes(analysis.module, [fix for _, fix in chosen.values()])
    new_text = fixed_module.code
    if not applied or new_text == source.text:
        return FixOutcome(reported)
    problem = _compile_problem(source.path, source.text, new_text)
    if problem is not None:
        return FixOutcome(reported, warning=_refused(source.path, problem))
    after = analyze_source(Source(source.path, b"", new_text, source.encoding), settings, project=project)
    if after.error is not None:
        return FixOutcome(reported, warning=_refused(source.path, after.error.reason))
    remaining = drop_ignored(settings, source.path, apply_noqa(after.diagnostics, new_text))
    claimed = Counter(chosen[id(fix)][0] for fix in applied)
    if _breaks_claim(reported, remaining, claimed):
        problem = "the rewritten code still holds the findings it was meant to fix"
        return FixOutcome(reported, warning=_refused(source.path, problem))
    try:
        encoded = new_text.encode(source.encoding)
    except UnicodeEncodeError:
        problem = f"the rewritten code cannot be encoded in the file's encoding ({source.encoding})"
        return FixOutcome(reported, warning=_refused(source.path, problem))
    fixed = len(reported) - len(remaining)
    change = FileChange(source.path, source.data, encoded, source.encoding, fixed, tuple(reported))
    return FixOutcome(remaining, change=change)


def _refused(path: str, problem: str) -> str:
    return f"{display_path(path)}: warning: fixes not applied, {problem}; file left unchanged (please report this)"


def _breaks_claim(
    before: Sequence[Diagnostic], after: Sequence[Diagnostic], claimed: Counter[str]
) -> bool:
    """More findings of a code remain than were there minus the ones fixed."""
    counts_before = Counter(d.code for d in before)
    counts_after = Counter(d.code for d in after)
    return any(counts_after[code] > counts_before[code] - claimed[code] for code in counts_after)


def _compile_problem(path: str, before: str, after: str) -> str | None:
    """Why the rewritten code would not compile (``await`` outside async code included).

    A file that did not compile before is judged by the parse alone (the re-analysis).
    """
    try:
        compile(after, path, "exec", dont_inherit=True)
    except (SyntaxError, ValueError) as exc:
        try:
            compile(before, path, "exec", dont_inherit=True)
        except (SyntaxError, ValueError):
            return None
        where = f" at line {exc.lineno}" if isinstance(exc, SyntaxError) and exc.lineno else ""
        message = exc.msg if isinstance(exc, SyntaxError) else str(exc)
        return f"the result would not compile{where}: {message}"
    return None


# --- splicing fixes into the tree ---------------------------------------------------------------


def apply_fixes(module: cst.Module, fixes: Sequence[Fix]) -> tuple[cst.Module, list[Fix]]:
    """Replace each target (by identity) with its replacement; add the needed imports once."""
    splicer = _Splicer(fixes)
    spliced = module.visit(splicer)
    assert isinstance(spliced, cst.Module)
    imports = dict.fromkeys(i for fix in splicer.applied for i in fix.imports)
    return add_imports(spliced, imports), splicer.applied


# Code that may not hold ``await`` / ``async for``: a rewrite there would not compile
# (lambda, sync def, class body) or would silently turn a generator into an async one.
_NO_AWAIT = (cst.Lambda, cst.GeneratorExp, cst.ClassDef)


class _Splicer(cst.CSTTransformer):
    """One pass. Nested fixes compose: a replacement built from the original node gets the
    already-rewritten version of any descendant that another fix changed."""

    def __init__(self, fixes: Sequence[Fix]) -> None:
        super().__init__()
        self.fixes: dict[int, Fix] = {}
        for fix in fixes:
            self.fixes.setdefault(id(fix.target), fix)
        self.applied: list[Fix] = []
        self.rewritten: dict[int, tuple[cst.CSTNode, cst.CSTNode]] = {}
        self.await_allowed = [False]
        self.dirty = [False]

    def on_visit(self, node: cst.CSTNode) -> bool:
        if isinstance(node, cst.FunctionDef):
            self.await_allowed.append(node.asynchronous is not None)
        elif isinstance(node, _NO_AWAIT):
            self.await_allowed.append(False)
        self.dirty.append(False)
        return True

    def on_leave(  # type: ignore[override]
        self, original_node: cst.CSTNode, updated_node: cst.CSTNode
    ) -> cst.CSTNode:
        changed = self.dirty.pop()
        if isinstance(original_node, (cst.FunctionDef, *_NO_AWAIT)):
            self.await_allowed.pop()
        result = updated_node if changed else original_node
        fix = self.fixes.get(id(original_node))
        if fix is not None and self.await_allowed[-1]:
            result = _graft(fix.replacement, self.rewritten)
            self.applied.append(fix)
            changed = True
        if changed:
            result = _parenthesize_awaits(result)
            self.rewritten[id(original_node)] = (original_node, result)
            self.dirty[-1] = True
        return result


def _graft(replacement: cst.CSTNode, rewritten: dict[int, tuple[cst.CSTNode, cst.CSTNode]]) -> cst.CSTNode:
    """``replacement`` with every original descendant that was rewritten swapped for its rewrite."""
    if not rewritten:
        return replacement
    grafted = replacement.visit(_Swap(rewritten))
    assert isinstance(grafted, cst.CSTNode)
    return grafted


class _Swap(cst.CSTTransformer):
    def __init__(self, rewritten: dict[int, tuple[cst.CSTNode, cst.CSTNode]]) -> None:
        super().__init__()
        self.rewritten = rewritten

    def on_visit(self, node: cst.CSTNode) -> bool:
        return id(node) not in self.rewritten

    def on_leave(  # type: ignore[override]
        self, original_node: cst.CSTNode, updated_node: cst.CSTNode
    ) -> cst.CSTNode:
        found = self.rewritten.get(id(original_node))
        return found[1] if found is not None and found[0] is original_node else updated_node


def _parenthesize_awaits(node: cst.CSTNode) -> cst.CSTNode:
    """``await x`` binds looser than ``.attr``, ``[i]`` and ``(...)``: ``(await qs.aget()).name``."""
    field = {cst.Attribute: "value", cst.Subscript: "value", cst.Call: "func"}.get(type(node))
    if field is None:
        return node
    inner = getattr(node, field)
    if isinstance(inner, cst.Await) and not inner.lpar:
        parenthesized = inner.with_changes(lpar=[cst.LeftParen()], rpar=[cst.RightParen()])
        return node.with_changes(**{field: parenthesized})
    return node


# --- imports ------------------------------------------------------------------------------------


def add_imports(module: cst.Module, statements: Iterable[str]) -> cst.Module:
    """Add each import statement once, after the leading docstring/``__future__``/import block."""
    present = {_normalized(module, s) for s in module.body if _is_import_line(s)}
    new = [cst.parse_statement(s) for s in statements]
    new = [s for s in new if _normalized(module, s) not in present]
    if not new:
        return module
    body = list(module.body)
    at = _import_insertion_point(body)
    if at > 0 and _is_docstring(body[at - 1]) and not _is_import_line(body[at - 1]):
        new[0] = new[0].with_changes(leading_lines=[cst.EmptyLine()])
    return module.with_changes(body=[*body[:at], *new, *body[at:]])


def _import_insertion_point(body: Sequence[cst.BaseStatement]) -> int:
    index = 1 if body and _is_docstring(body[0]) else 0
    last_import = index
    while index < len(body) and _is_import_line(body[index]):
        index += 1
        last_import = index
    return last_import


def _is_import_line(statement: cst.CSTNode) -> bool:
    return isinstance(statement, cst.SimpleStatementLine) and all(
        isinstance(small, (cst.Import, cst.ImportFrom)) for small in statement.body
    )


def _is_docstring(statement: cst.CSTNode) -> bool:
    return (
        isinstance(statement, cst.SimpleStatementLine)
        and len(statement.body) == 1
        and isinstance(statement.body[0], cst.Expr)
        and isinstance(statement.body[0].value, (cst.SimpleString, cst.ConcatenatedString))
    )


def _normalized(module: cst.Module, statement: cst.CSTNode) -> str:
    return " ".join(module.code_for_node(statement.with_changes(leading_lines=())).split())


# --- output -------------------------------------------------------------------------------------


def unified_diff(path: str, before: str, after: str) -> str:
    lines = difflib.unified_diff(
        split_lines(before, keepends=True), split_lines(after, keepends=True), path, path
    )
    return "".join(
        line if line.endswith(("\n", "\r")) else f"{line}\n\\ No newline at end of file\n"
        for line in lines
    )
