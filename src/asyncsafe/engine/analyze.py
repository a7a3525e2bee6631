"""One file through the pipeline: prefilter -> parse once -> one walk -> diagnostics."""

from __future__ import annotations

from dataclasses import dataclass, field

import libcst as cst
from libcst.metadata import CodeRange, MetadataWrapper, PositionProvider

from asyncsafe.catalog import Catalog, configured_catalog
from asyncsafe.config import Settings
from asyncsafe.diagnostics import Diagnostic, FileError
from asyncsafe.engine.events import FileContext, Finding
from asyncsafe.engine.exports import ProjectExports
from asyncsafe.engine.modules import is_package_init, module_name_for
from asyncsafe.engine.project import Project
from asyncsafe.engine.providers import CatalogTypes
from asyncsafe.engine.scopes import FunctionInfo, Resolver
from asyncsafe.engine.source import Source
from asyncsafe.engine.walker import Walker


@dataclass
class FileAnalysis:
    path: str
    diagnostics: list[Diagnostic] = field(default_factory=list)
    error: FileError | None = None
    sync_findings: list[Finding] = field(default_factory=list)
    functions: list[FunctionInfo] = field(default_factory=list)


def might_hold_async(text: str) -> bool:
    """The prefilter: without these keywords a file has no async body to check."""
    return "async" in text or "await" in text


def parse(source: Source) -> cst.Module | FileError:
    try:
        return cst.parse_module(source.text)
    except cst.ParserSyntaxError as exc:
        message = str(exc.message).strip().splitlines()[0] if exc.message else "invalid syntax"
        return FileError(
            source.path,
            f"syntax error at line {exc.raw_line}, column {exc.raw_column + 1}: {message}",
        )
    except (RecursionError, MemoryError):
        return FileError(source.path, "could not parse: nesting too deep")
    except Exception as exc:  # libcst's native parser can raise other errors on odd input
        return FileError(source.path, f"could not parse: {type(exc).__name__}: {exc}")


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
    module = parse(source)
    if isinstance(module, FileError):
        return FileAnalysis(source.path, error=module)
    catalog = catalog or configured_catalog(settings.blocking_calls)
    return analyze_module(source.path, module, settings, catalog, project)


def build_context(
    path: str, settings: Settings, catalog: Catalog, project: Project | None = None
) -> FileContext:
    from asyncsafe.rules import load_providers

    providers = [CatalogTypes(catalog), *(make(catalog) for make in load_providers())]
    resolver = Resolver(providers)
    if project is not None:
        resolver.declarations.exports = ProjectExports(project, settings, catalog)
    return FileContext(
        path=path,
        module=module_name_for(path),
        is_package=is_package_init(path),
        settings=settings,
        catalog=catalog,
        resolver=resolver,
        project=project,
    )


def analyze_module(
    path: str,
    module: cst.Module,
    settings: Settings,
    catalog: Catalog,
    project: Project | None = None,
) -> FileAnalysis:
    from asyncsafe.rules import load_rules

    ctx = build_context(path, settings, catalog, project)
    walker = Walker(ctx, [checker(ctx) for checker in load_rules()])
    walker.run(module)
    in_async: list[Finding] = []
    in_sync: list[Finding] = []
    for finding in ctx.findings:
        is_async = finding.function is not None and finding.function.is_async
        (in_async if is_async else in_sync).append(finding)
    return FileAnalysis(
        path,
        diagnostics=to_diagnostics(path, module, in_async),
        sync_findings=in_sync,
        functions=walker.functions,
    )


def to_diagnostics(path: str, module: cst.Module, findings: list[Finding]) -> list[Diagnostic]:
    if not findings:
        return []
    positions = MetadataWrapper(module, unsafe_skip_copy=True).resolve(PositionProvider)
    unique: dict[tuple[int, int, str], Diagnostic] = {}
    for finding in findings:
        where: CodeRange = positions[finding.node]
        diagnostic = Diagnostic(
            path=path,
            line=where.start.line,
            column=where.start.column + 1,
            end_line=where.end.line,
            end_column=where.end.column + 1,
            code=finding.code,
            message=finding.message,
            suggestion=finding.suggestion,
        )
        unique.setdefault((diagnostic.line, diagnostic.column, diagnostic.code), diagnostic)
    return sorted(unique.values())
