"""ASF801/ASF890: a third-party function called from async code that blocks, inferred from the
library's own source in the project's environment (``asyncsafe.library``).

The catalog wins where it has an entry (and ``blocking-calls``/``safe-calls`` win over both);
project names are the call graph's (ASF6xx). Findings in sync functions feed the call graph like
every other rule's, so a project helper that calls the library is reported at its async caller.
"""

from __future__ import annotations

from functools import lru_cache

import libcst as cst

from asyncsafe.catalog import Catalog
from asyncsafe.config import Settings
from asyncsafe.engine.tree.events import CallSite, Checker, FileContext
from asyncsafe.engine.tree.providers import FileTypes
from asyncsafe.engine.tree.scopes import Resolver
from asyncsafe.engine.tree.values import Instance, Member, Ref, Value
from asyncsafe.library.environment import find_interpreter, site_directories_of
from asyncsafe.library.shipped import covers, shipped
from asyncsafe.library.summaries import ROOT_FAMILIES, Library, Verdict
from asyncsafe.rules.quotes import quote
from asyncsafe.rules.registry import RuleSpec, register

CERTAIN = "ASF801"
LIBRARY_OBJECT = "library"  # Instance.info of an object made by calling a library class
# Its type name is prefixed: rules that know a library type by name (the ORM's Paginator) must
# not take an object inference made for theirs.
LIBRARY_TYPE = "library:"
POSSIBLE = "ASF890"

INFERRED = (
    "asyncsafe read the library's source in your project's environment (the `python` setting, "
    "--python, VIRTUAL_ENV, a .venv beside the config file, or the interpreter it runs on) and "
    "followed the call to a blocking call it knows (a socket, open(), a subprocess, time.sleep, "
    "a sync HTTP or SDK client). The message names the chain and where the blocking call is. "
    "Library code is never imported or executed; summaries are cached per library version in "
    "the user cache directory."
)

register(
    RuleSpec(
        code=CERTAIN,
        name="blocking-library-call",
        summary="a third-party function that blocks on every path (inferred from the library's source)",
        why=(
            "The function is not in the catalog, but its own code reaches a blocking call on every "
            "normal path: called from async code it runs, and waits, on the event loop. "
            + INFERRED
        ),
        example="""
            import polib

            async def translations(request):
                catalog = polib.pofile("locale/de.po")
                # ASF801 polib.pofile() -> _pofile_or_mofile() -> ... -> open() (polib.py:...)
        """,
        fix="""
            async def translations(request):
                catalog = await sync_to_async(polib.pofile)("locale/de.po")
        """,
    ),
    RuleSpec(
        code=POSSIBLE,
        name="may-block-library-call",
        summary="a third-party function that blocks on some path only (inferred from its source)",
        why=(
            "The blocking call is behind a condition asyncsafe cannot see: a branch, a loop, an "
            "error handler, or a lazy first use (`if self._x is None: ...`). It may never run, or "
            "only once per process, so this is opt-in. " + INFERRED
        ),
        example="""
            async def settings_view(request):
                value = vendor.config.get("key")  # loads a file on first use
        """,
        fix="""
            async def settings_view(request):
                value = await sync_to_async(vendor.config.get)("key")
        """,
        default_enabled=False,
    ),
)


_LIBRARIES: dict[tuple[str, int], Library] = {}


def _library(interpreter: str, catalog: Catalog) -> Library:
    """One per environment and catalog, for the process (its memos serve every file)."""
    key = (interpreter, id(catalog))
    if key not in _LIBRARIES:
        from asyncsafe.rules.codes import CODES

        roots = frozenset(code for code, on in CODES.items() if on and code.startswith(ROOT_FAMILIES))
        _LIBRARIES[key] = Library(site_directories_of(interpreter), catalog, roots)
    return _LIBRARIES[key]


@lru_cache(maxsize=8)
def _interpreter(python: str | None, root: str) -> str:
    return find_interpreter(Settings(python=python, root=root))


def library_for(settings: Settings, catalog: Catalog) -> Library:
    return _library(_interpreter(settings.python, settings.root), catalog)


class LibraryTypes(FileTypes):
    """``jwt.PyJWKClient(url)``: an instance of a library class, so that its methods can be
    summarized (``client.get_signing_key_from_jwt(token)``)."""

    def call_result(self, callee: Value, call: cst.Call | None, resolver: Resolver) -> Value | None:
        if self.ctx is None or not isinstance(callee, Ref) or not _inferring(self.ctx):
            return None
        name = callee.qualname
        if known_elsewhere(self.ctx, name):
            return None
        library = library_for(self.ctx.settings, self.ctx.catalog)
        if library.distribution(name) is not None:
            found = library.is_class(name)
        else:
            found = covers(name) and shipped().is_class(name)
        return Instance(f"{LIBRARY_TYPE}{name}", LIBRARY_OBJECT) if found else None


def _inferring(ctx: FileContext) -> bool:
    return ctx.settings.is_enabled(CERTAIN) or ctx.settings.is_enabled(POSSIBLE)


def known_elsewhere(ctx: FileContext, name: str) -> bool:
    """The catalog, the configuration or the project decides about this name."""
    catalog = ctx.catalog
    if name.startswith(("builtins.", f"{ctx.module}.")) or ctx.settings.is_safe_call(name):
        return True
    if catalog.call(name) is not None or catalog.configured_call(name) is not None:
        return True
    if name in catalog.constructors or name in catalog.offloaders or name in catalog.decorators:
        return True
    return ctx.project is not None and ctx.project.module_of(name) is not None


class LibraryChecker(Checker):
    codes = frozenset({CERTAIN, POSSIBLE})

    def on_call(self, site: CallSite) -> None:
        if site.awaited or not _inferring(self.ctx):
            return
        name = _library_name(site.callee)
        if name is None or known_elsewhere(self.ctx, name):
            return
        library = library_for(self.ctx.settings, self.ctx.catalog)
        if library.distribution(name) is not None:
            verdict = library.summary(name)  # the installed version: the code that runs
        elif covers(name):
            verdict = shipped().summary(name)
        else:
            return
        if verdict is None or len(verdict.chain) > self.ctx.settings.max_depth:
            return
        self._report(site.node, verdict)

    def on_module_exit(self, module: cst.Module) -> None:
        library_for(self.ctx.settings, self.ctx.catalog).flush()

    def _report(self, node: cst.Call, verdict: Verdict) -> None:
        callee = quote(node.func)
        chain = " -> ".join((f"{callee}()", *verdict.chain))
        where = f"{verdict.location} in {verdict.distribution}" if verdict.distribution else verdict.location
        verb = "blocks" if verdict.certain else "may block"
        use = f"'await sync_to_async({callee})(...)' or 'await asyncio.to_thread({callee}, ...)'"
        message = (
            f"{chain} ({where}) {verb} the event loop ({verdict.code} in library code, inferred "
            f"from its source); use {use}"
        )
        self.ctx.report(node, CERTAIN if verdict.certain else POSSIBLE, message, use)


def _library_name(callee: Value) -> str | None:
    """``pkg.func`` for a library function or class, ``pkg.Class.method`` for a method of an
    object made by a library class."""
    if isinstance(callee, Ref):
        return callee.qualname
    if isinstance(callee, Member) and callee.receiver.info == LIBRARY_OBJECT:
        return f"{callee.receiver.type_name.removeprefix(LIBRARY_TYPE)}.{callee.name}"
    return None


CHECKERS: tuple[type[Checker], ...] = (LibraryChecker,)
