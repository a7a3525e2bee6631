"""The data-driven type provider: what the catalog says constructors and methods return."""

from __future__ import annotations

from typing import TYPE_CHECKING

import libcst as cst

from asyncsafe.catalog import Catalog
from asyncsafe.engine.tree.scopes import Resolver
from asyncsafe.engine.tree.values import Instance, Member, Ref, Value

if TYPE_CHECKING:
    from asyncsafe.engine.tree.events import FileContext


class BaseTypes:
    """A provider that knows nothing: subclass it and override only the hooks you answer."""

    def call_result(self, callee: Value, call: cst.Call | None, resolver: Resolver) -> Value | None:
        return None

    def member(self, receiver: Value, name: str) -> Value | None:
        return None

    def annotation(self, qualname: str) -> Value | None:
        return None

    def element(self, iterable: Value) -> Value | None:
        return None

    def entered(self, manager: Value) -> Value | None:
        return None

    def awaited(self, awaitable: Value, node: cst.BaseExpression) -> Value | None:
        return None

    def subscript(self, value: Value, node: cst.Subscript) -> Value | None:
        return None


class FileTypes(BaseTypes):
    """A provider that needs the file being analyzed (its module, settings, project)."""

    def __init__(self, catalog: Catalog) -> None:
        self.catalog = catalog
        self.ctx: FileContext | None = None

    def start_file(self, ctx: FileContext) -> None:
        self.ctx = ctx


class CatalogTypes:
    def __init__(self, catalog: Catalog) -> None:
        self.catalog = catalog

    def call_result(self, callee: Value, call: cst.Call | None, resolver: Resolver) -> Value | None:
        if isinstance(callee, Ref):
            return self._made_by(callee.qualname)
        if isinstance(callee, Member):
            returned = self.catalog.returns(callee.receiver.type_name, callee.name)
            return Instance(returned) if returned else None
        if isinstance(callee, Instance):  # a callable object: twilio's client.messages(sid)
            returned = self.catalog.returns(callee.type_name, "__call__")
            return Instance(returned) if returned else None
        return None

    def member(self, receiver: Value, name: str) -> Value | None:
        if isinstance(receiver, Ref):
            held = self.catalog.instances.get(f"{receiver.qualname}.{name}")
            if held is not None:  # a module-level object: openai.chat
                return Instance(held)
            held = self.catalog.instances.get(receiver.qualname)  # from openai import chat
            return self._member_of(Instance(held), name) if held else None
        if isinstance(receiver, Member):
            # A pattern attribute becomes an object once something is read off it (db.users.x).
            held = self.catalog.lazy_attribute(receiver.receiver.type_name, receiver.name)
            return self._member_of(Instance(held), name) if held else None
        if isinstance(receiver, Instance):
            attribute = self.catalog.attribute(receiver.type_name, name)
            return Instance(attribute) if attribute else None
        return None

    def _member_of(self, receiver: Instance, name: str) -> Value:
        attribute = self.catalog.attribute(receiver.type_name, name)
        return Instance(attribute) if attribute else Member(receiver, name)

    def annotation(self, qualname: str) -> Value | None:
        if qualname in self.catalog.types:
            return Instance(qualname)
        return self._made_by(qualname)  # a class that makes a cataloged type

    def _made_by(self, qualname: str) -> Instance | None:
        made = self.catalog.constructors.get(qualname)
        if made is not None:
            return Instance(made)
        return Instance(qualname) if self.catalog.is_configured_type(qualname) else None

    def element(self, iterable: Value) -> Value | None:
        return None

    def entered(self, manager: Value) -> Value | None:
        if isinstance(manager, Instance) and manager.type_name in self.catalog.types:
            return Instance(self.catalog.enter(manager.type_name))
        return None

    def awaited(self, awaitable: Value, node: cst.BaseExpression) -> Value | None:
        return None

    def subscript(self, value: Value, node: cst.Subscript) -> Value | None:
        if isinstance(value, Instance):
            item = self.catalog.item(value.type_name)
            return Instance(item) if item else None
        return None
