"""One file to a libcst tree, for the grammar of the project's target Python, or one reason why
not (see ``engine/input/parse_gate.py`` for what is checked before libcst runs)."""

from __future__ import annotations

import ast
import re
from collections.abc import Iterator
from contextlib import contextmanager

import libcst as cst
from libcst._nodes.base import CSTNode

from asyncsafe.diagnostics import FileError
from asyncsafe.engine.input.parse_gate import (
    TOO_DEEP,
    for_python,
    gate,
    interpreter_knows,
    target_tuple,
)
from asyncsafe.engine.input.source import Source

_LIBCST_POSITION = re.compile(r"error at (\d+):(\d+):?")


def parse_source(source: Source, target: str | None) -> cst.Module | FileError:
    rejected = gate(source, target)  # CPython's verdict first; it also keeps libcst from crashing
    if rejected is not None:
        return rejected
    version = "{}.{}".format(*target_tuple(target))
    try:
        with _parser_output_trusted():
            return cst.parse_module(source.text, config=cst.PartialParserConfig(python_version=version))
    except cst.ParserSyntaxError as exc:
        message = str(exc.message).strip().splitlines()[0] if exc.message else "invalid syntax"
        cpython = None if interpreter_knows(target) else _cpython_verdict(source)
        if cpython is None:  # CPython accepted it: a limit of libcst's parser
            return FileError(source.path, f"could not parse (Python accepts this file, libcst does not): {message}")
        return FileError(source.path, _newer_syntax_error(cpython, target, message))
    except (RecursionError, MemoryError):
        return FileError(source.path, TOO_DEEP)
    except Exception as exc:  # libcst's native parser can raise other errors on odd input
        return FileError(source.path, f"could not parse: {type(exc).__name__}: {exc}")


@contextmanager
def _parser_output_trusted() -> Iterator[None]:
    """libcst validates every node it constructs, also the ones its own parser builds from a
    file it accepted (its source says validation at parse time could go: "PERF: It might make
    more sense to move validation work into the visitor"). That is about an eighth of parsing.
    Skipped only while the parser runs, and only while ``__post_init__`` is exactly that call;
    nodes the rules' fixes build are validated as always."""
    if not _VALIDATION_ONLY:
        yield
        return
    CSTNode.__post_init__ = _skip_validation  # type: ignore[method-assign]
    try:
        yield
    finally:
        CSTNode.__post_init__ = _VALIDATE  # type: ignore[method-assign]


def _skip_validation(self: CSTNode) -> None:
    pass


_VALIDATE = CSTNode.__post_init__
_VALIDATION_ONLY = _VALIDATE.__code__.co_names == ("_validate",)


def _cpython_verdict(source: Source) -> SyntaxError | None:
    """This interpreter's syntax error for the file, if it has one."""
    try:
        compile(source.text, source.path, "exec", flags=ast.PyCF_ONLY_AST, dont_inherit=True)
    except SyntaxError as exc:
        return exc
    except Exception:  # noqa: BLE001 - too deep etc.: the gate has judged those
        pass
    return None


def _newer_syntax_error(cpython: SyntaxError, target: str | None, libcst_message: str) -> str:
    """A file neither this interpreter nor libcst accepts. libcst places the error at the token
    after it; this interpreter's parser words it better but may stop earlier, at syntax that
    is new in the target. Its verdict is kept when it is at most a line before libcst's."""
    found = _LIBCST_POSITION.search(libcst_message)
    detail = _LIBCST_POSITION.sub("", libcst_message.removeprefix("parser error: "), count=1)
    detail = detail.strip(" :") or "invalid syntax"
    if found is None:
        return f"syntax error {for_python(target)}: {detail}"
    line, column = int(found.group(1)), int(found.group(2)) + 1
    if cpython.lineno is not None and cpython.lineno >= line - 1:
        line, column, detail = cpython.lineno, cpython.offset or 1, cpython.msg
    return f"syntax error at line {line}, column {column} {for_python(target)}: {detail}"
