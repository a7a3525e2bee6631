"""What a file must pass before libcst parses it: CPython's parser, and a bound on nesting.

libcst's native parser recurses once per level of nesting on the C stack, and a few thousand
levels (``a and a and ...`` 8,000 times, ``1 + 1 + ...`` 8,000 times) crash the whole process
with SIGSEGV, which no ``except`` can catch. CPython's parser guards its own recursion, so it
runs first: what it rejects is reported with its exact position and never reaches libcst; what
it refuses as too deep (about 3,000 levels) is "too deeply nested". Boolean chains are flat in
CPython's tree but nested in libcst's, so their length is bounded here too. The price is one
``ast`` parse per analyzed file (about 6% of the analysis of Django's async files).

The target Python (``target-version``) decides the grammar, not the interpreter asyncsafe runs
on. When the interpreter knows the target's grammar, CPython's parser judges the file with
``feature_version`` set to the target. When the target is newer (PEP 701 f-strings or PEP 695
generics checked by asyncsafe running on 3.11), a file CPython rejects is not rejected here:
libcst, which parses every grammar up to 3.14, decides (``DEFERRED``), and the nesting bound
comes from the tokens instead of CPython's tree.
"""

from __future__ import annotations

import ast
import io
import sys
import tokenize
import warnings

from asyncsafe.diagnostics import FileError
from asyncsafe.engine.input.python_trees import keep, known
from asyncsafe.engine.input.source import Source

TOO_DEEP = "too deeply nested to analyze"
# Operands of one ``and``/``or`` chain; libcst survives 4,000 on an 8 MB stack.
BOOLEAN_CHAIN_LIMIT = 2_500


# Nesting of brackets libcst is handed when CPython could not judge the file (CPython's own
# limit is 200), and binary operators in one logical line (each one a level in libcst's tree).
BRACKET_LIMIT = 200
OPERATOR_LIMIT = BOOLEAN_CHAIN_LIMIT
NEWEST = (3, 14)


def target_tuple(target: str | None) -> tuple[int, int]:
    """``"3.12"`` -> (3, 12); None (no target known) -> the newest grammar."""
    if target is None:
        return NEWEST
    major, minor = target.split(".")
    return int(major), int(minor)


def interpreter_knows(target: str | None) -> bool:
    """Whether the running interpreter's parser knows the target's grammar."""
    return sys.version_info[:2] >= target_tuple(target)


def for_python(target: str | None) -> str:
    version = "{}.{}".format(*target_tuple(target))
    return f"for Python {version} (target-version py{version.replace('.', '')})"


def gate(source: Source, target: str | None = None) -> FileError | None:
    """Why ``source`` must not be handed to libcst, or None."""
    return judge(source, target)[0]


def judge(source: Source, target: str | None = None) -> tuple[FileError | None, bool]:
    """``gate``'s verdict, and whether this interpreter's parser accepted the file (when it
    did not, but the target is newer than it, libcst is left to decide)."""
    knows = interpreter_knows(target)
    # Another reader's tree is this interpreter's full grammar: enough only for a target that
    # is newer than it (an older target's grammar may reject what it accepts).
    shared = None if knows else known(source.text)
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # SyntaxWarnings are the compiler's, not ours to print
            tree = shared or compile(
                source.text, source.path, "exec", flags=ast.PyCF_ONLY_AST, dont_inherit=True,
                _feature_version=target_tuple(target)[1] if knows else -1,
            )
    except SyntaxError as exc:
        if not knows:  # maybe newer syntax than this interpreter's: libcst decides
            return _bounded_tokens(source), False
        column = f", column {exc.offset}" if exc.offset else ""
        return FileError(
            source.path, f"syntax error at line {exc.lineno}{column} {for_python(target)}: {exc.msg}"
        ), False
    except (RecursionError, MemoryError):
        return FileError(source.path, TOO_DEEP), False
    except ValueError as exc:  # e.g. a surrogate the compiler cannot encode
        return FileError(source.path, f"syntax error: {exc}"), False
    if _may_chain(source.text) and _longest_boolean_chain(tree) > BOOLEAN_CHAIN_LIMIT:
        return FileError(source.path, TOO_DEEP), True
    if isinstance(tree, ast.Module):
        keep(source.text, tree)
    return None, True


_OPENING, _CLOSING = frozenset("([{"), frozenset(")]}")
_BINARY = frozenset(
    ("+", "-", "*", "/", "//", "%", "@", "|", "&", "^", "<<", ">>", "**", "<", ">", "==", "!=", "<=", ">=")
)
_OPERAND_TYPES = frozenset((tokenize.NAME, tokenize.NUMBER, tokenize.STRING))


def _bounded_tokens(source: Source) -> FileError | None:
    """The nesting bound without CPython's tree: bracket depth and binary operators per logical
    line, from the tokens (an over-estimate where this interpreter's tokenizer misreads newer
    syntax, never an under-estimate of brackets)."""
    depth = operators = 0
    previous: tokenize.TokenInfo | None = None
    try:
        for token in tokenize.generate_tokens(io.StringIO(source.text).readline):
            if token.type == tokenize.NEWLINE:
                operators = 0
            elif token.type == tokenize.OP and token.string in _OPENING:
                depth += 1
            elif token.type == tokenize.OP and token.string in _CLOSING:
                depth = max(depth - 1, 0)
            elif _is_binary(token, previous):
                operators += 1
            if depth > BRACKET_LIMIT or operators > OPERATOR_LIMIT:
                return FileError(source.path, TOO_DEEP)
            if token.type not in (tokenize.NL, tokenize.COMMENT):
                previous = token
    except (tokenize.TokenError, SyntaxError):
        return _bounded_brackets(source)
    return None


def _is_binary(token: tokenize.TokenInfo, previous: tokenize.TokenInfo | None) -> bool:
    if token.string in ("and", "or", "not"):
        return True
    if token.type != tokenize.OP or token.string not in _BINARY or previous is None:
        return False
    return previous.type in _OPERAND_TYPES or previous.string in _CLOSING


def _bounded_brackets(source: Source) -> FileError | None:
    """When even the tokens are out of reach: brackets counted in the raw text."""
    depth = deepest = 0
    for char in source.text:
        if char in _OPENING:
            depth += 1
            deepest = max(deepest, depth)
        elif char in _CLOSING:
            depth = max(depth - 1, 0)
    return FileError(source.path, TOO_DEEP) if deepest > BRACKET_LIMIT else None


def _may_chain(text: str) -> bool:
    """A cheap over-estimate: fewer ``and``/``or`` substrings than the limit, no chain beyond it."""
    return text.count("and") + text.count("or") > BOOLEAN_CHAIN_LIMIT


def _longest_boolean_chain(tree: ast.AST) -> int:
    return max((len(node.values) for node in ast.walk(tree) if isinstance(node, ast.BoolOp)), default=0)
