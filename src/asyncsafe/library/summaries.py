"""What a third-party function does when called, inferred from its source (ASF801/ASF890).

The same question the call graph answers for project helpers: does the function reach a known
blocking call (the catalog's default rules: sockets, ``open``, ``subprocess``, ``time.sleep``,
sync HTTP and SDK clients, ...), and by which chain. Library code is read with ``ast``, never
imported. Precision policy (README "Library summaries"):

* a chain is *certain* (ASF801) when every call on it is reached on every normal path of its
  function (``paths.calls_in``); otherwise it *may* block (ASF890, opt-in): a branch, a loop
  body, an error handler, a lazy first use behind an early ``return``;
* ``async def`` functions, generators, modules of an ``aio``/``asyncio`` package, functions with
  decorators that may change what a call does, and calls through unknown objects are never
  followed; the catalog wins over inference (it knows messages and async twins);
* chains are followed at most ``LIBRARY_DEPTH`` frames deep (``max-depth`` applies when reported).
"""

from __future__ import annotations

import ast
import os
from dataclasses import dataclass
from typing import Any

from asyncsafe.catalog import Catalog
from asyncsafe.library import store
from asyncsafe.library.distributions import Distribution, module_file, top_level_index
from asyncsafe.library.paths import calls_in
from asyncsafe.django.summary import resolve_chain
from asyncsafe.library.reader import Function, LibraryModule, methods_of, read_imports, read_module

LIBRARY_DEPTH = 12
MAX_HOPS = 10
ASYNC_PACKAGES = frozenset({"aio", "asyncio", "_async", "async_"})
TRANSPARENT_DECORATORS = frozenset(
    {"staticmethod", "classmethod", "functools.wraps", "abc.abstractmethod", "typing.final"}
)
ROOT_FAMILIES = ("ASF1", "ASF2", "ASF3", "ASF4")


@dataclass(frozen=True)
class Verdict:
    certain: bool  # blocks on every normal path (ASF801), else may block (ASF890)
    code: str  # the catalog code of the blocking call at the end of the chain
    chain: tuple[str, ...]  # frames after the called function, ending with the blocking call
    location: str  # where the blocking call is, relative to site-packages
    distribution: str = ""  # "polib 1.2.0": whose source the chain was read from

    def to_json(self) -> list[Any]:
        return [self.certain, self.code, list(self.chain), self.location, self.distribution]

    @staticmethod
    def from_json(data: Any) -> Verdict | None:
        if not isinstance(data, list) or len(data) != 5:
            return None
        certain, code, chain, location, distribution = data
        return Verdict(bool(certain), str(code), tuple(str(c) for c in chain), str(location), str(distribution))

    def through(self, frame: str, certain: bool) -> Verdict:
        return Verdict(self.certain and certain, self.code, (frame, *self.chain), self.location, self.distribution)


@dataclass(frozen=True)
class Definition:
    module: LibraryModule
    qualname: str
    node: Function | ast.ClassDef
    owner: str | None = None  # the class qualname of a method


@dataclass(frozen=True)
class Locals:
    """What a function body binds: its local names, the locals a cataloged constructor made
    (``s = requests.Session()``), and the names its own ``import`` statements bind."""

    names: set[str]
    typed: dict[str, str]
    imported: dict[str, str]


class Library:
    """The environment's third-party code, summarized on demand and cached on disk."""

    def __init__(self, sites: tuple[str, ...], catalog: Catalog, root_codes: frozenset[str]) -> None:
        self.sites = sites
        self.catalog = catalog
        self.root_codes = root_codes  # default-enabled codes: opt-in ones never start a chain
        self._modules: dict[str, LibraryModule | None] = {}
        self._stores: dict[Distribution, dict[str, Any]] = {}
        self._dirty: set[Distribution] = set()
        self._memo: dict[str, Verdict | None] = {}
        self._written: dict[str, str] = {}  # a library class's defining name -> a name it was reached by

    # --- the public question -----------------------------------------------------------------
    def distribution(self, qualname: str) -> Distribution | None:
        return top_level_index(self.sites).get(qualname.split(".", 1)[0]) if self.sites else None

    def summary(self, qualname: str) -> Verdict | None:
        """What calling ``qualname`` (a function, a class, ``Class.method``) does."""
        distribution = self.distribution(qualname)
        if distribution is None:
            return None
        cached = self._store(distribution)
        if qualname in cached:
            return Verdict.from_json(cached[qualname])
        try:
            found = self._callable(qualname, 0)
        except RecursionError:  # pathological library code: no verdict rather than a crash
            found = None
        cached[qualname] = found.to_json() if found else None
        self._dirty.add(distribution)
        return found

    def is_class(self, qualname: str) -> bool:
        """Whether a library name is a class (its instances' methods are summarized too)."""
        distribution = self.distribution(qualname)
        if distribution is None:
            return False
        cached = self._store(distribution)
        key = f"class:{qualname}"
        if key not in cached:
            found = self._definition(qualname)
            cached[key] = found is not None and isinstance(found.node, ast.ClassDef)
            self._dirty.add(distribution)
        return cached[key] is True

    def flush(self) -> None:
        """Write new summaries, merged with what other processes (the worker pool) wrote."""
        for distribution in sorted(self._dirty, key=lambda d: d.name):
            merged = store.load(distribution.name, distribution.version)
            merged.update(self._stores[distribution])
            self._stores[distribution] = merged
            store.save(distribution.name, distribution.version, merged)
        self._dirty.clear()

    def _store(self, distribution: Distribution) -> dict[str, Any]:
        if distribution not in self._stores:
            self._stores[distribution] = store.load(distribution.name, distribution.version)
        return self._stores[distribution]

    # --- finding definitions -------------------------------------------------------------------
    def _module(self, name: str) -> LibraryModule | None:
        if name not in self._modules:
            distribution = self.distribution(name)
            path = module_file(distribution.site, name) if distribution else None
            self._modules[name] = read_module(name, path) if path else None
        return self._modules[name]

    def _definition(self, qualname: str, hops: int = 0) -> Definition | None:
        parts = qualname.split(".")
        for cut in range(len(parts) - 1, 0, -1):
            module = self._module(".".join(parts[:cut]))
            if module is not None:
                return self._inside(module, parts[cut:], hops)
        return None

    def _inside(self, module: LibraryModule, rest: list[str], hops: int) -> Definition | None:
        head = rest[0]
        if head in module.functions and len(rest) == 1:
            return Definition(module, f"{module.name}.{head}", module.functions[head])
        if head in module.classes:
            qualname = f"{module.name}.{head}"
            if len(rest) == 1:
                return Definition(module, qualname, module.classes[head])
            return self._method(qualname, rest[1]) if len(rest) == 2 else None
        if head in module.imports and hops < MAX_HOPS:
            return self._definition(".".join([module.imports[head], *rest[1:]]), hops + 1)
        return None

    def _mro(self, class_qualname: str) -> list[tuple[str, ast.ClassDef | None, LibraryModule | None]]:
        """The class and its bases, nearest first: library classes with their source, other
        classes (a cataloged ``requests.Session``) by name only. A library class is listed
        under its defining name; ``written`` keeps the name it was reached by, which is how
        the catalog may know it (``requests.Session`` is defined in ``requests.sessions``)."""
        order: list[tuple[str, ast.ClassDef | None, LibraryModule | None]] = []
        pending = [class_qualname]
        while pending and len(order) < 32:
            current = pending.pop(0)
            found = self._definition(current)
            if found is None or not isinstance(found.node, ast.ClassDef):
                if all(current != seen for seen, _, _ in order):
                    order.append((current, None, None))
                continue
            if any(found.qualname == seen for seen, _, _ in order):
                continue
            self._written.setdefault(found.qualname, current)
            order.append((found.qualname, found.node, found.module))
            pending.extend(b for b in (found.module.resolve(base) for base in found.node.bases) if b)
        return order

    def _method(self, class_qualname: str, name: str, after_self: bool = False) -> Definition | None:
        for index, (qualname, cls, module) in enumerate(self._mro(class_qualname)):
            if after_self and index == 0:
                continue
            if cls is not None and module is not None:
                method = methods_of(cls).get(name)
                if method is not None:
                    return Definition(module, f"{qualname}.{name}", method, owner=qualname)
        return None

    def _cataloged_method(self, class_qualname: str, name: str, after_self: bool = False) -> str | None:
        """``self.get()`` in a subclass of a cataloged type (``requests.Session``): its code."""
        for index, (qualname, cls, _) in enumerate(self._mro(class_qualname)):
            if after_self and index == 0:
                continue
            for known in (qualname, self._written.get(qualname, qualname)):
                if known in self.catalog.types:
                    blocking = self.catalog.method(known, name)
                    if blocking is not None:
                        return blocking.code if blocking.code in self.root_codes else None
            if cls is not None and name in methods_of(cls):
                return None  # the library's own definition is followed instead
        return None

    # --- summaries -----------------------------------------------------------------------------
    def _callable(self, qualname: str, depth: int) -> Verdict | None:
        found = self._target(qualname, depth)
        return found[1] if found else None

    def _target(self, qualname: str, depth: int) -> tuple[str, Verdict] | None:
        """The frame a call of ``qualname`` shows as, and what the call does."""
        if depth > LIBRARY_DEPTH or _in_async_package(qualname):
            return None
        found = self._definition(qualname)
        if found is None:
            return None
        if isinstance(found.node, ast.ClassDef):
            init = self._method(found.qualname, "__init__")
            verdict = self._function(init, depth) if init is not None else None
        else:
            verdict = self._function(found, depth)
        return (_frame(found), verdict) if verdict else None

    def _function(self, found: Definition, depth: int) -> Verdict | None:
        key = found.qualname
        if key in self._memo:
            return self._memo[key]
        self._memo[key] = None  # recursion ends here
        node = found.node
        verdict = None
        if isinstance(node, ast.FunctionDef) and not _is_generator(node) and self._transparent(found):
            verdict = self._body(found, node, depth)
        self._memo[key] = verdict
        return verdict

    def _transparent(self, found: Definition) -> bool:
        assert not isinstance(found.node, ast.ClassDef)
        for decorator in found.node.decorator_list:
            target = decorator.func if isinstance(decorator, ast.Call) else decorator
            name = found.module.resolve(target) or (target.id if isinstance(target, ast.Name) else "")
            if name not in TRANSPARENT_DECORATORS:
                return False
        return True

    def _body(self, found: Definition, node: ast.FunctionDef, depth: int) -> Verdict | None:
        imported = _local_imports(found.module, node)
        local = _local_names(node) - set(imported)
        scope = Locals(local, self._local_types(found.module, node), imported)
        best: Verdict | None = None
        for call in calls_in(node.body):
            verdict = self._call(found, call.node, scope, depth)
            if verdict is None:
                continue
            if call.certain and verdict.certain:
                return verdict
            best = best or Verdict(False, verdict.code, verdict.chain, verdict.location, verdict.distribution)
        return best

    def _local_types(self, module: LibraryModule, node: ast.FunctionDef) -> dict[str, str]:
        """``s = requests.Session()``: locals made by a cataloged constructor."""
        typed: dict[str, str] = {}
        for statement in ast.walk(node):
            if isinstance(statement, ast.Assign) and isinstance(statement.value, ast.Call):
                made = self.catalog.constructors.get(module.resolve(statement.value.func) or "")
                for target in statement.targets:
                    if made and isinstance(target, ast.Name):
                        typed[target.id] = made
        return typed

    def _call(self, found: Definition, call: ast.Call, scope: Locals, depth: int) -> Verdict | None:
        func = call.func
        if isinstance(func, ast.Attribute) and isinstance(func.value, ast.Name):
            receiver = func.value.id
            if receiver in scope.typed:
                return self._root_method(scope.typed[receiver], func.attr, found, call)
            if receiver in ("self", "cls") and found.owner is not None:
                return self._self_call(found, call, func.attr, after_self=False, depth=depth)
        if isinstance(func, ast.Attribute) and _is_super(func.value) and found.owner is not None:
            return self._self_call(found, call, func.attr, after_self=True, depth=depth)
        head = _head(func)
        if head is None or head in scope.names:
            return None
        name = resolve_chain(func, lambda local: scope.imported.get(local) or found.module.name_of(local))
        return self._named(name, found, call, depth) if name else None

    def _named(self, name: str, found: Definition, call: ast.Call, depth: int) -> Verdict | None:
        blocking = self.catalog.call(name)
        if blocking is not None:
            if blocking.code not in self.root_codes:
                return None
            return self._root(blocking.code, blocking.what, found, call)
        if name in self.catalog.constructors or name in self.catalog.offloaders:
            return None  # a cataloged object made (no I/O), or code handed to a thread
        callee = self._target(name, depth + 1)
        return callee[1].through(callee[0], True) if callee else None

    def _self_call(
        self, found: Definition, call: ast.Call, name: str, after_self: bool, depth: int
    ) -> Verdict | None:
        assert found.owner is not None
        code = self._cataloged_method(found.owner, name, after_self)
        if code is not None:
            return self._root(code, f"{name}()", found, call)
        method = self._method(found.owner, name, after_self)
        if method is None or depth + 1 > LIBRARY_DEPTH:
            return None
        callee = self._function(method, depth + 1)
        return callee.through(_frame(method), True) if callee else None

    def _root_method(self, type_name: str, name: str, found: Definition, call: ast.Call) -> Verdict | None:
        blocking = self.catalog.method(type_name, name)
        if blocking is None or blocking.code not in self.root_codes:
            return None
        return self._root(blocking.code, blocking.what, found, call)

    def _root(self, code: str, what: str, found: Definition, call: ast.Call) -> Verdict:
        distribution = self.distribution(found.module.name)
        site = distribution.site if distribution else os.path.dirname(found.module.path)
        where = f"{os.path.relpath(found.module.path, site)}:{call.lineno}"
        origin = f"{distribution.name} {distribution.version}" if distribution else ""
        return Verdict(True, code, (what,), where.replace(os.sep, "/"), origin)


def _frame(found: Definition) -> str:
    """How a library function shows in a chain: ``_BaseFile.__init__()``, ``pofile()``."""
    return f"{found.qualname.removeprefix(found.module.name + '.')}()"


def _local_imports(module: LibraryModule, node: ast.FunctionDef) -> dict[str, str]:
    """``from .models import Switch`` inside a function body (a lazy import)."""
    scratch = LibraryModule(module.name, module.path)
    imports = [s for s in ast.walk(node) if isinstance(s, (ast.Import, ast.ImportFrom))]
    read_imports(scratch, imports, module.path.endswith("__init__.py"))
    return scratch.imports


def _head(node: ast.expr) -> str | None:
    while isinstance(node, ast.Attribute):
        node = node.value
    return node.id if isinstance(node, ast.Name) else None


def _is_super(node: ast.expr) -> bool:
    return isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and node.func.id == "super"


def _in_async_package(qualname: str) -> bool:
    return any(part in ASYNC_PACKAGES for part in qualname.split(".")[1:-1])


def _is_generator(node: ast.FunctionDef) -> bool:
    pending: list[ast.AST] = list(node.body)
    while pending:
        current = pending.pop()
        if isinstance(current, (ast.Yield, ast.YieldFrom)):
            return True
        if not isinstance(current, (ast.FunctionDef, ast.AsyncFunctionDef, ast.Lambda, ast.ClassDef)):
            pending.extend(ast.iter_child_nodes(current))
    return False


def _local_names(node: ast.FunctionDef) -> set[str]:
    arguments = node.args
    names = {a.arg for a in (*arguments.posonlyargs, *arguments.args, *arguments.kwonlyargs)}
    names |= {a.arg for a in (arguments.vararg, arguments.kwarg) if a is not None}
    for child in ast.walk(node):
        if isinstance(child, ast.Name) and isinstance(child.ctx, ast.Store):
            names.add(child.id)
        elif isinstance(child, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)) and child is not node:
            names.add(child.name)
        elif isinstance(child, (ast.Global, ast.Nonlocal)):
            names -= set(child.names)
    return names
