"""Names in a module read with ``ast``: what its imports bind, and the qualified name an
expression like ``os.environ.setdefault`` stands for."""

from __future__ import annotations

import ast

from asyncsafe.engine.input.modules import resolve_relative


def imported_module(statement: ast.ImportFrom, module: str, is_package: bool) -> str:
    """The absolute module a ``from ... import`` reads from."""
    if statement.level:
        return resolve_relative(module, is_package, statement.level, statement.module)
    return statement.module or ""


def bind_imports(found: dict[str, str], statement: ast.stmt, module: str, is_package: bool) -> None:
    """Record what an import statement binds: local name -> qualified name."""
    if isinstance(statement, ast.ImportFrom):
        base = imported_module(statement, module, is_package)
        for alias in statement.names:
            found[alias.asname or alias.name] = f"{base}.{alias.name}"
    elif isinstance(statement, ast.Import):
        for alias in statement.names:
            local = alias.asname or alias.name.split(".")[0]
            found[local] = alias.name if alias.asname else local


def dotted(node: ast.expr, names: dict[str, str], keep_unbound: bool = False) -> str | None:
    """``a.b.c`` with ``a`` replaced by what it is bound to (None when unbound, unless
    ``keep_unbound``)."""
    parts: list[str] = []
    while isinstance(node, ast.Attribute):
        parts.insert(0, node.attr)
        node = node.value
    if not isinstance(node, ast.Name):
        return None
    head = names.get(node.id, node.id if keep_unbound else None)
    return ".".join((head, *parts)) if head is not None else None
