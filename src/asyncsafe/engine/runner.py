"""Many files: discover, cache, prefilter, analyze (in parallel when it pays), filter, sort."""

from __future__ import annotations

import os
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass, field

from asyncsafe.config import Settings
from asyncsafe.diagnostics import Diagnostic, FileError
from asyncsafe.engine.analyze import analyze_source, might_hold_async
from asyncsafe.engine.cache import Cache
from asyncsafe.engine.discover import discover
from asyncsafe.engine.guard import file_error, is_internal
from asyncsafe.engine.noqa import apply_noqa, drop_ignored
from asyncsafe.engine.project import Project
from asyncsafe.engine.source import Source, decode_source, read_source
from asyncsafe.fix import FileChange, FixOutcome, fix_source, write_atomically

PARALLEL_THRESHOLD = 8


@dataclass(frozen=True)
class FixMode:
    """``--fix`` (write) or ``--diff`` (compute only); ``unsafe`` adds --unsafe-fixes."""

    write: bool
    unsafe: bool = False


@dataclass
class RunResult:
    diagnostics: list[Diagnostic] = field(default_factory=list)
    errors: list[FileError] = field(default_factory=list)
    files_checked: int = 0
    changes: list[FileChange] = field(default_factory=list)  # written (--fix) or proposed (--diff)
    warnings: list[str] = field(default_factory=list)

    @property
    def fixed(self) -> int:
        return sum(change.fixed for change in self.changes)


def check_source(
    source: Source, settings: Settings, project: Project | None = None
) -> tuple[list[Diagnostic], FileError | None]:
    """Diagnostics for one file, with its own ``# noqa`` comments applied."""
    analysis = analyze_source(source, settings, project=project)
    return apply_noqa(analysis.diagnostics, source.text), analysis.error


_WORKER_PROJECT: Project | None = None


def _init_worker(project: Project) -> None:
    global _WORKER_PROJECT
    _WORKER_PROJECT = project


def _check_bytes(
    path: str,
    data: bytes,
    settings: Settings,
    fix: FixMode | None = None,
    project: Project | None = None,
) -> FixOutcome:
    # Runs in pool workers: whatever escapes one file must come back as that file's error.
    try:
        return _check_bytes_unguarded(path, data, settings, fix, project)
    except Exception as exc:
        return FixOutcome([], file_error(path, exc))


def _check_bytes_unguarded(
    path: str,
    data: bytes,
    settings: Settings,
    fix: FixMode | None,
    project: Project | None,
) -> FixOutcome:
    source = decode_source(path, data)
    if isinstance(source, FileError):
        return FixOutcome([], source)
    project = project or _WORKER_PROJECT
    if fix is not None:
        return fix_source(source, settings, project, unsafe=fix.unsafe)
    return FixOutcome(*check_source(source, settings, project))


def run(
    paths: list[str],
    settings: Settings,
    *,
    use_cache: bool = True,
    jobs: int | None = None,
    fix: FixMode | None = None,
) -> RunResult:
    """Check ``paths``; with ``fix``, also rewrite what rules can fix (see ``asyncsafe.fix``)."""
    files, errors = discover(paths, settings)
    result = RunResult(errors=list(errors), files_checked=len(files))
    project = Project(settings.root, settings, extra_files=tuple(files), use_cache=use_cache)
    cache = Cache(settings.root, settings.fingerprint()) if use_cache else None
    pending: list[tuple[str, bytes, str | None]] = []
    for path in files:
        source = read_source(path)
        if isinstance(source, FileError):
            result.errors.append(source)
        elif not might_hold_async(source.text):
            continue
        else:
            key = cache.key(path, source.data, project.fingerprint) if cache else None
            cached = cache.get(key) if cache and key else None
            # Cached diagnostics carry no fixes: a file with findings is analyzed again.
            if cached is not None and not (fix is not None and cached[0]):
                _collect(result, settings, path, *cached)
            else:
                pending.append((path, source.data, key))
    analyzed = _analyze_all(pending, settings, project, jobs, fix)
    for (path, _, key), outcome in zip(pending, analyzed):
        if cache and key and fix is None and not is_internal(outcome.error):
            cache.put(key, outcome.diagnostics, outcome.error)
        diagnostics = _take_change(result, outcome, fix)
        _collect(result, settings, path, diagnostics, outcome.error)
    result.diagnostics.sort()
    result.errors.sort()
    return result


def _take_change(result: RunResult, outcome: FixOutcome, fix: FixMode | None) -> list[Diagnostic]:
    """Write (or only record) a file's fix; the diagnostics to report for the file."""
    if outcome.warning is not None:
        result.warnings.append(outcome.warning)
    change = outcome.change
    if change is None or fix is None:
        return outcome.diagnostics
    if not fix.write:
        result.changes.append(change)
        return list(change.diagnostics_before)
    error = write_atomically(change)
    if error is not None:
        result.errors.append(error)
        return list(change.diagnostics_before)
    result.changes.append(change)
    return outcome.diagnostics


def _analyze_all(
    pending: list[tuple[str, bytes, str | None]],
    settings: Settings,
    project: Project,
    jobs: int | None,
    fix: FixMode | None,
) -> list[FixOutcome]:
    workers = jobs if jobs is not None else (os.cpu_count() or 1)
    if workers <= 1 or len(pending) < PARALLEL_THRESHOLD:
        return [_check_bytes(path, data, settings, fix, project) for path, data, _ in pending]
    with ProcessPoolExecutor(
        max_workers=workers, initializer=_init_worker, initargs=(project,)
    ) as pool:
        return list(
            pool.map(
                _check_bytes,
                [p for p, _, _ in pending],
                [d for _, d, _ in pending],
                [settings] * len(pending),
                [fix] * len(pending),
                chunksize=max(1, len(pending) // (workers * 4)),
            )
        )


def _collect(
    result: RunResult,
    settings: Settings,
    path: str,
    diagnostics: list[Diagnostic],
    error: FileError | None,
) -> None:
    if error is not None:
        result.errors.append(error)  # with diagnostics only when a single rule failed
    result.diagnostics.extend(drop_ignored(settings, path, diagnostics))
