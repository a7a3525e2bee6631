"""The data catalog of blocking APIs, loaded once per run from the TOML files beside this module.

A file holds three kinds of tables:

* ``[[type]]``: a type the engine can track through assignments, ``with`` targets and
  annotations (``made_by`` = callables that return it, ``returns`` = what its methods return).
* ``[[block]]``: calls that block: canonical function names (``calls``), methods of cataloged
  types (``methods``) and evaluation protocols of those types (``protocols``: iterate, ...),
  with the rule code, why it blocks and the async alternative.
* ``[[offload]]``: callables that run their function argument in a worker thread.

A ``[[block]]`` entry may name its ``twin``: the async API that takes the same arguments, so
``--fix`` can rewrite the call (only from the Django version in ``since`` on):

* for ``calls``, a canonical function name: ``twin = "asyncio.sleep"`` rewrites
  ``time.sleep(x)`` to ``await asyncio.sleep(x)`` (importing ``asyncio`` when needed);
  ``{name}`` stands for the flagged function's own name (``"aiofiles.os.{name}"``);
* for ``methods``, a method name on the same receiver, ``{name}`` standing for the flagged
  method: ``twin = "a{name}"`` rewrites ``qs.get(...)`` to ``await qs.aget(...)``;
* for ``protocols``, ``twin = "async for"`` rewrites ``for x in qs`` to ``async for x in qs``.

``twin-safe = false`` marks a rewrite that can change behaviour (applied with --unsafe-fixes).
"""

from __future__ import annotations

import sys
from collections.abc import Mapping
from dataclasses import dataclass, field
from functools import lru_cache
from importlib import resources
from typing import Any

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover - exercised only on 3.10
    import tomli as tomllib

WHY_PHRASES: dict[str, str] = {
    "sleep": "sleeps the whole thread, so no other request on this worker runs meanwhile",
    "net": "waits on the network while holding the event loop",
    "disk": "does blocking file I/O on the event loop",
    "proc": "waits for a child process while holding the event loop",
    "lock": "waits on a thread lock or queue while holding the event loop",
    "tty": "waits for terminal input while holding the event loop",
    "db": "runs a blocking database query on the event loop",
    "cpu": "does CPU-bound work on the event loop",
    "meta": "makes a filesystem syscall on the event loop",
}


@dataclass(frozen=True)
class Condition:
    """An argument that, when passed with this value, makes the call non-blocking."""

    position: int | None
    keyword: str | None
    value: str


@dataclass(frozen=True)
class Blocking:
    code: str
    what: str
    why: str
    fix: str
    unless: tuple[Condition, ...] = ()
    only_when_given: tuple[str, ...] = ()
    since: tuple[int, int] | None = None  # Django version where ``fix`` first exists
    fix_before: str | None = None  # the advice for older Django versions
    twin: str | None = None  # the async API --fix rewrites to (see the module docstring)
    twin_safe: bool = True

    def twin_for(self, django: tuple[int, int]) -> str | None:
        """The rewrite target, if the configured Django version has it."""
        if self.since is not None and django < self.since:
            return None
        return self.twin

    def suggestion(self, django: tuple[int, int], texts: Mapping[str, str] | None = None) -> str:
        if self.since is not None and django < self.since and self.fix_before:
            return fill_texts(self.fix_before, texts)
        return fill_texts(self.fix, texts)

    def message(
        self, django: tuple[int, int] = (99, 0), texts: Mapping[str, str] | None = None
    ) -> str:
        why = WHY_PHRASES.get(self.why, self.why)
        return f"{fill_texts(self.what, texts)} {why}; use {self.suggestion(django, texts)}"


def fill_texts(text: str, texts: Mapping[str, str] | None) -> str:
    """Put the finding's own source text into ``{callee}``, ``{twin}``, ``{subject}``."""
    for key, value in (texts or {}).items():
        text = text.replace(f"{{{key}}}", value)
    return text


@dataclass
class TypeSpec:
    name: str
    bases: list[str] = field(default_factory=list)
    returns: dict[str, str] = field(default_factory=dict)
    attributes: dict[str, str] = field(default_factory=dict)
    enter: str | None = None
    label: str | None = None
    methods: dict[str, Blocking] = field(default_factory=dict)
    protocols: dict[str, Blocking] = field(default_factory=dict)


@dataclass
class Catalog:
    calls: dict[str, Blocking] = field(default_factory=dict)
    constructors: dict[str, str] = field(default_factory=dict)
    types: dict[str, TypeSpec] = field(default_factory=dict)
    offloaders: dict[str, int] = field(default_factory=dict)

    def type_chain(self, name: str) -> list[TypeSpec]:
        """The type and its cataloged bases, nearest first."""
        chain: list[TypeSpec] = []
        pending = [name]
        while pending:
            spec = self.types.get(pending.pop(0))
            if spec is not None and spec not in chain:
                chain.append(spec)
                pending.extend(spec.bases)
        return chain

    def method(self, type_name: str, method: str) -> Blocking | None:
        for spec in self.type_chain(type_name):
            if method in spec.methods:
                return spec.methods[method]
        return None

    def protocol(self, type_name: str, protocol: str) -> Blocking | None:
        for spec in self.type_chain(type_name):
            if protocol in spec.protocols:
                return spec.protocols[protocol]
        return None

    def returns(self, type_name: str, member: str) -> str | None:
        for spec in self.type_chain(type_name):
            if member in spec.returns:
                return spec.returns[member]
        return None

    def attribute(self, type_name: str, member: str) -> str | None:
        for spec in self.type_chain(type_name):
            if member in spec.attributes:
                return spec.attributes[member]
        return None

    def enter(self, type_name: str) -> str:
        for spec in self.type_chain(type_name):
            if spec.enter is not None:
                return spec.enter
        return type_name

    def codes(self) -> set[str]:
        found = {b.code for b in self.calls.values()}
        for spec in self.types.values():
            found |= {b.code for b in spec.methods.values()}
            found |= {b.code for b in spec.protocols.values()}
        return found


class CatalogError(ValueError):
    pass


def _parse_condition(text: str) -> Condition:
    key, sep, value = text.partition("=")
    if not sep or not key or not value:
        raise CatalogError(f"condition {text!r} must look like '1=os.WNOHANG' or 'block=False'")
    if key.isdigit():
        return Condition(position=int(key), keyword=None, value=value)
    return Condition(position=None, keyword=key, value=value)


def _blocking(entry: dict[str, Any], what: str, name: str = "") -> Blocking:
    twin = entry.get("twin")
    return Blocking(
        code=entry["code"],
        what=entry.get("what", what),
        why=entry["why"],
        fix=entry["fix"],
        unless=tuple(_parse_condition(c) for c in entry.get("unless", [])),
        only_when_given=tuple(entry.get("only_when_given", [])),
        since=_version(entry["since"]) if "since" in entry else None,
        fix_before=entry.get("fix_before"),
        twin=twin.replace("{name}", name) if isinstance(twin, str) else None,
        twin_safe=bool(entry.get("twin-safe", True)),
    )


def _version(text: str) -> tuple[int, int]:
    major, minor = str(text).split(".")
    return int(major), int(minor)


def _short(qualname: str) -> str:
    return qualname.removeprefix("builtins.")


def _add_type(catalog: Catalog, entry: dict[str, Any]) -> None:
    spec = catalog.types.setdefault(entry["name"], TypeSpec(entry["name"]))
    spec.bases.extend(entry.get("bases", []))
    spec.returns.update(entry.get("returns", {}))
    spec.attributes.update(entry.get("attributes", {}))
    spec.enter = entry.get("enter", spec.enter)
    spec.label = entry.get("label", spec.label)
    for maker in entry.get("made_by", []):
        catalog.constructors[maker] = entry["name"]


PROTOCOL_VERBS = {"iterate": "iterating", "truth": "truth-testing", "len": "len() of"}


def _add_block(catalog: Catalog, entry: dict[str, Any]) -> None:
    for name in entry.get("calls", []):
        catalog.calls[name] = _blocking(entry, f"{_short(name)}()", name.rpartition(".")[2])
    for type_name, methods in entry.get("methods", {}).items():
        spec = catalog.types.setdefault(type_name, TypeSpec(type_name))
        label = spec.label or _short(type_name)
        for method in methods:
            spec.methods[method] = _blocking(entry, f"{label}.{method}()", method)
    for type_name, protocols in entry.get("protocols", {}).items():
        spec = catalog.types.setdefault(type_name, TypeSpec(type_name))
        label = spec.label or _short(type_name)
        for protocol in protocols:
            verb = PROTOCOL_VERBS.get(protocol, protocol)
            spec.protocols[protocol] = _blocking(entry, f"{verb} a {label}")


def load_catalog_data(catalog: Catalog, documents: list[tuple[str, dict[str, Any]]]) -> None:
    """Types first (across every document), so block messages can use their labels."""
    for kind, add in (("type", _add_type), ("block", _add_block)):
        for origin, data in documents:
            try:
                for entry in data.get(kind, []):
                    add(catalog, entry)
            except (KeyError, TypeError, ValueError) as exc:
                raise CatalogError(f"{origin}: bad [[{kind}]] entry: {exc}") from exc
    for origin, data in documents:
        for entry in data.get("offload", []):
            for name in entry["calls"]:
                catalog.offloaders[name] = int(entry.get("argument", 0))


@lru_cache(maxsize=1)
def builtin_catalog() -> Catalog:
    """Every ``*.toml`` shipped in this package, in name order."""
    files = sorted(
        (f for f in resources.files(__name__).iterdir() if f.name.endswith(".toml")),
        key=lambda f: f.name,
    )
    catalog = Catalog()
    load_catalog_data(
        catalog, [(f.name, tomllib.loads(f.read_text(encoding="utf-8"))) for f in files]
    )
    return catalog
