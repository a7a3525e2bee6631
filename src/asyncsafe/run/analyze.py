"""One file through the pipeline: prefilter -> parse once -> one walk -> diagnostics."""

from __future__ import annotations

from dataclasses import dataclass, field

import libcst as cst

from asyncsafe.catalog import Catalog, configured_catalog
from asyncsafe.config import Settings
from asyncsafe.diagnostics import Diagnostic, FileError
from asyncsafe.engine.facts.context import build_context
from asyncsafe.engine.facts.project import Project
from asyncsafe.engine.facts.project_types import graph_made_for
from asyncsafe.engine.input.parse_gate import judge
from asyncsafe.engine.input.prefilter import holds_async_def, might_hold_async
from asyncsafe.engine.input.source import Source
from asyncsafe.engine.tree.events import FileContext, Finding, Fix, RuleSet
from asyncsafe.engine.tree.parsing import parse_source
from asyncsafe.engine.tree.positions import spans
from asyncsafe.engine.tree.scopes import FunctionInfo
from asyncsafe.engine.tree.walker import Walker
from asyncsafe.run.guard import (
    RuleFailures,
    fail_if_injected,
    file_error,
    guard_checkers,
    retry_deeper,
)


@dataclass
class FileAnalysis:
    path: str
    diagnostics: list[Diagnostic] = field(default_factory=list)
    error: FileError | None = None
    sync_findings: list[Finding] = field(default_factory=list)
    functions: list[FunctionInfo] = field(default_factory=list)
    # For --fix: the parsed tree the fixes' targets live in, and each diagnostic's fix.
    module: cst.Module | None = None
    fixes: dict[Diagnostic, Fix] = field(default_factory=dict)


def parse(source: Source, target: str | None = None) -> cst.Module | FileError:
    return parse_source(source, target)


def analyze_source(
    source: Source,
    settings: Settings,
    *,
    catalog: Catalog | None = None,
    prefilter: bool = True,
    project: Project | None = None,
) -> FileAnalysis:
    if prefilter and not might_hold_async(source.text):
        return FileAnalysis(source.path)
    if not holds_async_def(source.text):
        # Passed for the deployment rules only: their findings come from project facts, placed
        # by line. The grammar is still checked; libcst (a tree, a walk) would find nothing.
        found = analyze_without_async(source, settings, catalog, project)
        if found is not None:
            return found

    def parse_for_target(checked: Source) -> cst.Module | FileError:
        return parse(checked, settings.target_version)

    module = project.checked_tree(source, parse_for_target) if project is not None else parse_for_target(source)
    if isinstance(module, FileError):
        return FileAnalysis(source.path, error=module)
    catalog = catalog or configured_catalog(settings.blocking_calls)
    try:
        return retry_deeper(lambda: analyze_module(source.path, module, settings, catalog, project))
    except Exception as exc:  # a bug (or a limit) on this file must not end the run
        return FileAnalysis(source.path, error=file_error(source.path, exc))




def analyze_without_async(
    source: Source, settings: Settings, catalog: Catalog | None, project: Project | None
) -> FileAnalysis | None:
    """None when only libcst can judge the file's grammar (newer than this interpreter's)."""
    rejected, judged = judge(source, settings.target_version)
    if rejected is not None:
        return FileAnalysis(source.path, error=rejected)
    if not judged:
        return None
    rules = handed_rules(project)
    ctx = build_context(source.path, settings, catalog or configured_catalog(settings.blocking_calls), rules, project)
    failures = RuleFailures(source.path)
    checkers = guard_checkers(rules.instantiate(ctx), failures)
    try:
        fail_if_injected(source.path)
        for checker in checkers:
            checker.on_file_without_async(source.path)
    except Exception as exc:  # as a walk's: this file's error, never the run's end
        return FileAnalysis(source.path, error=file_error(source.path, exc))
    return FileAnalysis(source.path, diagnostics=sorted(set(ctx.placed)), error=failures.error())


def handed_rules(project: Project | None) -> RuleSet:
    """The registered rules, handed to the project so its dependencies are walked with them."""
    from asyncsafe.rules import ruleset

    if project is None:
        return ruleset()
    if project.rules is None:
        project.rules = ruleset()
    return project.rules


def _walk_ended(ctx: FileContext) -> None:
    """The call graph no longer walks this file's pending sync functions in this walk."""
    graph = graph_made_for(ctx)
    if graph is not None:
        graph.walk_ended(ctx.module)


def analyze_module(
    path: str,
    module: cst.Module,
    settings: Settings,
    catalog: Catalog,
    project: Project | None = None,
) -> FileAnalysis:
    rules = handed_rules(project)
    ctx = build_context(path, settings, catalog, rules, project)
    failures = RuleFailures(path)
    walker = Walker(ctx, guard_checkers(rules.instantiate(ctx), failures))
    fail_if_injected(path)
    walker.defer_sync_functions()
    try:
        walker.run(module)
    finally:
        _walk_ended(ctx)
    in_async: list[Finding] = []
    in_sync: list[Finding] = []
    for finding in ctx.findings:
        is_async = finding.function is not None and finding.function.is_async
        (in_async if is_async else in_sync).append(finding)
    diagnostics, fixes = to_diagnostics(path, module, in_async)
    diagnostics = sorted({*diagnostics, *ctx.placed})
    return FileAnalysis(
        path,
        diagnostics=diagnostics,
        sync_findings=in_sync,
        functions=walker.functions,
        module=module,
        fixes=fixes,
        error=failures.error(),  # the other rules' diagnostics stand
    )


def to_diagnostics(
    path: str, module: cst.Module, findings: list[Finding]
) -> tuple[list[Diagnostic], dict[Diagnostic, Fix]]:
    """Positioned, de-duplicated diagnostics, and the fix of each one that has one."""
    if not findings:
        return [], {}
    positions = spans(module, [finding.node for finding in findings])
    unique: dict[tuple[int, int, str], tuple[Diagnostic, Fix | None]] = {}
    for finding in findings:
        where = positions[id(finding.node)]
        key = (where.start_line, where.start_column + 1, finding.code)
        if key in unique and (unique[key][1] is not None or finding.fix is None):
            continue
        unique[key] = (
            Diagnostic(
                path=path,
                line=where.start_line,
                column=where.start_column + 1,
                end_line=where.end_line,
                end_column=where.end_column + 1,
                code=finding.code,
                message=finding.message,
                suggestion=finding.suggestion,
                fixable=_applicability(finding.fix),
            ),
            finding.fix,
        )
    fixes = {diagnostic: fix for diagnostic, fix in unique.values() if fix is not None}
    return sorted(diagnostic for diagnostic, _ in unique.values()), fixes


def _applicability(fix: Fix | None) -> str | None:
    if fix is None:
        return None
    return "safe" if fix.safe else "unsafe"
