"""An entry-point module (``asgi.py``, ``wsgi.py``, ``manage.py``) read with ``ast``: where it
sets DJANGO_SETTINGS_MODULE, where Django is configured, what it imports before that, which
names it binds, and what wraps the application."""

from __future__ import annotations

import ast
from collections.abc import Iterator
from dataclasses import dataclass, field

from asyncsafe.deploy.files import ParsedModule
from asyncsafe.deploy.values import Where, where_of
from asyncsafe.deploy.names import bind_imports, dotted

ASGI_FACTORIES = frozenset({"django.core.asgi.get_asgi_application", "channels.routing.ProtocolTypeRouter"})
WSGI_FACTORIES = frozenset({"django.core.wsgi.get_wsgi_application"})
CONFIGURES = frozenset({
    "django.core.asgi.get_asgi_application", "django.core.wsgi.get_wsgi_application", "django.setup",
})
SETTINGS_VARIABLE = "DJANGO_SETTINGS_MODULE"


@dataclass(frozen=True)
class Configure:
    index: int  # top-level statement index
    call: ast.Call
    name: str  # e.g. "django.core.asgi.get_asgi_application"


@dataclass
class Entry:
    parsed: ParsedModule
    imports: dict[str, str] = field(default_factory=dict)  # local name -> qualified name
    settings_name: str | None = None
    settings_where: Where | None = None
    settings_index: int | None = None
    configure: Configure | None = None
    factories: list[tuple[int, ast.Call, str]] = field(default_factory=list)  # (index, call, name)
    bound: dict[str, int] = field(default_factory=dict)  # top-level name -> first line bound

    @property
    def module(self) -> str:
        return self.parsed.name

    @property
    def path(self) -> str:
        return self.parsed.path

    @property
    def kind(self) -> str | None:
        names = {name for _, _, name in self.factories}
        if names & ASGI_FACTORIES:
            return "asgi"
        if names & WSGI_FACTORIES:
            return "wsgi"
        return None

    @property
    def uses_channels(self) -> bool:
        return any(name.startswith("channels.") for name in self.imports.values())

    def where(self, node: ast.AST) -> Where:
        return where_of(self.path, node)

    def qualname(self, node: ast.expr) -> str | None:
        return dotted(node, self.imports)


def read_entry(parsed: ParsedModule) -> Entry:
    entry = Entry(parsed)
    for index, statement in enumerate(parsed.tree.body):
        bind_imports(entry.imports, statement, parsed.name, parsed.is_package)
        _record_bindings(entry, statement)
        _record_settings(entry, index, statement)
        for call in _calls(statement):
            name = entry.qualname(call.func)
            if name is None:
                continue
            if name in ASGI_FACTORIES or name in WSGI_FACTORIES:
                entry.factories.append((index, call, name))
            if name in CONFIGURES and entry.configure is None:
                entry.configure = Configure(index, call, name)
    if entry.settings_name is None:  # manage.py sets it in main() or under __name__ == "__main__"
        entry.settings_name = _settings_anywhere(entry)
    return entry


def _settings_anywhere(entry: Entry) -> str | None:
    for node in ast.walk(entry.parsed.tree):
        if isinstance(node, ast.Call) and entry.qualname(node.func) == "os.environ.setdefault":
            if len(node.args) == 2 and _is_variable(node.args[0]):
                value = node.args[1]
                if isinstance(value, ast.Constant) and isinstance(value.value, str):
                    return value.value
    return None


def _record_bindings(entry: Entry, statement: ast.stmt) -> None:
    names: list[str] = []
    if isinstance(statement, ast.Assign):
        names = [t.id for t in statement.targets if isinstance(t, ast.Name)]
    elif isinstance(statement, ast.AnnAssign) and isinstance(statement.target, ast.Name):
        names = [statement.target.id]
    elif isinstance(statement, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
        names = [statement.name]
    elif isinstance(statement, (ast.Import, ast.ImportFrom)):
        names = [alias.asname or alias.name.split(".")[0] for alias in statement.names]
    else:
        names = [n.id for n in ast.walk(statement) if isinstance(n, ast.Name) and isinstance(n.ctx, ast.Store)]
    for name in names:
        entry.bound.setdefault(name, statement.lineno)


def _record_settings(entry: Entry, index: int, statement: ast.stmt) -> None:
    """``os.environ.setdefault("DJANGO_SETTINGS_MODULE", "x")`` or ``os.environ[...] = "x"``."""
    value: ast.expr | None = None
    if isinstance(statement, ast.Expr) and isinstance(statement.value, ast.Call):
        call = statement.value
        name = entry.qualname(call.func)
        if name in ("os.environ.setdefault", "os.putenv") and len(call.args) == 2 and _is_variable(call.args[0]):
            value = call.args[1]
    elif isinstance(statement, ast.Assign):
        target = statement.targets[0]
        if (
            isinstance(target, ast.Subscript)
            and entry.qualname(target.value) == "os.environ"
            and _is_variable(target.slice)
        ):
            value = statement.value
    if value is None or entry.settings_index is not None:
        return
    entry.settings_index = index
    entry.settings_where = entry.where(statement)
    if isinstance(value, ast.Constant) and isinstance(value.value, str):
        entry.settings_name = value.value


def _is_variable(node: ast.expr) -> bool:
    return isinstance(node, ast.Constant) and node.value == SETTINGS_VARIABLE


def _calls(statement: ast.stmt) -> Iterator[ast.Call]:
    """Calls a top-level statement makes when the module is imported (not in def bodies)."""
    if isinstance(statement, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
        return
    for node in ast.walk(statement):
        if isinstance(node, ast.Call):
            yield node
