"""Many files: discover, cache, prefilter, analyze (in parallel when it pays), filter, sort."""

from __future__ import annotations

import os
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass, field

from asyncsafe.config import Settings, selector_matches
from asyncsafe.diagnostics import Diagnostic, FileError
from asyncsafe.engine.analyze import analyze_source, might_hold_async
from asyncsafe.engine.cache import Cache
from asyncsafe.engine.discover import discover
from asyncsafe.engine.noqa import apply_noqa
from asyncsafe.engine.project import Project
from asyncsafe.engine.source import Source, decode_source, read_source

PARALLEL_THRESHOLD = 8


@dataclass
class RunResult:
    diagnostics: list[Diagnostic] = field(default_factory=list)
    errors: list[FileError] = field(default_factory=list)
    files_checked: int = 0


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
    path: str, data: bytes, settings: Settings, project: Project | None = None
) -> tuple[list[Diagnostic], FileError | None]:
    source = decode_source(path, data)
    if isinstance(source, FileError):
        return [], source
    return check_source(source, settings, project or _WORKER_PROJECT)


def run(
    paths: list[str], settings: Settings, *, use_cache: bool = True, jobs: int | None = None
) -> RunResult:
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
            if cached is not None:
                _collect(result, settings, path, *cached)
            else:
                pending.append((path, source.data, key))
    analyzed = _analyze_all(pending, settings, project, jobs)
    for (path, _, key), (diagnostics, error) in zip(pending, analyzed):
        if cache and key:
            cache.put(key, diagnostics, error)
        _collect(result, settings, path, diagnostics, error)
    result.diagnostics.sort()
    result.errors.sort()
    return result


def _analyze_all(
    pending: list[tuple[str, bytes, str | None]],
    settings: Settings,
    project: Project,
    jobs: int | None,
) -> list[tuple[list[Diagnostic], FileError | None]]:
    workers = jobs if jobs is not None else (os.cpu_count() or 1)
    if workers <= 1 or len(pending) < PARALLEL_THRESHOLD:
        return [_check_bytes(path, data, settings, project) for path, data, _ in pending]
    with ProcessPoolExecutor(
        max_workers=workers, initializer=_init_worker, initargs=(project,)
    ) as pool:
        return list(
            pool.map(
                _check_bytes,
                [p for p, _, _ in pending],
                [d for _, d, _ in pending],
                [settings] * len(pending),
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
        result.errors.append(error)
        return
    ignored = settings.ignored_in(path)
    result.diagnostics.extend(
        d for d in diagnostics if not any(selector_matches(d.code, code) for code in ignored)
    )
