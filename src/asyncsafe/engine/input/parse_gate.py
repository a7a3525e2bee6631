"""What a file must pass before libcst parses it: CPython's parser, and a bound on nesting.

libcst's native parser recurses once per level of nesting on the C stack, and a few thousand
levels (``a and a and ...`` 8,000 times, ``1 + 1 + ...`` 8,000 times) crash the whole process
with SIGSEGV, which no ``except`` can catch. CPython's parser guards its own recursion, so it
runs first: what it rejects is reported with its exact position and never reaches libcst; what
it refuses as too deep (about 3,000 levels) is "too deeply nested". Boolean chains are flat in
CPython's tree but nested in libcst's, so their length is bounded here too. The price is one
``ast`` parse per analyzed file (about 6% of the analysis of Django's async files).
"""

from __future__ import annotations

import ast
import warnings

from asyncsafe.diagnostics import FileError
from asyncsafe.engine.input.source import Source

TOO_DEEP = "too deeply nested to analyze"
# Operands of one ``and``/``or`` chain; libcst survives 4,000 on an 8 MB stack.
BOOLEAN_CHAIN_LIMIT = 2_500


def gate(source: Source) -> FileError | None:
    """Why ``source`` must not be handed to libcst, or None."""
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # SyntaxWarnings are the compiler's, not ours to print
            tree = compile(source.text, source.path, "exec", flags=ast.PyCF_ONLY_AST, dont_inherit=True)
    except SyntaxError as exc:
        column = f", column {exc.offset}" if exc.offset else ""
        return FileError(source.path, f"syntax error at line {exc.lineno}{column}: {exc.msg}")
    except (RecursionError, MemoryError):
        return FileError(source.path, TOO_DEEP)
    except ValueError as exc:  # e.g. a surrogate the compiler cannot encode
        return FileError(source.path, f"syntax error: {exc}")
    if _may_chain(source.text) and _longest_boolean_chain(tree) > BOOLEAN_CHAIN_LIMIT:
        return FileError(source.path, TOO_DEEP)
    return None


def _may_chain(text: str) -> bool:
    """A cheap over-estimate: fewer ``and``/``or`` substrings than the limit, no chain beyond it."""
    return text.count("and") + text.count("or") > BOOLEAN_CHAIN_LIMIT


def _longest_boolean_chain(tree: ast.AST) -> int:
    return max((len(node.values) for node in ast.walk(tree) if isinstance(node, ast.BoolOp)), default=0)
