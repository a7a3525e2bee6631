"""One library module read with the stdlib ``ast``: its imports, functions and classes.

Only what the summaries need; parsing is counted (``PARSED``) so that a test can prove that a
warm run reads no library source.
"""

from __future__ import annotations

import ast
import builtins
from collections.abc import Sequence
from dataclasses import dataclass, field

from asyncsafe.django.summary import resolve_chain
from asyncsafe.engine.input.modules import resolve_relative
from asyncsafe.engine.input.source import read_source

Function = ast.FunctionDef | ast.AsyncFunctionDef
PARSED: list[str] = []  # module names parsed in this process, in order


@dataclass
class LibraryModule:
    name: str
    path: str
    imports: dict[str, str] = field(default_factory=dict)  # local name -> canonical name
    functions: dict[str, Function] = field(default_factory=dict)
    classes: dict[str, ast.ClassDef] = field(default_factory=dict)
    assigned: set[str] = field(default_factory=set)  # other module-level names

    def resolve(self, node: ast.expr) -> str | None:
        """The canonical dotted name a ``Name``/``Attribute`` chain refers to (module scope)."""
        return resolve_chain(node, self.name_of)

    def name_of(self, name: str) -> str | None:
        """Imported, defined here, or a builtin (``open``) unless the module rebinds it."""
        defined = name in self.functions or name in self.classes
        found = self.imports.get(name) or (f"{self.name}.{name}" if defined else None)
        builtin = hasattr(builtins, name) and name not in self.assigned
        return found or (f"builtins.{name}" if builtin else None)


def read_module(name: str, path: str) -> LibraryModule | None:
    source = read_source(path)
    text = getattr(source, "text", None)
    if not isinstance(text, str):
        return None
    try:
        tree = ast.parse(text)
    except (SyntaxError, ValueError, RecursionError, MemoryError):
        return None
    PARSED.append(name)
    module = LibraryModule(name, path)
    _read_block(module, tree.body, path.endswith("__init__.py"))
    return module


def read_imports(module: LibraryModule, statements: Sequence[ast.stmt], is_package: bool) -> None:
    for statement in statements:
        if isinstance(statement, ast.Import):
            for alias in statement.names:
                local = alias.asname or alias.name.split(".")[0]
                module.imports[local] = alias.name if alias.asname else local
        elif isinstance(statement, ast.ImportFrom):
            source = statement.module
            if statement.level:
                source = resolve_relative(module.name, is_package, statement.level, statement.module)
            for alias in statement.names:
                if source and alias.name != "*":
                    module.imports[alias.asname or alias.name] = f"{source}.{alias.name}"


def _read_block(module: LibraryModule, body: list[ast.stmt], is_package: bool) -> None:
    for statement in body:
        if isinstance(statement, (ast.Import, ast.ImportFrom)):
            read_imports(module, [statement], is_package)
        elif isinstance(statement, (ast.FunctionDef, ast.AsyncFunctionDef)):
            module.functions.setdefault(statement.name, statement)
        elif isinstance(statement, ast.ClassDef):
            module.classes.setdefault(statement.name, statement)
        elif isinstance(statement, (ast.Assign, ast.AnnAssign)):
            targets = statement.targets if isinstance(statement, ast.Assign) else [statement.target]
            module.assigned.update(t.id for t in targets if isinstance(t, ast.Name))
        elif isinstance(statement, ast.If):
            _read_block(module, statement.body, is_package)  # the first definition wins
            _read_block(module, statement.orelse, is_package)
        elif isinstance(statement, ast.Try):
            _read_block(module, statement.body, is_package)


def methods_of(cls: ast.ClassDef) -> dict[str, Function]:
    found: dict[str, Function] = {}
    for statement in cls.body:
        if isinstance(statement, (ast.FunctionDef, ast.AsyncFunctionDef)):
            found.setdefault(statement.name, statement)
    return found
