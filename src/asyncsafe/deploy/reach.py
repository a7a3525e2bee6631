"""Does an import in asgi.py reach models? Followed through the project's own modules (their
import-time imports), stopping at the first ``models`` module."""

from __future__ import annotations

import ast
from collections import deque
from collections.abc import Iterator

from asyncsafe.deploy.entry import Entry
from asyncsafe.deploy.files import ParsedModule, ProjectFiles
from asyncsafe.deploy.names import bind_imports, dotted, imported_module

MAX_MODULES = 300
# Calls that load a model class when the module is imported (AppRegistryNotReady before setup).
MODEL_LOADERS = frozenset({
    "django.contrib.auth.get_user_model", "swapper.load_model", "django.apps.apps.get_model",
})
SAFE_PREFIXES = ("django.db.models",)  # the ORM package itself imports no app's models


def is_models(module: str) -> bool:
    if module.startswith(SAFE_PREFIXES):
        return False
    parts = module.split(".")
    return "models" in parts[1:]


def models_chain(files: ProjectFiles, entry: Entry, statement: ast.Import | ast.ImportFrom) -> list[str] | None:
    """``["chat.routing", "chat.consumers", "chat.models"]`` when importing ``statement`` loads a
    models module, else None."""
    starts = list(_imported(files, entry.parsed, statement))
    parents: dict[str, str | None] = {}
    queue: deque[str] = deque()
    for start in starts:
        if start not in parents:
            parents[start] = None
            queue.append(start)
    while queue and len(parents) < MAX_MODULES:
        module = queue.popleft()
        if is_models(module):
            return _path(parents, module)
        parsed = files.parse(module)
        if parsed is None:
            continue
        loader = _model_loader(parsed)
        if loader is not None:
            return [*_path(parents, module)[:-1], f"{module} ({loader}() at import time)"]
        for statement_inner in _import_time_imports(parsed.tree.body):
            for target in _imported(files, parsed, statement_inner):
                if target not in parents:
                    parents[target] = module
                    queue.append(target)
    return None


def _path(parents: dict[str, str | None], module: str) -> list[str]:
    chain = [module]
    while (parent := parents[chain[0]]) is not None:
        chain.insert(0, parent)
    return chain


def _imported(files: ProjectFiles, parsed: ParsedModule, statement: ast.Import | ast.ImportFrom) -> Iterator[str]:
    if isinstance(statement, ast.Import):
        for alias in statement.names:
            yield alias.name
        return
    base = imported_module(statement, parsed.name, parsed.is_package)
    for alias in statement.names:
        submodule = f"{base}.{alias.name}"
        if alias.name == "models" or files.parse(submodule) is not None:
            yield submodule  # ``from chat import models``; ``from chat.models import Room`` is base
    if base:
        yield base


def _import_time_imports(body: list[ast.stmt]) -> Iterator[ast.Import | ast.ImportFrom]:
    """Imports that run when the module is imported: not in functions, not under TYPE_CHECKING."""
    for statement in body:
        if isinstance(statement, (ast.Import, ast.ImportFrom)):
            yield statement
        elif isinstance(statement, (ast.FunctionDef, ast.AsyncFunctionDef)):
            continue
        elif isinstance(statement, ast.If) and _type_checking(statement.test):
            yield from _import_time_imports(statement.orelse)
        elif isinstance(statement, ast.ClassDef):
            yield from _import_time_imports(statement.body)
        else:
            for field in ("body", "orelse", "finalbody", "handlers"):
                inner = getattr(statement, field, None)
                if isinstance(inner, list):
                    yield from _import_time_imports([s for s in inner if isinstance(s, ast.stmt)])
                    for handler in inner:
                        if isinstance(handler, ast.ExceptHandler):
                            yield from _import_time_imports(handler.body)


def _type_checking(test: ast.expr) -> bool:
    return (isinstance(test, ast.Name) and test.id == "TYPE_CHECKING") or (
        isinstance(test, ast.Attribute) and test.attr == "TYPE_CHECKING"
    )


def _model_loader(parsed: ParsedModule) -> str | None:
    """The model-loading call a module makes at import time (``User = get_user_model()``)."""
    if not any(loader.rpartition(".")[2] in parsed.text for loader in MODEL_LOADERS):
        return None  # the name is in the text wherever it is called, if only in its import
    names: dict[str, str] = {}
    for statement in parsed.tree.body:
        bind_imports(names, statement, parsed.name, parsed.is_package)
        if isinstance(statement, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef, ast.If)):
            continue
        for node in ast.walk(statement):
            if isinstance(node, ast.Call) and dotted(node.func, names) in MODEL_LOADERS:
                return ast.unparse(node.func)
    return None
