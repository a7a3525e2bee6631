"""The data catalog of blocking APIs, loaded once per run from the TOML files beside this module.

A file holds three kinds of tables:

* ``[[type]]``: a type the engine can track through assignments, ``with`` targets and
  annotations (``made_by`` = callables that return it, ``returns`` = what its methods return,
  ``attributes`` = what its attributes hold, ``item`` = what ``x[key]`` holds, ``instances`` =
  module-level objects of this type such as ``openai.chat``, ``decorated_by`` = decorators that
  turn a function into this type, such as ``celery.shared_task``).
* ``[[block]]``: calls that block: canonical function names (``calls``), methods of cataloged
  types (``methods``) and evaluation protocols of those types (``protocols``: iterate, enter,
  ...), with the rule code, why it blocks and the async alternative.
* ``[[offload]]``: callables that run their function argument in a worker thread.

Names in ``calls`` and the keys of ``returns`` and ``attributes`` may be fnmatch patterns
(``stripe.*.create``, ``"*"``); exact names win over patterns. A pattern attribute is *lazy*: the
member is only taken to be an attribute when something is read off it, so ``client.messages``
stays a method when it is called. ``"*"`` in a type's ``methods`` means every public method except
the type's ``clean`` patterns (the methods that do no I/O).

A ``[[block]]`` entry may name its ``twin``: the async API that takes the same arguments, so
``--fix`` can rewrite the call (only from the Django version in ``since`` on):

* for ``calls``, a canonical function name: ``twin = "asyncio.sleep"`` rewrites
  ``time.sleep(x)`` to ``await asyncio.sleep(x)`` (importing ``asyncio`` when needed);
  ``{name}`` stands for the flagged function's own name (``"aiofiles.os.{name}"``);
* for ``methods``, a method name on the same receiver, ``{name}`` standing for the flagged
  method: ``twin = "a{name}"`` rewrites ``qs.get(...)`` to ``await qs.aget(...)``;
* for ``protocols``, ``twin = "async for"`` rewrites ``for x in qs`` to ``async for x in qs``.

``twin-safe = false`` marks a rewrite that can change behaviour (applied with --unsafe-fixes).
For a pattern call or a ``"*"`` method, ``{name}`` is filled in with the name that matched.
"""

from __future__ import annotations

import re
import sys
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from fnmatch import fnmatchcase, translate
from functools import lru_cache
from importlib import resources
from typing import Any

from asyncsafe.config import UNKNOWN_DJANGO

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


CONFIGURED = "configured"
CONFIGURED_CODE = "ASF400"


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
    what_given: bool = False  # ``what`` written in the entry, kept for every name it matches

    def twin_for(self, django: tuple[int, int]) -> str | None:
        """The rewrite target, if the configured Django version has it."""
        if self.since is not None and django < self.since:
            return None
        return self.twin

    def named(self, name: str, what: str) -> Blocking:
        """A pattern entry for the name that matched it (``what`` unless the entry has its own)."""
        twin = self.twin.replace("{name}", name.rpartition(".")[2]) if self.twin else None
        return replace(self, what=self.what if self.what_given else what, twin=twin)

    def suggestion(self, django: tuple[int, int], texts: Mapping[str, str] | None = None) -> str:
        if self.since is not None and django == UNKNOWN_DJANGO and self.fix_before:
            return both_spellings(fill_texts(self.fix, texts), self.since, fill_texts(self.fix_before, texts))
        if self.since is not None and django < self.since and self.fix_before:
            return fill_texts(self.fix_before, texts)
        return fill_texts(self.fix, texts)

    def message(
        self, django: tuple[int, int] = (99, 0), texts: Mapping[str, str] | None = None
    ) -> str:
        if self.why == CONFIGURED:  # the user's own words, as written
            return f"{self.what} is declared blocking ([tool.asyncsafe] blocking-calls); {self.fix}"
        why = WHY_PHRASES.get(self.why, self.why)
        return f"{fill_texts(self.what, texts)} {why}; use {self.suggestion(django, texts)}"


def both_spellings(newer: str, since: tuple[int, int], older: str) -> str:
    """The advice when the project's Django version is unknown: the twin and what works before."""
    return f"{newer} (Django {since[0]}.{since[1]}+; before that: {older})"


def name_texts(callee: str) -> dict[str, str]:
    """The placeholders for an API known only by name (docs, ``rules --catalog``):
    ``{callee}`` is the name, ``{twin}`` the same name with the ``a`` prefix."""
    head, dot, name = callee.rpartition(".")
    return {"callee": callee, "twin": f"{head}{dot}a{name}"}


def fill_texts(text: str, texts: Mapping[str, str] | None) -> str:
    """Put the finding's own source text into ``{callee}``, ``{twin}``, ``{subject}``."""
    for key, value in (texts or {}).items():
        text = text.replace(f"{{{key}}}", value)
    return text


GLOB_CHARS = frozenset("*?[")


def is_pattern(name: str) -> bool:
    return not GLOB_CHARS.isdisjoint(name)


def _pattern_lookup(table: dict[str, str], name: str) -> str | None:
    """The value of the first fnmatch-pattern key that matches a public ``name``."""
    if name.startswith("_"):
        return None
    for key, value in table.items():
        if is_pattern(key) and fnmatchcase(name, key):
            return value
    return None


@dataclass
class TypeSpec:
    name: str
    bases: list[str] = field(default_factory=list)
    returns: dict[str, str] = field(default_factory=dict)
    attributes: dict[str, str] = field(default_factory=dict)
    enter: str | None = None
    label: str | None = None
    item: str | None = None
    clean: list[str] = field(default_factory=list)  # method patterns that do no I/O
    methods: dict[str, Blocking] = field(default_factory=dict)  # "*" = every other public method
    protocols: dict[str, Blocking] = field(default_factory=dict)

    @property
    def display(self) -> str:
        return self.label or _short(self.name)


@dataclass(frozen=True)
class CatalogEntry:
    """One line of ``asyncsafe rules --catalog``."""

    code: str
    name: str
    fix: str
    note: str = ""


class CallPatterns:
    """fnmatch patterns over canonical names, grouped by top-level package for speed."""

    def __init__(self) -> None:
        self.patterns: dict[str, list[tuple[str, Blocking]]] = {}
        self._compiled: dict[str, list[tuple[re.Pattern[str], Blocking]]] = {}

    def add(self, pattern: str, blocking: Blocking) -> None:
        root = pattern.split(".", 1)[0]
        self.patterns.setdefault(root, []).append((pattern, blocking))
        self._compiled.pop(root, None)

    def match(self, qualname: str) -> Blocking | None:
        root = qualname.split(".", 1)[0]
        if root not in self.patterns:
            return None
        if root not in self._compiled:
            self._compiled[root] = [
                (re.compile(translate(p)), b) for p, b in self.patterns[root]
            ]
        for regex, blocking in self._compiled[root]:
            if regex.match(qualname):
                return blocking
        return None


@dataclass
class Catalog:
    calls: dict[str, Blocking] = field(default_factory=dict)
    call_patterns: CallPatterns = field(default_factory=CallPatterns)
    constructors: dict[str, str] = field(default_factory=dict)
    types: dict[str, TypeSpec] = field(default_factory=dict)
    offloaders: dict[str, int] = field(default_factory=dict)
    wrappers: set[str] = field(default_factory=set)  # sync_to_async and friends
    instances: dict[str, str] = field(default_factory=dict)  # module-level object -> type
    decorators: dict[str, str] = field(default_factory=dict)  # decorator -> type it makes
    configured: CallPatterns = field(default_factory=CallPatterns)  # blocking-calls (ASF400)

    def configured_call(self, name: str) -> Blocking | None:
        """The user's blocking-calls entry for a canonical name (``pkg.f`` or ``Type.method``)."""
        matched = self.configured.match(name)
        if matched is None:
            return None
        return matched.named(name, f"{_short(name)}()")

    def is_configured_type(self, qualname: str) -> bool:
        """A class the user's blocking-calls patterns name, itself or as ``Type.method``: its
        instances are tracked so that their methods can match (``legacy_client.Client.fetch``)."""
        last = qualname.rsplit(".", 1)[-1]
        if not last[:1].isupper() or not self.configured.patterns:
            return False
        return self.configured.match(qualname) is not None or any(
            fnmatchcase(qualname, pattern.rpartition(".")[0])
            for group in self.configured.patterns.values()
            for pattern, _ in group
        )

    def call(self, qualname: str) -> Blocking | None:
        """The entry for calling the function or class with this canonical name."""
        found = self.calls.get(qualname)
        if found is not None:
            return found
        matched = self.call_patterns.match(qualname)
        return None if matched is None else matched.named(qualname, f"{_short(qualname)}()")

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
        chain = self.type_chain(type_name)
        for spec in chain:
            if method in spec.methods:
                return spec.methods[method]
        if method.startswith("_") or any(
            fnmatchcase(method, pattern) for spec in chain for pattern in spec.clean
        ):
            return None
        for spec in chain:
            if "*" in spec.methods:
                return spec.methods["*"].named(method, f"{spec.display}.{method}()")
        return None

    def protocol(self, type_name: str, protocol: str) -> Blocking | None:
        for spec in self.type_chain(type_name):
            if protocol in spec.protocols:
                return spec.protocols[protocol]
        return None

    def returns(self, type_name: str, member: str) -> str | None:
        chain = self.type_chain(type_name)
        for spec in chain:
            if member in spec.returns:
                return spec.returns[member]
        for spec in chain:
            found = _pattern_lookup(spec.returns, member)
            if found is not None:
                return found
        return None

    def attribute(self, type_name: str, member: str) -> str | None:
        """What an attribute named exactly in the catalog holds."""
        for spec in self.type_chain(type_name):
            if member in spec.attributes and not is_pattern(member):
                return spec.attributes[member]
        return None

    def lazy_attribute(self, type_name: str, member: str) -> str | None:
        """What a pattern attribute holds (``db.users`` on a pymongo Database), once read from."""
        for spec in self.type_chain(type_name):
            found = _pattern_lookup(spec.attributes, member)
            if found is not None:
                return found
        return None

    def item(self, type_name: str) -> str | None:
        for spec in self.type_chain(type_name):
            if spec.item is not None:
                return spec.item
        return None

    def enter(self, type_name: str) -> str:
        for spec in self.type_chain(type_name):
            if spec.enter is not None:
                return spec.enter
        return type_name

    def codes(self) -> set[str]:
        return {entry.code for entry in self.entries()}

    def entries(self) -> list[CatalogEntry]:
        """Every call, method and protocol the catalog knows, sorted by code and name."""
        found = [_entry(b, _short(n)) for n, b in self.calls.items()]
        for patterns in (self.call_patterns, self.configured):
            for group in patterns.patterns.values():
                found.extend(_entry(b, p) for p, b in group)
        for spec in self.types.values():
            for method, blocking in spec.methods.items():
                note = f"except {', '.join(self._clean(spec.name))}" if method == "*" else ""
                found.append(_entry(blocking, f"{spec.name}.{method}", note))
            for protocol, blocking in spec.protocols.items():
                verb = PROTOCOL_VERBS.get(protocol, protocol)
                fix = fill_texts(blocking.fix, {"subject": spec.display})
                found.append(CatalogEntry(blocking.code, f"{verb} {spec.name}", fix))
        return sorted(set(found), key=lambda e: (e.code, e.name))

    def _clean(self, type_name: str) -> list[str]:
        return [pattern for spec in self.type_chain(type_name) for pattern in spec.clean]


def _entry(blocking: Blocking, name: str, note: str = "") -> CatalogEntry:
    return CatalogEntry(blocking.code, f"{name}()", fill_texts(blocking.fix, name_texts(name)), note)


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
        what_given="what" in entry,
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
    spec.clean.extend(entry.get("clean", []))
    spec.enter = entry.get("enter", spec.enter)
    spec.label = entry.get("label", spec.label)
    spec.item = entry.get("item", spec.item)
    for key, table in (("made_by", catalog.constructors), ("instances", catalog.instances),
                       ("decorated_by", catalog.decorators)):
        for name in entry.get(key, []):
            table[name] = entry["name"]


PROTOCOL_VERBS = {
    "iterate": "iterating",
    "truth": "truth-testing",
    "len": "len() of",
    "enter": "entering (with)",
}


def _add_block(catalog: Catalog, entry: dict[str, Any]) -> None:
    for name in entry.get("calls", []):
        if is_pattern(name):  # what and twin are filled in when a name matches
            catalog.call_patterns.add(name, _blocking(entry, "{qualname}()", "{name}"))
        else:
            catalog.calls[name] = _blocking(entry, f"{_short(name)}()", name.rpartition(".")[2])
    for type_name, methods in entry.get("methods", {}).items():
        spec = catalog.types.setdefault(type_name, TypeSpec(type_name))
        for method in methods:
            name = "{name}" if is_pattern(method) else method  # filled in on a match
            spec.methods[method] = _blocking(entry, f"{spec.display}.{method}()", name)
    for type_name, protocols in entry.get("protocols", {}).items():
        spec = catalog.types.setdefault(type_name, TypeSpec(type_name))
        for protocol in protocols:
            verb = PROTOCOL_VERBS.get(protocol, protocol)
            spec.protocols[protocol] = _blocking(entry, f"{verb} a {spec.display}")


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
                if entry.get("wrapper"):
                    catalog.wrappers.add(name)


@lru_cache(maxsize=8)
def configured_catalog(blocking_calls: tuple[tuple[str, str], ...]) -> Catalog:
    """The built-in catalog plus the user's ``blocking-calls`` (pattern, suggestion) entries."""
    builtin = builtin_catalog()
    if not blocking_calls:
        return builtin
    configured = CallPatterns()
    for pattern, suggestion in blocking_calls:
        configured.add(pattern, Blocking(CONFIGURED_CODE, "{name}()", CONFIGURED, suggestion))
    return replace(builtin, configured=configured)


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
