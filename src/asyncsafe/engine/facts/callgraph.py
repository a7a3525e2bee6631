"""The project's sync helpers and what each one may block on, across modules (ASF6xx).

Facts per module (``facts.py``): its outline (what it defines, ``outline.py``) and, for each
sync function, the first blocking finding in its own body and the calls it makes (``Body``).
Bodies come from the walk of a checked file (registered when the walk ends), from a walk of a
dependency made on demand, or from the cache: keyed by the file's content, and valid while the
files its walk read through the project are unchanged. What each module's facts and each chain
were made from is kept, and credited to every result that uses them (``engine/cache/reads.py``).

A summary ("may block, because of X at file:line, through this chain") is computed from the
facts lazily, once per function, and only for helpers reached from async code: a breadth-first
search, so the chain reported is a shortest one, bounded by ``max-depth``; cycles terminate.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from dataclasses import dataclass, replace
from typing import Union

import libcst as cst

from asyncsafe.catalog import builtin_catalog
from asyncsafe.config import Settings
from asyncsafe.diagnostics import display_path
from asyncsafe.engine.cache.reads import NullRecorder, Reads
from asyncsafe.engine.facts.module_facts import (
    Blocker,
    Body,
    Edge,
    FactsCache,
    ModuleFacts,
    unit_of,
)
from asyncsafe.engine.facts.outline import (
    ClassSymbol,
    FunctionSymbol,
    Outline,
    build_outline,
)
from asyncsafe.engine.facts.project import Project
from asyncsafe.engine.tree.awaitables import source_of
from asyncsafe.engine.tree.events import DeferringWalk, FileContext
from asyncsafe.engine.tree.positions import Span, spans
from asyncsafe.engine.tree.scopes import FunctionInfo
from asyncsafe.engine.tree.values import Member, Ref, Value

PROJECT = "project"  # Instance.info: made by calling a project name; what it is, is looked up later
SELF = "self"  # Instance.info the walker gives a method's first parameter
SUPER = "super"  # Instance.info: super() inside a method of that class
MAX_ALIAS_HOPS = 10
# Modules whose blockers' trees are kept for their positions (most recent first): a module
# dropped beyond this is walked again if one of its blockers is reported later.
NODES_KEPT = 256
# Dependencies whose walks stay open for more of their functions (most recent last): one dropped
# beyond this is walked again up to its functions if another of them is asked for.
EXTRACTIONS_KEPT = 32

Symbol = Union[FunctionSymbol, ClassSymbol]


@dataclass(frozen=True)
class Callee:
    """A project function that a call (or property read) runs, and how a chain shows it."""

    module: str
    local: str
    symbol: FunctionSymbol
    label: str
    kind: str  # function | constructor | property | iteration (of a generator it returns)
    self_type: str | None = None  # the class of ``self`` inside it, when known

    @property
    def qualname(self) -> str:
        return f"{self.module}.{self.local}"

    @property
    def key(self) -> tuple[str, str | None]:
        if self.kind == "iteration":  # runs the generator's body, unlike calling it
            return f"{self.qualname} (iterated)", self.self_type
        return self.qualname, self.self_type


@dataclass(frozen=True)
class Chain:
    steps: tuple[str, ...]  # the called helper first, then each helper it calls on the way
    blocker: Blocker

    def text(self) -> str:
        where = f"{display_path(self.blocker.path)}:{self.blocker.line}"
        return " -> ".join((*self.steps, self.blocker.what)) + f" ({where})"


class CallGraph:
    """Per project and per process (``Project.facts``); without a project, per file."""

    def __init__(self, project: Project | None, settings: Settings | None = None) -> None:
        self.project = project
        self.settings = project.settings if project is not None else settings or Settings()
        self.max_depth = self.settings.max_depth
        self.extracting: set[str] = set()
        self._facts: dict[str, ModuleFacts] = {}
        # What each module's facts, and each memoized chain, were computed from (engine/cache/reads.py).
        self._module_reads: dict[str, Reads] = {}
        self._chain_reads: dict[tuple[str, str | None], Reads] = {}
        # Checked files: path, and the tree when the project does not hold the same one.
        self._adopted: dict[str, tuple[str, cst.Module | None]] = {}
        self._walking: tuple[str, cst.Module] | None = None  # the checked file being walked
        self._found: dict[
            tuple[str, str | None], tuple[tuple[str, ...], Blocker, tuple[str, str]] | None
        ] = {}
        # Where each blocker of a module walked in this process is: its tree and finding nodes.
        self._nodes: dict[str, tuple[cst.Module, dict[str, cst.CSTNode]]] = {}
        # Walks that left function bodies for later (dependencies, and the checked file being
        # walked), by module: where a pending function is walked when a chain reaches it.
        self._extractions: dict[str, DeferringWalk] = {}
        self._lines: dict[str, dict[int, Span]] = {}  # module -> positions of its blockers
        self._split: dict[str, tuple[str, str] | None] = {}  # module_of, until a file is adopted
        self._cache = FactsCache(project, project.cache, self.settings) if project and project.cache else None

    # --- modules -------------------------------------------------------------------------------
    def adopt(self, module: str, path: str, tree: cst.Module) -> None:
        """The file being walked: its tree is the truth, whatever the disk or the cache says."""
        if module in self.extracting:
            return  # a dependency walked from the project's own tree: nothing to override
        if self._walking is not None and self._walking[0] == module and self._walking[1] is tree:
            return
        known = self._adopted.get(module)
        self._walking = (module, tree)
        if known is not None and known[1] is tree:
            return
        # Once its walk is over, a checked file's tree is the project's to keep or drop (and
        # parse again from the same text): checked trees do not pile up on a large project.
        backed = self.project is not None and self.project.holds_tree(module, tree)
        if module not in self._adopted:
            self._split.clear()  # a name may now be defined in this file
        self._adopted[module] = (path, None if backed else tree)
        self._close(module)  # walked from the project's tree, not this one
        if self._facts.pop(module, None) is not None:
            self._found.clear()

    def module_of(self, qualname: str) -> tuple[str, str] | None:
        """(module, rest) for a name defined in the project (or in an adopted file)."""
        if qualname in self._split:
            return self._split[qualname]
        found = self.project.module_of(qualname) if self.project is not None else None
        parts = qualname.split(".")
        for cut in range(len(parts) - 1, 0, -1):
            module = ".".join(parts[:cut])
            if module in self._adopted and (found is None or cut > len(found[0].split("."))):
                found = module, ".".join(parts[cut:])
                break
        self._split[qualname] = found
        return found

    def outline(self, module: str) -> Outline | None:
        self._depend_on(module)
        facts = self._facts.get(module) or self._load(module)
        if facts is not None:
            return facts.outline
        located = self._tree(module)
        if located is None:
            return None
        outline = build_outline(module, located[0], located[1], self.settings)
        self._facts[module] = ModuleFacts(outline)
        return outline

    def _depend_on(self, module: str) -> None:
        """What is being analyzed now depends on ``module`` and on what its facts were made from."""
        if self.project is not None and module in self.project.modules:
            self.project.recorder.read(module)
            if module in self._module_reads:
                self.project.recorder.credit(self._module_reads[module])

    def body(self, module: str, local: str) -> Body | None:
        self._depend_on(module)
        facts = self._facts.get(module) or self._load(module)
        if (facts is None or not facts.knows(local)) and module not in self.extracting:
            self._extract(module, local)
            facts = self._facts.get(module)
        return facts.bodies.get(local) if facts is not None and facts.bodies else None

    def register(
        self,
        module: str,
        bodies: dict[str, Body],
        tree: cst.Module | None = None,
        nodes: dict[str, cst.CSTNode] | None = None,
        deferring: DeferringWalk | None = None,
    ) -> None:
        """What a finished walk of ``module`` found in its sync functions (``nodes``: where
        each function's blocker is in ``tree``; ``deferring``: the walk that left some of them
        for later, which walks them when asked)."""
        outline = self.outline(module)
        if outline is None:
            return
        known = self._facts.get(module)
        growing = module in self.extracting and known is not None and known.bodies is not None
        if growing:  # more functions of a dependency walked
            assert known is not None and known.bodies is not None
            known.bodies.update(bodies)
            facts = known
        else:
            facts = self._facts[module] = ModuleFacts(outline, bodies)
            if deferring is not None and deferring.deferred:
                facts.pending = set(deferring.deferred)
                self._keep_open(module, deferring)
        self._lines.pop(module, None)
        if tree is not None and nodes:
            kept = self._nodes.pop(module, None)  # the most recent last: the first dropped is the oldest
            if growing and kept is not None and kept[0] is tree:
                nodes = {**kept[1], **nodes}
            self._nodes[module] = (tree, nodes)
            while len(self._nodes) > NODES_KEPT:
                del self._nodes[next(iter(self._nodes))]
        current = self.project.recorder.current() if self.project is not None else None
        if current is not None and module not in self.extracting:
            self._module_reads[module] = current  # the walk of a checked file, still growing
        if self._cache is not None and module not in self._adopted and module not in self.extracting:
            self._cache.deps.pop(module, None)
            self._store(module, facts)

    def path_of(self, module: str) -> str:
        """How messages name a module's file: relative to the project root."""
        if module in self._adopted:
            path = self._adopted[module][0]
        elif self.project is not None and module in self.project.modules:
            path = self.project.modules[module]
        else:
            return module
        relative = os.path.relpath(os.path.abspath(path), os.path.abspath(self.settings.base))
        return relative.replace(os.sep, "/")

    def _tree(self, module: str) -> tuple[str, cst.Module] | None:
        if module in self._adopted:
            path, tree = self._adopted[module]
            if self._walking is not None and self._walking[0] == module:
                return path, self._walking[1]
            if tree is None and self.project is not None:
                tree = self.project.tree(module, track=False)
            return (path, tree) if tree is not None else None
        if self.project is None or module not in self.project.modules:
            return None
        tree = self.project.tree(module, track=False)
        return (self.project.modules[module], tree) if tree is not None else None

    def _extract(self, module: str, local: str) -> None:
        """Walk the dependency's function that ``local`` is (or is nested in), with every rule:
        its sync findings and calls become its body. The module level is walked once first
        (``_extraction``); other functions wait until a chain reaches them."""
        walker = self._extraction(module)
        facts = self._facts.get(module)
        if walker is None or facts is None:
            return
        unit = facts.pending_unit(local)
        if unit is not None:
            self._walk_unit(module, walker, unit)
        self._store(module, facts)

    def _extraction(self, module: str) -> DeferringWalk | None:
        """The walk of ``module`` that its pending functions are walked in, kept open for a
        bounded number of modules (one dropped is opened again, from its module level)."""
        walker = self._extractions.get(module) or self._open_extraction(module)
        if walker is not None:
            self._keep_open(module, walker)
        return walker

    def _keep_open(self, module: str, walk: DeferringWalk) -> None:
        if self._extractions.get(module) is not walk:
            self._close(module)
        self._extractions.pop(module, None)  # the most recent last: the first dropped is the oldest
        self._extractions[module] = walk
        walking = {module, *self.extracting, *(self._walking[:1] if self._walking is not None else ())}
        idle = [kept for kept in self._extractions if kept not in walking]  # oldest first
        for oldest in idle[: max(0, len(self._extractions) - EXTRACTIONS_KEPT)]:
            self._close(oldest)  # never a walk that is under way (a chain may go through several)

    def _close(self, module: str) -> None:
        walk = self._extractions.pop(module, None)
        if walk is not None:
            walk.close()

    def walk_ended(self, module: str) -> None:
        """The walk of a checked file is over: its tree and findings are not kept for its
        pending functions (a new walk of the module walks them if a chain reaches one)."""
        self._close(module)

    def _open_extraction(self, module: str) -> DeferringWalk | None:
        """Walk ``module`` up to its functions: imports, module and class level, and the
        functions nested elsewhere; the bodies of module- and class-level functions wait."""
        from asyncsafe.engine.facts.context import build_context, project_rules
        from asyncsafe.engine.tree.walker import Walker

        located = self._tree(module)
        if located is None or self.project is None or self.outline(module) is None:
            return None  # without a project, only the checked file's own walk walks its helpers
        known = self._facts.get(module)
        fresh = known is None or known.bodies is None
        rules = project_rules(self.project)
        ctx = build_context(located[0], self.settings, builtin_catalog(), rules, self.project)
        ctx.helpers_only = True
        walker = Walker(ctx, rules.instantiate(ctx))
        walker.defer_sync_functions()
        self._walking_dependency(module, lambda: walker.run(located[1]), fresh)
        facts = self._facts.get(module)
        if facts is not None and facts.bodies is None:
            self.register(module, {})  # no collector ran: nothing is known to block
        facts = self._facts.get(module)
        if facts is None:
            return None
        if fresh:  # also when no collector registered the module with its walk
            facts.pending = set(walker.deferred or ())
        return walker  # its facts are stored by the caller, once the function asked for is walked

    def _walk_unit(self, module: str, walker: DeferringWalk, unit: str) -> None:
        """Walk the pending function ``unit`` (with what is nested in it) in ``walker``."""
        self._walking_dependency(module, lambda: walker.walk_deferred(unit), fresh=False)
        facts = self._facts.get(module)
        if facts is not None:
            facts.pending.discard(unit)

    def _walking_dependency(self, module: str, walk: Callable[[], object], fresh: bool) -> None:
        """Run ``walk`` (a part of a module's walk: a dependency's, or a checked file's helpers
        that a chain reached); what it reads is what the module's facts are made from (from now
        on, if ``fresh``; else as well). Without a project (one file alone) nothing is recorded."""
        recorder = self.project.recorder if self.project is not None else NullRecorder()
        self.extracting.add(module)
        try:
            with recorder.recording() as reads:
                reads.modules.add(module)
                walk()
        finally:
            self.extracting.discard(module)
        known = self._module_reads.get(module)
        if fresh or known is None:
            self._module_reads[module] = reads
        else:
            known.add(reads)
        if self._cache is not None:
            self._cache.deps.pop(module, None)  # stored again with all it was made from

    def _load(self, module: str) -> ModuleFacts | None:
        if self._cache is None or module in self._adopted:
            return None
        loaded = self._cache.load(module)
        if loaded is not None:
            self._facts[module], self._module_reads[module] = loaded
            self._depend_on(module)
        return loaded[0] if loaded is not None else None

    def _store(self, module: str, facts: ModuleFacts) -> None:
        if self._cache is not None and self.project is not None:
            made_from = self._module_reads.get(module)
            if made_from is not None:
                self._cache.store(module, facts, self.project.recorder.resolved(made_from))

    # --- names ---------------------------------------------------------------------------------
    def lookup(self, qualname: str, hops: int = 0) -> tuple[str, str, Symbol] | None:
        """(module, local qualname, symbol) that a canonical name denotes, through aliases."""
        split = self.module_of(qualname)
        outline = self.outline(split[0]) if split is not None else None
        if split is None or outline is None or hops > MAX_ALIAS_HOPS:
            return None
        module, rest = split
        parts = rest.split(".")
        for cut in range(len(parts), 0, -1):
            head, tail = ".".join(parts[:cut]), parts[cut:]
            if head in outline.functions:
                return (module, head, outline.functions[head]) if not tail else None
            if head in outline.classes:
                if not tail:
                    return module, head, outline.classes[head]
                return self.member(f"{module}.{head}", tail[0]) if len(tail) == 1 else None
        alias = outline.aliases.get(parts[0])
        if alias is None:
            return None
        return self.lookup(".".join((alias, *parts[1:])), hops + 1)

    def mro(self, class_name: str) -> list[tuple[str, str]]:
        """Project classes in (an approximation of) method resolution order, the class first."""
        order: list[tuple[str, str]] = []
        pending = [class_name]
        while pending:
            found = self.lookup(pending.pop(0))
            if found is None:
                continue
            module, local, symbol = found
            if isinstance(symbol, ClassSymbol) and (module, local) not in order:
                order.append((module, local))
                pending[:0] = list(symbol.bases)
        return order

    def member(
        self, class_name: str, name: str, after: str | None = None
    ) -> tuple[str, str, FunctionSymbol] | None:
        """``name`` looked up on ``class_name``; with ``after`` (``super()`` inside that class),
        only in the classes that follow it in the order."""
        order = self.mro(class_name)
        if after is not None:
            owner = self.lookup(after)
            where = (owner[0], owner[1]) if owner is not None else None
            order = order[order.index(where) + 1:] if where in order else self.mro(after)[1:]
        for module, local in order:
            outline = self.outline(module)
            symbol = outline.functions.get(f"{local}.{name}") if outline else None
            if symbol is not None:
                return module, f"{local}.{name}", symbol
        return None

    def function_for(self, callee: Value) -> FunctionSymbol | None:
        """The project function a call of ``callee`` runs, if the callee is one."""
        edge = self.edge_for(callee)
        found = self.callee_for(edge) if edge is not None else None
        return found.symbol if found is not None and found.kind == "function" else None

    # --- edges ---------------------------------------------------------------------------------
    def edge_for(self, value: Value, attribute: bool = False) -> Edge | None:
        """What calling (or, with ``attribute``, reading) ``value`` may run in the project."""
        if isinstance(value, Ref) and not attribute:
            return Edge("call", value.qualname) if self.module_of(value.qualname) else None
        if isinstance(value, Member) and self.module_of(value.receiver.type_name):
            kind = "attribute" if attribute else "method"
            info = value.receiver.info
            receiver = info if info in (SELF, SUPER) else ""
            return Edge(kind, value.receiver.type_name, value.name, receiver)
        return None

    def callee_for(self, edge: Edge, self_type: str | None = None) -> Callee | None:
        """What ``edge`` runs, from inside a method whose ``self`` is a ``self_type``."""
        if edge.kind == "call":
            return self._called(edge.target)
        owner = self_type if edge.receiver and self_type else edge.target
        after = edge.target if edge.receiver == SUPER else None
        found = self.member(owner, edge.name, after=after)
        if found is None:
            return None
        module, local, symbol = found
        if symbol.is_property:
            return Callee(module, local, symbol, _display(local), "property", owner)
        if edge.kind == "attribute":
            return None  # a method read without calling it runs nothing
        return Callee(module, local, symbol, f"{_display(local)}()", "function", owner)

    def followed(self, edge: Edge, self_type: str | None = None) -> Callee | None:
        """The project function ``edge`` runs right there, unless ``safe-calls`` declares it
        non-blocking (by the name it is called by, or the name it is defined by)."""
        callee = self.callee_for(edge, self_type)
        if callee is None or not callee.symbol.runs_when_called:
            return None
        called = edge.target if edge.kind == "call" else f"{edge.target}.{edge.name}"
        names = (called, callee.qualname, callee.self_type if callee.kind == "constructor" else None)
        return None if any(n and self.settings.is_safe_call(n) for n in names) else callee

    def _called(self, name: str) -> Callee | None:
        found = self.lookup(name)
        if found is None:
            return None
        module, local, symbol = found
        if isinstance(symbol, FunctionSymbol):
            return None if symbol.is_property else Callee(
                module, local, symbol, f"{_display(local)}()", "function"
            )
        cls = f"{module}.{local}"
        init = self.member(cls, "__init__")
        if init is None:
            return None
        return Callee(init[0], init[1], init[2], f"{_display(local)}()", "constructor", cls)

    # --- summaries -----------------------------------------------------------------------------
    def chain_from(self, start: Callee) -> Chain | None:
        """The shortest chain from ``start`` down to a blocking call, if one is within reach."""
        if not start.symbol.runs_when_called:
            return None
        if start.key not in self._found:
            self._found[start.key] = self._recorded_search(start)
        elif start.key in self._chain_reads and self.project is not None:
            self.project.recorder.credit(self._chain_reads[start.key])
        found = self._found[start.key]
        if found is None:
            return None
        steps, blocker, where = found
        if blocker.line == 0:
            blocker = self._locate(*where, blocker)
            self._found[start.key] = (steps, blocker, where)
        return Chain((start.label, *steps), blocker)

    def _locate(self, module: str, local: str, blocker: Blocker) -> Blocker:
        """``blocker`` (of ``module.local``) with its line, also recorded in the facts and cache."""
        if local not in self._nodes.get(module, (None, {}))[1]:
            self._walk_again(module, local)  # facts from the cache keep no nodes
        body = self.body(module, local)
        located = self._nodes.get(module)
        node = located[1].get(local) if located is not None else None
        if body is None or body.blocker is None or located is None or node is None:
            return blocker
        if module not in self._lines:
            self._lines[module] = spans(located[0], list(located[1].values()))
        where = self._lines[module].get(id(node))
        body.blocker = replace(body.blocker, line=where.start_line if where is not None else 0)
        facts = self._facts.get(module)
        if facts is not None and module not in self._adopted:
            self._store(module, facts)
        return body.blocker

    def _walk_again(self, module: str, local: str) -> None:
        """Walk the function ``local`` is in again, in a new walk of ``module``, for its nodes."""
        self._close(module)
        walker = self._extraction(module)
        unit = unit_of(local, walker.deferred or {}) if walker is not None else None
        if walker is not None and unit is not None:
            self._walk_unit(module, walker, unit)

    def _recorded_search(self, start: Callee) -> tuple[tuple[str, ...], Blocker, tuple[str, str]] | None:
        if self.project is None:
            return self._search(start)
        with self.project.recorder.recording() as reads:
            found = self._search(start)
        self._chain_reads[start.key] = reads
        return found

    def _search(self, start: Callee) -> tuple[tuple[str, ...], Blocker, tuple[str, str]] | None:
        frontier: list[tuple[Callee, tuple[str, ...]]] = [(start, ())]
        seen = {start.key}
        for depth in range(1, self.max_depth + 1):
            deeper: list[tuple[Callee, tuple[str, ...]]] = []
            for callee, steps in frontier:
                body = self.body(callee.module, callee.local)
                if body is None or (body.generator and callee.kind != "iteration"):
                    continue
                if body.blocker is not None:
                    return steps, body.blocker, (callee.module, callee.local)
                if depth == self.max_depth:
                    continue
                for edge in body.edges:
                    nested = self.followed(edge, callee.self_type)
                    if nested is not None and nested.key not in seen:
                        seen.add(nested.key)
                        deeper.append((nested, (*steps, nested.label)))
            frontier = deeper
        return None


def _display(local: str) -> str:
    """``view.<locals>.fetch`` -> ``fetch``; ``Form.clean`` stays."""
    return local.rsplit("<locals>.", 1)[-1]


# --- what a walk contributes -----------------------------------------------------------------
def collect_bodies(
    ctx: FileContext,
    graph: CallGraph,
    functions: list[FunctionInfo],
    reads: list[tuple[FunctionInfo, Member]],
) -> tuple[dict[str, Body], dict[str, cst.CSTNode]]:
    """The sync functions of a walked module: first blocking finding (and its node), calls,
    property reads."""
    prefix = f"{ctx.module}."
    bodies: dict[str, Body] = {}
    by_function: dict[int, tuple[str, Body]] = {}
    for info in functions:
        if info.is_async or not info.qualname.startswith(prefix) or info.qualname.endswith("<lambda>"):
            continue
        local = info.qualname[len(prefix):]
        body = bodies.setdefault(local, Body())
        body.generator = body.generator or info.is_generator
        by_function[id(info)] = (local, body)
        for _, callee, _ in info.calls:
            _add_edge(body, graph.edge_for(callee))
    for info, member in reads:
        if id(info) in by_function:
            _add_edge(by_function[id(info)][1], graph.edge_for(member, attribute=True))
    nodes: dict[str, cst.CSTNode] = {}
    path = graph.path_of(ctx.module)
    for finding in ctx.findings:  # in walk order, which is source order
        owner = by_function.get(id(finding.function)) if finding.function is not None else None
        if owner is not None and owner[1].blocker is None:
            owner[1].blocker = Blocker(finding.code, source_of(finding.node), path)
            nodes[owner[0]] = finding.node
    return bodies, nodes


def _add_edge(body: Body, edge: Edge | None) -> None:
    if edge is not None and edge not in body.edges:
        body.edges.append(edge)
