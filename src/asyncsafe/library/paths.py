"""The calls of one function body, in source order, each marked certain or conditional.

A call is *certain* when every normal path through the function reaches it: it is in the body
itself, a ``with`` block, a ``try`` block or its ``finally``, or an ``if``/``while`` test. It is
*conditional* in an ``if``/``else`` branch, a loop body (it may run zero times), an ``except``
handler (the error path), a branch of ``x if c else y``, ``a and b``, ``a or b``, a
comprehension's element, ``match`` cases, and after a statement that may ``return`` early
(``if self._x is not None: return self._x`` — the lazy first-use pattern). Nested functions,
lambdas and classes run elsewhere and are skipped.
"""

from __future__ import annotations

import ast
from dataclasses import dataclass

SKIPPED = (ast.FunctionDef, ast.AsyncFunctionDef, ast.Lambda, ast.ClassDef)


@dataclass(frozen=True)
class CallAt:
    node: ast.Call
    certain: bool


def calls_in(body: list[ast.stmt]) -> list[CallAt]:
    found: list[CallAt] = []
    _block(body, True, found)
    return found


def _block(body: list[ast.stmt], certain: bool, found: list[CallAt]) -> None:
    for statement in body:
        _statement(statement, certain, found)
        if isinstance(statement, (ast.Return, ast.Raise)):
            return  # the rest of the block is unreachable
        if certain and _may_return(statement):
            certain = False  # an early return: what follows runs only on the other paths


def _statement(node: ast.stmt, certain: bool, found: list[CallAt]) -> None:
    if isinstance(node, SKIPPED):
        return
    if isinstance(node, ast.If):
        _expression(node.test, certain, found)
        _block(node.body, False, found)
        _block(node.orelse, False, found)
    elif isinstance(node, (ast.For, ast.AsyncFor)):
        _expression(node.iter, certain, found)
        _block(node.body, False, found)
        _block(node.orelse, False, found)
    elif isinstance(node, ast.While):
        _expression(node.test, certain, found)
        _block(node.body, False, found)
        _block(node.orelse, False, found)
    elif isinstance(node, (ast.With, ast.AsyncWith)):
        for item in node.items:
            _expression(item.context_expr, certain, found)
        _block(node.body, certain, found)
    elif isinstance(node, ast.Try) or type(node).__name__ == "TryStar":
        _try(node, certain, found)
    elif isinstance(node, ast.Match):
        _expression(node.subject, certain, found)
        for case in node.cases:
            _block(case.body, False, found)
    else:
        for child in ast.iter_child_nodes(node):
            if isinstance(child, ast.expr):
                _expression(child, certain, found)


def _try(node: ast.stmt, certain: bool, found: list[CallAt]) -> None:
    _block(getattr(node, "body", []), certain, found)
    for handler in getattr(node, "handlers", []):
        _block(handler.body, False, found)
    _block(getattr(node, "orelse", []), False, found)
    _block(getattr(node, "finalbody", []), certain, found)


def _expression(node: ast.expr, certain: bool, found: list[CallAt]) -> None:
    if isinstance(node, ast.Lambda):
        return
    if isinstance(node, ast.IfExp):
        _expression(node.test, certain, found)
        _expression(node.body, False, found)
        _expression(node.orelse, False, found)
        return
    if isinstance(node, ast.BoolOp):
        _expression(node.values[0], certain, found)
        for value in node.values[1:]:
            _expression(value, False, found)
        return
    if isinstance(node, (ast.ListComp, ast.SetComp, ast.GeneratorExp, ast.DictComp)):
        _expression(node.generators[0].iter, certain, found)
        for child in ast.iter_child_nodes(node):
            if child is not node.generators[0]:
                _expression_tree(child, found)
        for generator in node.generators:
            for child in (*generator.ifs, *(() if generator is node.generators[0] else (generator.iter,))):
                _expression(child, False, found)
        return
    if isinstance(node, ast.Call):
        _expression(node.func, certain, found)
        for argument in (*node.args, *(k.value for k in node.keywords)):
            _expression(argument, certain, found)
        found.append(CallAt(node, certain))
        return
    for child in ast.iter_child_nodes(node):
        if isinstance(child, ast.expr):
            _expression(child, certain, found)


def _expression_tree(node: ast.AST, found: list[CallAt]) -> None:
    if isinstance(node, ast.expr):
        _expression(node, False, found)


def _may_return(node: ast.stmt) -> bool:
    """A compound statement with a ``return`` somewhere in its own code (not nested defs)."""
    if not isinstance(node, (ast.If, ast.For, ast.AsyncFor, ast.While, ast.With, ast.AsyncWith, ast.Match, ast.Try)):
        return False
    pending: list[ast.AST] = [node]
    while pending:
        current = pending.pop()
        if isinstance(current, ast.Return):
            return True
        pending.extend(c for c in ast.iter_child_nodes(current) if not isinstance(c, SKIPPED))
    return False
