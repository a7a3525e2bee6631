"""What ``from module import *`` binds: the module's public top-level names (or its
``__all__``), each with the canonical name it stands for."""

from __future__ import annotations

from collections.abc import Iterator, Sequence

import libcst as cst

from asyncsafe.engine.input.modules import resolve_relative
from asyncsafe.engine.tree.scopes import dotted


def star_names(module: str, is_package: bool, tree: cst.Module) -> dict[str, str]:
    """Local name -> canonical name for every name a star import of ``module`` brings."""
    names: dict[str, str] = {}
    for statement in _top_level(tree.body):
        names.update(_bound(module, is_package, statement))
    exported = _dunder_all(tree.body)
    if exported is not None:
        return {name: names.get(name, f"{module}.{name}") for name in exported}
    return {name: target for name, target in names.items() if not name.startswith("_")}


def _top_level(body: Sequence[cst.CSTNode]) -> Iterator[cst.CSTNode]:
    """Module-level statements, also inside ``if``/``try`` blocks (conditional imports)."""
    for statement in body:
        if isinstance(statement, cst.SimpleStatementLine):
            yield from statement.body
        elif isinstance(statement, (cst.If, cst.Try)):
            blocks = [statement.body, *getattr(statement, "handlers", ())]
            orelse = getattr(statement, "orelse", None)
            if orelse is not None:
                blocks.append(orelse.body if isinstance(orelse, (cst.Else, cst.If)) else orelse)
            for block in blocks:
                inner = block.body if isinstance(block, (cst.ExceptHandler, cst.IndentedBlock)) else block
                if isinstance(inner, cst.IndentedBlock):
                    inner = inner.body
                if isinstance(inner, Sequence):
                    yield from _top_level(inner)
        else:
            yield statement


def _bound(module: str, is_package: bool, node: cst.CSTNode) -> Iterator[tuple[str, str]]:
    if isinstance(node, (cst.FunctionDef, cst.ClassDef)):
        yield node.name.value, f"{module}.{node.name.value}"
    elif isinstance(node, cst.Assign):
        for target in node.targets:
            if isinstance(target.target, cst.Name):
                yield target.target.value, f"{module}.{target.target.value}"
    elif isinstance(node, cst.AnnAssign) and isinstance(node.target, cst.Name):
        yield node.target.value, f"{module}.{node.target.value}"
    elif isinstance(node, (cst.Import, cst.ImportFrom)):
        yield from import_bindings(module, is_package, node)


def import_bindings(
    module: str, is_package: bool, node: cst.Import | cst.ImportFrom
) -> Iterator[tuple[str, str]]:
    """(local name, imported dotted name) for each name an import statement binds (a star
    import binds nothing here: see ``star_names``)."""
    if isinstance(node, cst.Import):
        for alias in node.names:
            full = dotted(alias.name) or ""
            if alias.asname is not None and isinstance(alias.asname.name, cst.Name):
                yield alias.asname.name.value, full
            else:
                yield full.split(".")[0], full.split(".")[0]
        return
    if isinstance(node.names, cst.ImportStar):
        return
    source = imported_module(module, is_package, node)
    for alias in node.names:
        name = dotted(alias.name) or ""
        local = name
        if alias.asname is not None and isinstance(alias.asname.name, cst.Name):
            local = alias.asname.name.value
        yield local, f"{source}.{name}" if source else name


def imported_module(module: str, is_package: bool, node: cst.ImportFrom) -> str | None:
    """The module a ``from ... import`` reads, relative imports resolved."""
    source = dotted(node.module) if node.module is not None else None
    if node.relative:
        source = resolve_relative(module, is_package, len(node.relative), source)
    return source


def _dunder_all(body: Sequence[cst.CSTNode]) -> list[str] | None:
    for statement in _top_level(body):
        if not isinstance(statement, cst.Assign) or len(statement.targets) != 1:
            continue
        target = statement.targets[0].target
        if isinstance(target, cst.Name) and target.value == "__all__":
            value = statement.value
            if isinstance(value, (cst.List, cst.Tuple)):
                found = [e.value.evaluated_value for e in value.elements if isinstance(e.value, cst.SimpleString)]
                return [name for name in found if isinstance(name, str)]
    return None
