"""Is a MIDDLEWARE entry async-capable? Exactly what Django's ``BaseHandler.load_middleware``
reads: the ``async_capable`` attribute (default False) of the class or function the path names.

Known middleware come from ``middleware.toml``; project middleware are read from source (class
flags through the project's bases, ``MiddlewareMixin`` subclasses, the
``sync_and_async_middleware``/``async_only_middleware``/``sync_only_middleware`` decorators).
Anything else (a third-party class not in the catalog, a base class the reader cannot follow) is
unknown and never reported.
"""

from __future__ import annotations

import ast
import sys
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

from asyncsafe._dist import distribution_version
from asyncsafe.deploy.files import ProjectFiles
from asyncsafe.deploy.names import bind_imports, dotted

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover
    import tomli as tomllib

CATALOG = Path(__file__).with_name("middleware.toml")
MIXINS = frozenset({"django.utils.deprecation.MiddlewareMixin"})
CAPABLE_DECORATORS = frozenset({
    "django.utils.decorators.sync_and_async_middleware",
    "django.utils.decorators.async_only_middleware",
})
SYNC_DECORATOR = "django.utils.decorators.sync_only_middleware"
MAX_BASES = 10


@dataclass(frozen=True)
class Capability:
    capable: bool | None  # None: unknown
    why: str = ""  # what makes it sync-only


UNKNOWN = Capability(None)
CAPABLE = Capability(True)


@dataclass(frozen=True)
class CatalogEntry:
    package: str
    since: str | None
    why: str


@lru_cache(maxsize=1)
def catalog() -> dict[str, CatalogEntry]:
    data = tomllib.loads(CATALOG.read_text(encoding="utf-8"))
    entries: dict[str, CatalogEntry] = {}
    for table in data.get("middleware", []):
        entry = CatalogEntry(table["package"], table.get("async-since"), table.get("why", ""))
        for name in table["names"]:
            entries[name] = entry
    return entries


def capability(files: ProjectFiles, path: str, django: tuple[int, int]) -> Capability:
    known = catalog().get(path)
    if known is not None:
        return _cataloged(known, django)
    split = _split(files, path)
    if split is None:
        return UNKNOWN
    module, name = split
    return _in_module(files, module, name, 0, django)


def _cataloged(entry: CatalogEntry, django: tuple[int, int]) -> Capability:
    if entry.since is None:
        return Capability(False, entry.why)
    if entry.package == "django":
        installed: str | None = ".".join(map(str, django))
    else:
        installed = distribution_version(entry.package)
    if installed is None:
        return UNKNOWN
    if _version(installed) >= _version(entry.since):
        return CAPABLE
    return Capability(False, f"{entry.package} {installed} predates its async support ({entry.since}); upgrade it")


def _version(text: str) -> tuple[int, ...]:
    parts = []
    for part in text.split("."):
        digits = "".join(ch for ch in part if ch.isdigit())
        if not digits:
            break
        parts.append(int(digits))
    return tuple(parts)


def _split(files: ProjectFiles, path: str) -> tuple[str, str] | None:
    module, _, name = path.rpartition(".")
    if not module or files.parse(module) is None:
        return None
    return module, name


def _in_module(files: ProjectFiles, module: str, name: str, depth: int, django: tuple[int, int]) -> Capability:
    parsed = files.parse(module)
    if parsed is None or depth > MAX_BASES:
        return UNKNOWN
    imports = _imports(parsed.tree, module, parsed.is_package)
    flags = _module_flags(parsed.tree, name)
    for node in parsed.tree.body:
        if isinstance(node, ast.ClassDef) and node.name == name:
            return flags or _class(files, node, imports, depth, django)
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)) and node.name == name:
            return flags or _function(node, imports)
    if name in imports:  # re-exported: follow it into the module it comes from
        return _follow(files, imports[name], depth + 1, django)
    return UNKNOWN


def _follow(files: ProjectFiles, qualname: str, depth: int, django: tuple[int, int]) -> Capability:
    if qualname in MIXINS:
        return CAPABLE
    if qualname in catalog():
        return _cataloged(catalog()[qualname], django)
    module, _, name = qualname.rpartition(".")
    if not module or files.parse(module) is None:
        return UNKNOWN
    return _in_module(files, module, name, depth, django)


def _class(
    files: ProjectFiles, node: ast.ClassDef, imports: dict[str, str], depth: int, django: tuple[int, int]
) -> Capability:
    own = _class_flag(node)
    if own is not None:
        return own
    for base in node.bases:
        name = _qualname(base, imports)
        if name is None:
            return UNKNOWN
        found = _follow(files, name, depth + 1, django)
        if found.capable is None or found.capable:
            return found  # the first base that decides (MRO order for the simple cases)
    if any(_qualname(base, imports) not in (None, "object", "builtins.object") for base in node.bases):
        return Capability(False, "it derives from sync-only middleware without setting async_capable = True")
    call = next((item for item in node.body if isinstance(item, (ast.FunctionDef, ast.AsyncFunctionDef)) and item.name == "__call__"), None)
    if isinstance(call, ast.AsyncFunctionDef):
        return Capability(
            False,
            "it has an async __call__ but no async_capable = True: Django reads only the flag "
            "(default False), so it runs the class as sync middleware",
        )
    return Capability(False, "a class with a sync __call__ and no async_capable = True")


def _class_flag(node: ast.ClassDef) -> Capability | None:
    for item in node.body:
        if isinstance(item, ast.Assign) and any(isinstance(t, ast.Name) and t.id == "async_capable" for t in item.targets):
            if isinstance(item.value, ast.Constant) and isinstance(item.value.value, bool):
                return CAPABLE if item.value.value else Capability(False, "it sets async_capable = False")
            return UNKNOWN
    return None


def _function(node: ast.FunctionDef | ast.AsyncFunctionDef, imports: dict[str, str]) -> Capability:
    for decorator in node.decorator_list:
        name = _qualname(decorator, imports)
        if name in CAPABLE_DECORATORS:
            return CAPABLE
        if name == SYNC_DECORATOR:
            return Capability(False, "it is decorated @sync_only_middleware")
        if name is None or not name.startswith("django."):
            return UNKNOWN  # a decorator of its own may set the flags
    return Capability(
        False,
        "a middleware factory without @sync_and_async_middleware (Django reads async_capable, "
        "which defaults to False)",
    )


def _module_flags(tree: ast.Module, name: str) -> Capability | None:
    """``Name.async_capable = True`` written after the definition."""
    for node in tree.body:
        if isinstance(node, ast.Assign):
            for target in node.targets:
                if (
                    isinstance(target, ast.Attribute)
                    and target.attr == "async_capable"
                    and isinstance(target.value, ast.Name)
                    and target.value.id == name
                ):
                    if isinstance(node.value, ast.Constant) and node.value.value is True:
                        return CAPABLE
                    return UNKNOWN
    return None


def _imports(tree: ast.Module, module: str, is_package: bool) -> dict[str, str]:
    found: dict[str, str] = {
        node.name: f"{module}.{node.name}"
        for node in tree.body
        if isinstance(node, (ast.ClassDef, ast.FunctionDef, ast.AsyncFunctionDef))
    }
    for node in tree.body:
        bind_imports(found, node, module, is_package)
    return found


def _qualname(node: ast.expr, imports: dict[str, str]) -> str | None:
    if isinstance(node, ast.Name) and node.id == "object" and "object" not in imports:
        return "object"
    return dotted(node, imports)
