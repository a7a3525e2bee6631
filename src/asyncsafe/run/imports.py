"""The imports a ``--fix`` adds and the ones it leaves unused, placed as isort/ruff (``I001``) would.

An added ``from m import n`` joins an existing module-level ``from m import ...``; any other
import goes into its section of the top import block (future, standard library, third party,
first party, local), in sorted position, or starts that section where it belongs. An import
whose every use the fix rewrote away (``import time`` after ``time.sleep`` became
``asyncio.sleep``) is removed, so ``ruff check --select F401,I001`` finds nothing new.
"""

from __future__ import annotations

import os
import re
import sys
from collections.abc import Iterable, Sequence
from enum import IntEnum
from typing import cast

import libcst as cst
from libcst.metadata import Assignment, MetadataWrapper, ScopeProvider

from asyncsafe.engine.tree.traverse import FastVisitor

Statement = cst.SimpleStatementLine | cst.BaseCompoundStatement  # what a body holds
LINE_LENGTH = 88  # ruff's and black's default: a longer joined import is wrapped, one name a line


class Section(IntEnum):
    FUTURE = 0
    STDLIB = 1
    THIRD_PARTY = 2
    FIRST_PARTY = 3
    LOCAL = 4


def add_imports(module: cst.Module, statements: Iterable[str], path: str = "", root: str = "") -> cst.Module:
    """Add each import statement once, where isort would put it."""
    sections = _Sections(path, root)
    present = {_normalized(module, s) for s in module.body if is_import_line(s)}
    for text in statements:
        statement = cst.parse_statement(text)
        if _normalized(module, statement) in present:
            continue
        assert isinstance(statement, cst.SimpleStatementLine)
        module = _joined(module, statement) or _inserted(module, statement, sections)
        present.add(_normalized(module, statement))
    return module


def orphaned_imports(before: cst.Module, after: cst.Module) -> set[tuple[int, str]]:
    """The imported names (import node id, bound name) ``before`` used but ``after`` no longer
    does, by scope analysis; ``after`` shares the unchanged import nodes with ``before``."""
    try:
        used_before = {key for key, uses in _import_uses(before).items() if uses}
        unused_after = {key for key, uses in _import_uses(after).items() if not uses}
    except Exception:  # scope analysis is best effort here: remove nothing rather than fail
        return set()
    in_strings = _names_in_strings(after)
    return {key for key in used_before & unused_after if key[1].partition(".")[0] not in in_strings}


def _import_uses(module: cst.Module) -> dict[tuple[int, str], int]:
    wrapper = MetadataWrapper(module, unsafe_skip_copy=True)
    uses: dict[tuple[int, str], int] = {}
    for scope in set(wrapper.resolve(ScopeProvider).values()):
        if scope is None:
            continue
        for assignment in scope.assignments:
            if isinstance(assignment, Assignment) and isinstance(assignment.node, (cst.Import, cst.ImportFrom)):
                key = (id(assignment.node), assignment.name)
                uses[key] = uses.get(key, 0) + len(assignment.references)
    return uses


# --- joining ``from m import a`` --------------------------------------------------------------


def _joined(module: cst.Module, statement: cst.SimpleStatementLine) -> cst.Module | None:
    new = statement.body[0]
    if not isinstance(new, cst.ImportFrom) or isinstance(new.names, cst.ImportStar) or new.relative:
        return None
    name = new.names[0]
    target = _dotted(new.module)
    body = list(module.body)
    for index, line in enumerate(body):
        existing = _joinable(line, target)
        if existing is not None:
            joined = _with_name(existing, name)
            updated = line.with_changes(body=[joined])
            if not joined.lpar and len(module.code_for_node(updated.with_changes(leading_lines=()))) > LINE_LENGTH:
                updated = line.with_changes(body=[_wrapped(joined)])
            body[index] = updated
            return module.with_changes(body=body)
    return None


def _joinable(line: cst.CSTNode, module_name: str) -> cst.ImportFrom | None:
    if not isinstance(line, cst.SimpleStatementLine) or len(line.body) != 1:
        return None
    node = line.body[0]
    if (
        isinstance(node, cst.ImportFrom)
        and not node.relative
        and not isinstance(node.names, cst.ImportStar)
        and _dotted(node.module) == module_name
    ):
        return node
    return None


def _with_name(node: cst.ImportFrom, alias: cst.ImportAlias) -> cst.ImportFrom:
    assert not isinstance(node.names, cst.ImportStar)
    names = list(node.names)
    keys = [_member_key(_alias_name(a)) for a in names]
    new_key = _member_key(_alias_name(alias))
    at = len(names)
    if keys == sorted(keys):
        at = next((i for i, key in enumerate(keys) if key > new_key), len(names))
    separator = _separator(node)
    if at < len(names):
        names.insert(at, alias.with_changes(comma=separator))
    else:
        last = names[-1]
        names[-1] = last.with_changes(comma=separator)
        names.append(alias.with_changes(comma=last.comma))
    return node.with_changes(names=names)


def _separator(node: cst.ImportFrom) -> cst.Comma:
    """The comma between two names, as this import writes it."""
    assert not isinstance(node.names, cst.ImportStar)
    if len(node.names) > 1 and isinstance(node.names[0].comma, cst.Comma):
        return node.names[0].comma
    if node.lpar is not None and isinstance(node.lpar.whitespace_after, cst.ParenthesizedWhitespace):
        return cst.Comma(whitespace_after=node.lpar.whitespace_after)
    return cst.Comma(whitespace_after=cst.SimpleWhitespace(" "))


def _wrapped(node: cst.ImportFrom) -> cst.ImportFrom:
    """``from m import (\\n    a,\\n    b,\\n)``: ruff's form for an import over the line length."""
    assert not isinstance(node.names, cst.ImportStar)
    indent = cst.ParenthesizedWhitespace(
        first_line=cst.TrailingWhitespace(), indent=True, last_line=cst.SimpleWhitespace("    ")
    )
    closing = cst.ParenthesizedWhitespace(first_line=cst.TrailingWhitespace(), indent=True)
    names = [a.with_changes(comma=cst.Comma(whitespace_after=indent)) for a in node.names]
    names[-1] = names[-1].with_changes(comma=cst.Comma(whitespace_after=closing))
    return node.with_changes(
        names=names, lpar=cst.LeftParen(whitespace_after=indent), rpar=cst.RightParen()
    )


def _member_key(name: str) -> tuple[int, str, str]:
    """isort's ``order-by-type``: CONSTANTS, then Classes, then everything else."""
    if len(name) > 1 and name.isupper():
        kind = 0
    elif name[:1].isupper():
        kind = 1
    else:
        kind = 2
    return kind, name.lower(), name


def _alias_name(alias: cst.ImportAlias) -> str:
    return _dotted(alias.name)


# --- inserting a new statement into the top import block ---------------------------------------


def _inserted(module: cst.Module, statement: cst.SimpleStatementLine, sections: _Sections) -> cst.Module:
    body = list(module.body)
    start = 1 if body and is_docstring(body[0]) else 0
    end = start
    while end < len(body) and is_import_line(body[end]):
        end += 1
    if start == end:
        return module.with_changes(body=_new_block(body, start, statement))
    section = sections.of(statement)
    block = body[start:end]
    at = _position(block, statement, section, sections)
    block = _placed(block, at, statement, joins_section=any(sections.of(s) == section for s in block))
    return module.with_changes(body=[*body[:start], *block, *body[end:]])


def _position(
    block: Sequence[Statement], statement: cst.SimpleStatementLine, section: Section, sections: _Sections
) -> int:
    same = [i for i, s in enumerate(block) if sections.of(s) == section]
    if same:
        keys = [_statement_key(block[i]) for i in same]
        new_key = _statement_key(statement)
        if keys == sorted(keys):
            return next((i for i, key in zip(same, keys) if key > new_key), same[-1] + 1)
        return same[-1] + 1
    return next((i for i, s in enumerate(block) if sections.of(s) > section), len(block))


def _placed(
    block: list[Statement], at: int, statement: cst.SimpleStatementLine, *, joins_section: bool
) -> list[Statement]:
    """``statement`` put at ``at``; the blank line (and comments) opening a section stay on top."""
    blank = [cst.EmptyLine()]
    if at < len(block) and (joins_section or at == 0) and _opens_group(block, at):
        # Taking the first place of a group: take over what stands above it.
        head = block[at]
        new = statement.with_changes(leading_lines=head.leading_lines)
        rest = head.with_changes(leading_lines=[] if joins_section else blank)
        return [*block[:at], new, rest, *block[at + 1 :]]
    new = statement.with_changes(leading_lines=[] if joins_section else blank)
    return [*block[:at], new, *block[at:]]


def _opens_group(block: Sequence[Statement], index: int) -> bool:
    return index == 0 or any(_is_blank(line) for line in block[index].leading_lines)


def _new_block(body: list[Statement], at: int, statement: cst.SimpleStatementLine) -> list[Statement]:
    """The file's first import: below the docstring, with the blank lines ruff wants after it
    (two before a ``def``/``class``, else one)."""
    new = statement.with_changes(leading_lines=[cst.EmptyLine()] if at > 0 else [])
    if at < len(body):
        following = body[at]
        wanted = 2 if isinstance(following, (cst.FunctionDef, cst.ClassDef)) else 1
        lines = [cst.EmptyLine() for _ in range(wanted)] + _strip_blanks(following.leading_lines)
        body[at] = following.with_changes(leading_lines=lines)
    return [*body[:at], new, *body[at:]]


def _is_blank(line: cst.EmptyLine) -> bool:
    return line.comment is None


def _statement_key(statement: cst.CSTNode) -> tuple[int, str, str]:
    """isort within a section: ``import x`` lines first, then ``from x import``, by module."""
    node = statement.body[0] if isinstance(statement, cst.SimpleStatementLine) else None
    if isinstance(node, cst.Import):
        name = _dotted(node.names[0].name)
        return 0, name.lower(), name
    if isinstance(node, cst.ImportFrom):
        name = "." * len(node.relative) + (_dotted(node.module) if node.module is not None else "")
        return 1, name.lower(), name
    return 2, "", ""


class _Sections:
    """Which isort section a module belongs to, judged as ruff does by default: the standard
    library by name, first party when its top package sits in the project root (``src``) or is
    the package holding the file being fixed, third party otherwise."""

    def __init__(self, path: str, root: str) -> None:
        self.roots = [r for r in (root, os.path.join(root, "src")) if r]
        self.own_package = _top_package(path) if path else None

    def of(self, statement: cst.CSTNode) -> Section:
        node = statement.body[0] if isinstance(statement, cst.SimpleStatementLine) else None
        if isinstance(node, cst.ImportFrom):
            if node.relative:
                return Section.LOCAL
            top = _dotted(node.module).partition(".")[0] if node.module is not None else ""
        elif isinstance(node, cst.Import):
            top = _dotted(node.names[0].name).partition(".")[0]
        else:
            return Section.LOCAL
        return self.section(top)

    def section(self, top: str) -> Section:
        if top == "__future__":
            return Section.FUTURE
        if top in sys.stdlib_module_names:
            return Section.STDLIB
        if top == self.own_package or any(_is_module_in(root, top) for root in self.roots):
            return Section.FIRST_PARTY
        return Section.THIRD_PARTY


def _is_module_in(directory: str, name: str) -> bool:
    base = os.path.join(directory, name)
    return os.path.isdir(base) or os.path.isfile(f"{base}.py")


def _top_package(path: str) -> str | None:
    directory = os.path.dirname(os.path.abspath(path))
    top = None
    while os.path.isfile(os.path.join(directory, "__init__.py")):
        top = os.path.basename(directory)
        parent = os.path.dirname(directory)
        if parent == directory:
            break
        directory = parent
    return top


# --- unused imports ------------------------------------------------------------------------------


_WORD = re.compile(r"[A-Za-z_][A-Za-z_0-9]*")
# A string that may be a type annotation or a name in ``__all__``: a docstring's words are not uses.
_ANNOTATION = re.compile(r"^[\w.\[\], |]*$")


def _names_in_strings(module: cst.Module) -> set[str]:
    """Names a string may use (``"time.struct_time"`` annotations, ``__all__``): kept."""
    finder = _Strings()
    finder.walk(module)
    return {word for text in finder.texts for word in _WORD.findall(text)}


class _Strings(FastVisitor):
    def __init__(self) -> None:
        super().__init__()
        self.texts: list[str] = []

    def visit_SimpleString(self, node: cst.SimpleString) -> None:
        content = node.value.strip("rRbBuU").strip("'\"")
        if _ANNOTATION.match(content):
            self.texts.append(content)



def drop_imports(module: cst.Module, doomed: set[tuple[int, str]]) -> cst.Module:
    """``module`` without the imported names ``doomed``; an import left with none is removed
    whole (its comments, and blank lines the next line lacks, move to the next line)."""
    if not doomed:
        return module
    return module.visit(_DropImports(doomed))


class _DropImports(cst.CSTTransformer):
    def __init__(self, doomed: set[tuple[int, str]]) -> None:
        super().__init__()
        self.doomed = doomed

    def leave_Module(self, original_node: cst.Module, updated_node: cst.Module) -> cst.Module:
        body = self._body(original_node.body, updated_node.body)
        if body and not updated_node.header and body[0] is not updated_node.body[0]:
            body[0] = body[0].with_changes(leading_lines=_strip_blanks(body[0].leading_lines))
        return updated_node.with_changes(body=body)

    def leave_IndentedBlock(
        self, original_node: cst.IndentedBlock, updated_node: cst.IndentedBlock
    ) -> cst.IndentedBlock:
        # An indented block holds SimpleStatementLines and compound statements (libcst types it wider).
        original, updated = cast(Sequence[Statement], original_node.body), cast(Sequence[Statement], updated_node.body)
        body = self._body(original, updated)
        return updated_node.with_changes(body=body or [cst.SimpleStatementLine([cst.Pass()])])

    def _body(
        self, original: Sequence[Statement], updated: Sequence[Statement]
    ) -> list[Statement]:
        body: list[Statement] = []
        pending: list[cst.EmptyLine] = []
        for before, statement in zip(original, updated):
            if is_import_line(before):
                assert isinstance(before, cst.SimpleStatementLine)
                small = [s for s in (self._without(node) for node in before.body) if s is not None]
                if not small:
                    pending.extend(before.leading_lines)
                    continue
                statement = statement.with_changes(body=small)
            if pending:
                statement = statement.with_changes(
                    leading_lines=_without_extra_blanks(pending, list(statement.leading_lines))
                )
                pending = []
            body.append(statement)
        return body

    def _without(self, node: cst.BaseSmallStatement) -> cst.BaseSmallStatement | None:
        if not isinstance(node, (cst.Import, cst.ImportFrom)) or isinstance(node.names, cst.ImportStar):
            return node
        kept = [a for a in node.names if (id(node), _bound_name(a)) not in self.doomed]
        if len(kept) == len(node.names):
            return node
        if not kept:
            return None
        kept[-1] = kept[-1].with_changes(comma=node.names[-1].comma)
        return node.with_changes(names=kept)


def _strip_blanks(lines: Sequence[cst.EmptyLine]) -> list[cst.EmptyLine]:
    kept = list(lines)
    while kept and _is_blank(kept[0]):
        kept.pop(0)
    return kept


def _without_extra_blanks(removed: list[cst.EmptyLine], own: list[cst.EmptyLine]) -> list[cst.EmptyLine]:
    """The removed import's comments stay; its blank lines only when the next line has fewer."""
    comments = [line for line in removed if not _is_blank(line)]
    if comments:
        return [*removed, *own]
    own_blanks = sum(1 for line in own if _is_blank(line))
    extra = max(0, len(removed) - own_blanks)
    return [*removed[:extra], *own]


def _bound_name(alias: cst.ImportAlias) -> str:
    """The name as libcst's scope analysis records it (``import a.b`` binds ``a.b``)."""
    if alias.asname is not None and isinstance(alias.asname.name, cst.Name):
        return alias.asname.name.value
    return _dotted(alias.name)


# --- shared -------------------------------------------------------------------------------------


def is_import_line(statement: cst.CSTNode) -> bool:
    return isinstance(statement, cst.SimpleStatementLine) and all(
        isinstance(small, (cst.Import, cst.ImportFrom)) for small in statement.body
    )


def is_docstring(statement: cst.CSTNode) -> bool:
    return (
        isinstance(statement, cst.SimpleStatementLine)
        and len(statement.body) == 1
        and isinstance(statement.body[0], cst.Expr)
        and isinstance(statement.body[0].value, (cst.SimpleString, cst.ConcatenatedString))
    )


def _dotted(node: cst.BaseExpression | None) -> str:
    if node is None:
        return ""
    if isinstance(node, cst.Name):
        return node.value
    if isinstance(node, cst.Attribute):
        return f"{_dotted(node.value)}.{node.attr.value}"
    return ""


def _normalized(module: cst.Module, statement: cst.CSTNode) -> str:
    return " ".join(module.code_for_node(statement.with_changes(leading_lines=())).split())
