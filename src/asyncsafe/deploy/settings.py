"""A Django settings module read with ``ast``: literal values and simple list/dict operations,
following the module's own imports (``from .base import *`` chains, split settings).

What is computed (a call, an environment lookup, a conditional assignment) is ``Unknown``; a
module whose names could change in ways the reader cannot follow (an unresolved star import,
``globals()``/``locals()`` handed to a call, django-split-settings' ``include()``) is
*incomplete*: a name it does not assign is then unknown too, not Django's default.
"""

from __future__ import annotations

import ast
from dataclasses import dataclass, field

from asyncsafe.deploy.files import ParsedModule, ProjectFiles
from asyncsafe.deploy.values import Known, KnownDict, KnownList, Unknown, Value, Where, where_of
from asyncsafe.deploy.names import bind_imports, dotted, imported_module

# Calls that hand the module's namespace to code the reader cannot follow.
NAMESPACE_CALLS = frozenset({"globals", "locals", "vars", "exec", "eval", "include", "setattr"})
LIST_METHODS = frozenset({"append", "insert", "extend", "remove"})
DJ_DATABASE_URL = frozenset({"dj_database_url.config", "dj_database_url.parse"})
MAX_CHAIN = 20  # star imports followed: more is a cycle or a generator, not settings


@dataclass
class SettingsModule:
    name: str
    path: str
    values: dict[str, Value] = field(default_factory=dict)
    complete: bool = True
    files: list[str] = field(default_factory=list)  # this module and what it imported

    def get(self, name: str) -> Value | None:
        """The value; None when never assigned (Django's default applies), Unknown when the
        module is incomplete and does not assign it."""
        if name in self.values:
            return self.values[name]
        return None if self.complete else Unknown()


def read_settings(files: ProjectFiles, module: str, _chain: tuple[str, ...] = ()) -> SettingsModule | None:
    """The settings module ``module`` (None when it is not a project module)."""
    if module in _chain or len(_chain) > MAX_CHAIN:
        return None
    parsed = files.parse(module)
    if parsed is None:
        return None
    reader = _Reader(files, parsed, (*_chain, module))
    reader.run(parsed.tree.body)
    return reader.result


class _Reader:
    def __init__(self, files: ProjectFiles, parsed: ParsedModule, chain: tuple[str, ...]) -> None:
        self.files = files
        self.parsed = parsed
        self.chain = chain
        self.result = SettingsModule(parsed.name, parsed.path, files=[parsed.path])
        self.aliases: dict[str, str] = {}  # local name -> imported module/name (dj_database_url)

    @property
    def ns(self) -> dict[str, Value]:
        return self.result.values

    def where(self, node: ast.AST) -> Where:
        return where_of(self.parsed.path, node)

    def run(self, body: list[ast.stmt], checked: bool = False) -> None:
        """``checked``: the enclosing statement was already searched for namespace handovers."""
        for statement in body:
            self.statement(statement, checked)

    # --- statements -------------------------------------------------------------------------

    def statement(self, node: ast.stmt, checked: bool = False) -> None:
        if not checked and _hands_namespace(node):
            self.lose_track(node)
        if isinstance(node, ast.Assign):
            value = self.evaluate(node.value)
            for target in node.targets:
                self.assign(target, value)
        elif isinstance(node, ast.AnnAssign) and node.value is not None:
            self.assign(node.target, self.evaluate(node.value))
        elif isinstance(node, ast.AugAssign):
            self.augment(node)
        elif isinstance(node, ast.Expr) and isinstance(node.value, ast.Call):
            self.method_call(node.value)
        elif isinstance(node, ast.ImportFrom):
            self.import_from(node)
        elif isinstance(node, ast.Import):
            bind_imports(self.aliases, node, self.parsed.name, self.parsed.is_package)
        elif isinstance(node, ast.If):
            self.either(node)
        elif not isinstance(node, (ast.Expr, ast.Pass, ast.Assert)):
            self.forget(node)

    def either(self, node: ast.If) -> None:
        """``if X: MIDDLEWARE = ["a"] + MIDDLEWARE``: only what holds after both branches is
        certain (the same value, or the entries a list has either way)."""
        before, complete = dict(self.ns), self.result.complete
        self.run(node.body, checked=True)
        taken, taken_complete = dict(self.ns), self.result.complete
        self.ns.clear()
        self.ns.update(before)
        self.result.complete = complete
        self.run(node.orelse, checked=True)
        for name in set(taken) | set(self.ns):
            self.ns[name] = _common(taken.get(name), self.ns.get(name), self.where(node))
        self.result.complete = self.result.complete and taken_complete

    def lose_track(self, node: ast.stmt) -> None:
        """Code the reader cannot follow may rebind any name: what was known before is not."""
        self.result.complete = False
        for name in self.ns:
            self.ns[name] = Unknown(self.where(node))

    def forget(self, node: ast.stmt) -> None:
        """A compound statement (if/try/for/with/def/class/del): what it may assign is unknown."""
        for inner in ast.walk(node):
            if isinstance(inner, ast.ImportFrom) and any(alias.name == "*" for alias in inner.names):
                self.lose_track(node)
            for name in _bound_names(inner):
                self.ns[name] = Unknown(self.where(inner))
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
            self.ns[node.name] = Unknown(self.where(node))

    def assign(self, target: ast.expr, value: Value) -> None:
        if isinstance(target, ast.Name):
            self.ns[target.id] = value
        elif isinstance(target, ast.Subscript):
            self.set_item(target, value)
        elif isinstance(target, (ast.Tuple, ast.List)):
            for inner in target.elts:
                self.assign(inner.value if isinstance(inner, ast.Starred) else inner, Unknown(self.where(target)))

    def set_item(self, target: ast.Subscript, value: Value) -> None:
        """``DATABASES["default"]["CONN_MAX_AGE"] = 600``: a nested key of a dict setting."""
        keys: list[str] = []
        node: ast.expr = target
        while isinstance(node, ast.Subscript):
            key = node.slice
            if not (isinstance(key, ast.Constant) and isinstance(key.value, str)):
                root = _root_name(node)
                if root is not None:
                    self.ns[root] = Unknown(self.where(target))
                return
            keys.insert(0, key.value)
            node = node.value
        if isinstance(node, ast.Name):
            self.ns[node.id] = _with_path(self.ns.get(node.id, Unknown()), keys, value, self.where(target))

    def augment(self, node: ast.AugAssign) -> None:
        if not isinstance(node.target, ast.Name):
            root = _root_name(node.target)
            if root is not None:
                self.ns[root] = Unknown(self.where(node))
            return
        current = self.ns.get(node.target.id, Unknown())
        added = self.evaluate(node.value)
        combined: Value = Unknown(self.where(node))
        if isinstance(node.op, ast.Add):
            combined = _add(current, added, self.where(node))
        self.ns[node.target.id] = combined

    def method_call(self, call: ast.Call) -> None:
        """``MIDDLEWARE.append("x")``, ``.insert(0, "x")``, ``.extend([...])``, ``.remove("x")``,
        ``DATABASES["default"].update({...})``; any other call on a setting makes it unknown."""
        func = call.func
        if not isinstance(func, ast.Attribute):
            return
        root = _root_name(func.value)
        if root is None or root not in self.ns:
            return
        holder = self.evaluate(func.value)
        args = [self.evaluate(arg) for arg in call.args]
        changed = _apply_method(holder, func.attr, args, call.keywords, self.where(call))
        if isinstance(func.value, ast.Name):
            self.ns[root] = changed
        elif isinstance(func.value, ast.Subscript) and not isinstance(changed, Unknown):
            self.set_item(func.value, changed)
        else:
            self.ns[root] = Unknown(self.where(call))

    def import_from(self, node: ast.ImportFrom) -> None:
        module = imported_module(node, self.parsed.name, self.parsed.is_package)
        star = any(alias.name == "*" for alias in node.names)
        imported = read_settings(self.files, module, self.chain) if (star or _any_upper(node)) else None
        if star:
            if imported is None:
                self.lose_track(node)
                return
            self.ns.update({name: value for name, value in imported.values.items() if not name.startswith("_")})
            self.result.complete = self.result.complete and imported.complete
            self.result.files.extend(imported.files)
            return
        for alias in node.names:
            local = alias.asname or alias.name
            self.aliases[local] = f"{module}.{alias.name}"
            found = imported.values.get(alias.name) if imported is not None else None
            self.ns[local] = found if found is not None else Unknown(self.where(node))
        if imported is not None:
            self.result.files.extend(imported.files)

    # --- expressions ------------------------------------------------------------------------

    def evaluate(self, node: ast.expr) -> Value:
        where = self.where(node)
        if isinstance(node, ast.Constant) and isinstance(node.value, (str, int, float, bool, type(None))):
            return Known(node.value, where)
        if isinstance(node, (ast.List, ast.Tuple)):
            if any(isinstance(item, ast.Starred) for item in node.elts):
                return Unknown(where)
            return KnownList(tuple(self.evaluate(item) for item in node.elts), where)
        if isinstance(node, ast.Dict):
            return self.evaluate_dict(node)
        if isinstance(node, ast.Name):
            return self.ns.get(node.id, Unknown(where))
        if isinstance(node, ast.BinOp):
            return _binary(node.op, self.evaluate(node.left), self.evaluate(node.right), where)
        if isinstance(node, ast.UnaryOp) and isinstance(node.op, ast.USub):
            inner = self.evaluate(node.operand)
            if isinstance(inner, Known) and isinstance(inner.value, (int, float)) and not isinstance(inner.value, bool):
                return Known(-inner.value, where)
        if isinstance(node, ast.Subscript) and isinstance(node.slice, ast.Constant):
            holder = self.evaluate(node.value)
            if isinstance(holder, KnownDict) and isinstance(node.slice.value, str):
                return holder.get(node.slice.value) or Unknown(where)
        if isinstance(node, ast.Call):
            return self.evaluate_call(node)
        return Unknown(where)

    def evaluate_dict(self, node: ast.Dict) -> Value:
        items: list[tuple[str, Value]] = []
        for key, value in zip(node.keys, node.values):
            if key is None:  # {**base, ...}
                spread = self.evaluate(value)
                if not isinstance(spread, KnownDict) or spread.partial:
                    return Unknown(self.where(node))
                items.extend(spread.items)
            elif isinstance(key, ast.Constant) and isinstance(key.value, str):
                items.append((key.value, self.evaluate(value)))
            else:
                return Unknown(self.where(node))
        return KnownDict(tuple(items), self.where(node))

    def evaluate_call(self, node: ast.Call) -> Value:
        """``dj_database_url.config(conn_max_age=600)``: the one computed database dict whose
        ``CONN_MAX_AGE`` is certain (a literal keyword); its other keys are unknown."""
        where = self.where(node)
        if dotted(node.func, self.aliases, keep_unbound=True) in DJ_DATABASE_URL:
            for keyword in node.keywords:
                if keyword.arg == "conn_max_age":
                    return KnownDict((("CONN_MAX_AGE", self.evaluate(keyword.value)),), where, partial=True)
            return KnownDict((("CONN_MAX_AGE", Known(0, where)),), where, partial=True)
        return Unknown(where)


def _common(one: Value | None, other: Value | None, where: Where) -> Value:
    """What two branches agree on: the same value, or a list's entries present in both."""
    if one is not None and one == other:
        return one
    if isinstance(one, KnownList) and isinstance(other, KnownList):
        kept = tuple(item for item in one.items if item in other.items)
        return KnownList(kept, one.where)
    return Unknown(where)


def _hands_namespace(node: ast.stmt) -> bool:
    return any(
        isinstance(inner, ast.Call) and isinstance(inner.func, ast.Name) and inner.func.id in NAMESPACE_CALLS
        for inner in ast.walk(node)
    )


def _bound_names(node: ast.AST) -> list[str]:
    if isinstance(node, ast.Name) and isinstance(node.ctx, (ast.Store, ast.Del)):
        return [node.id]
    if isinstance(node, (ast.Subscript, ast.Attribute)) and isinstance(node.ctx, ast.Store):
        root = _root_name(node)
        return [root] if root is not None else []
    if isinstance(node, ast.Expr) and isinstance(node.value, ast.Call) and isinstance(node.value.func, ast.Attribute):
        root = _root_name(node.value.func.value)  # MIDDLEWARE.append(...) inside an if
        return [root] if root is not None else []
    if isinstance(node, (ast.Import, ast.ImportFrom)):
        return [alias.asname or alias.name.split(".")[0] for alias in node.names if alias.name != "*"]
    return []


def _root_name(node: ast.expr) -> str | None:
    while isinstance(node, (ast.Subscript, ast.Attribute)):
        node = node.value
    return node.id if isinstance(node, ast.Name) else None


def _any_upper(node: ast.ImportFrom) -> bool:
    return any(alias.name.isupper() for alias in node.names)


def _with_path(holder: Value, keys: list[str], value: Value, where: Where) -> Value:
    """``holder`` with ``holder[k1][k2]... = value``. Writing into an unknown dict keeps what
    is now certain (that key) and leaves the rest unknown."""
    if not keys:
        return value
    if isinstance(holder, KnownDict):
        inner = holder.get(keys[0])
        return holder.with_item(keys[0], _with_path(inner if inner is not None else KnownDict((), where), keys[1:], value, where))
    if isinstance(holder, Unknown):
        partial = KnownDict((), holder.where or where, partial=True)
        return partial.with_item(keys[0], _with_path(Unknown(where), keys[1:], value, where))
    return Unknown(where)


def _add(left: Value, right: Value, where: Where) -> Value:
    if isinstance(left, KnownList) and isinstance(right, KnownList):
        return KnownList((*left.items, *right.items), left.where)
    return _binary(ast.Add(), left, right, where)


def _binary(op: ast.operator, left: Value, right: Value, where: Where) -> Value:
    if isinstance(left, KnownList) and isinstance(right, KnownList) and isinstance(op, ast.Add):
        return KnownList((*left.items, *right.items), where)
    if not (isinstance(left, Known) and isinstance(right, Known)):
        return Unknown(where)
    a, b = left.value, right.value
    if isinstance(a, str) and isinstance(b, str) and isinstance(op, ast.Add):
        return Known(a + b, where)
    numbers = all(isinstance(v, (int, float)) and not isinstance(v, bool) for v in (a, b))
    if numbers and isinstance(op, (ast.Add, ast.Sub, ast.Mult)):
        assert isinstance(a, (int, float)) and isinstance(b, (int, float))
        result = a + b if isinstance(op, ast.Add) else a - b if isinstance(op, ast.Sub) else a * b
        return Known(result, where)
    return Unknown(where)


def _apply_method(holder: Value, method: str, args: list[Value], keywords: list[ast.keyword], where: Where) -> Value:
    if keywords:
        return Unknown(where)
    if isinstance(holder, KnownList) and method in LIST_METHODS:
        items = list(holder.items)
        if method == "append" and len(args) == 1:
            return KnownList((*items, args[0]), holder.where)
        if method == "extend" and len(args) == 1 and isinstance(args[0], KnownList):
            return KnownList((*items, *args[0].items), holder.where)
        if method == "insert" and len(args) == 2 and isinstance(args[0], Known) and isinstance(args[0].value, int):
            items.insert(args[0].value, args[1])
            return KnownList(tuple(items), holder.where)
        if method == "remove" and len(args) == 1 and isinstance(args[0], Known):
            kept = [item for item in items if not (isinstance(item, Known) and item.value == args[0].value)]
            if len(kept) == len(items) - 1:
                return KnownList(tuple(kept), holder.where)
    if isinstance(holder, KnownDict) and method == "update" and len(args) == 1 and isinstance(args[0], KnownDict):
        updated = holder
        for key, value in args[0].items:
            updated = updated.with_item(key, value)
        return updated if not args[0].partial else Unknown(where)
    return Unknown(where)
