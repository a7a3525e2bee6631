"""Many files: discover, consult the manifest, prefilter, analyze what changed (in parallel when
it pays), filter, sort.

The analysis modules (and libcst) are imported only when some file needs analyzing: a warm run
over an unchanged tree stats files and prints what the manifest holds.
"""

from __future__ import annotations

import os
import signal
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from asyncsafe.config import Settings
from asyncsafe.diagnostics import Diagnostic, FileError
from asyncsafe.engine.cache.manifest import Manifest
from asyncsafe.engine.cache.reads import Reads, ScanKind, provide_scans
from asyncsafe.engine.cache.store import CacheStore, open_store
from asyncsafe.engine.facts.project import Project
from asyncsafe.engine.input.discover import discover
from asyncsafe.engine.input.prefilter import might_hold_async, might_hold_async_data
from asyncsafe.engine.input.source import Source, decode_source, read_source, too_large
from asyncsafe.run.guard import file_error, is_internal
from asyncsafe.run.noqa import apply_noqa, drop_ignored
from asyncsafe.run.replace import remove_leftovers, write_atomically

if TYPE_CHECKING:
    from concurrent.futures import ProcessPoolExecutor

    from asyncsafe.fix import FileChange, FixOutcome

PARALLEL_THRESHOLD = 8


def _django_scans() -> dict[ScanKind, Callable[[str], str]]:
    from asyncsafe.deploy.deployment import async_view_signature
    from asyncsafe.django.prefilter import scan_signature

    return {ScanKind.DJANGO_CLASSES: scan_signature, ScanKind.ASYNC_VIEWS: async_view_signature}


provide_scans(_django_scans)  # the cache re-runs the model index's text scans over changed files


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
    from asyncsafe.run.analyze import analyze_source

    analysis = analyze_source(source, settings, project=project)
    return apply_noqa(analysis.diagnostics, source.text), analysis.error


@dataclass
class Checked:
    """One analyzed file, and the project files its result was computed from."""

    outcome: FixOutcome
    reads: Reads = field(default_factory=Reads)


_WORKER_PROJECT: Project | None = None


def _init_worker(project: Project) -> None:
    global _WORKER_PROJECT
    _WORKER_PROJECT = project
    # Ctrl-C reaches the whole process group: the parent stops the pool and reports it once,
    # a worker must not print its own traceback.
    signal.signal(signal.SIGINT, signal.SIG_IGN)


def _check_bytes(
    path: str,
    data: bytes,
    settings: Settings,
    fix: FixMode | None = None,
    project: Project | None = None,
) -> Checked:
    # Runs in pool workers: whatever escapes one file must come back as that file's error.
    try:
        return _check_bytes_unguarded(path, data, settings, fix, project)
    except Exception as exc:
        from asyncsafe.fix import FixOutcome

        return Checked(FixOutcome([], file_error(path, exc)))


def _check_bytes_unguarded(
    path: str,
    data: bytes,
    settings: Settings,
    fix: FixMode | None,
    project: Project | None,
) -> Checked:
    from asyncsafe.fix import FixOutcome

    source = decode_source(path, data)
    if isinstance(source, FileError):
        return Checked(FixOutcome([], source))
    project = project or _WORKER_PROJECT
    if project is None:
        return Checked(_outcome(source, settings, None, fix))
    with project.recorder.recording() as reads:
        outcome = _outcome(source, settings, project, fix)
    return Checked(outcome, project.recorder.resolved(reads))


def _outcome(source: Source, settings: Settings, project: Project | None, fix: FixMode | None) -> FixOutcome:
    from asyncsafe.fix import FixOutcome, fix_source

    if fix is not None:
        return fix_source(source, settings, project, unsafe=fix.unsafe)
    return FixOutcome(*check_source(source, settings, project))


@dataclass
class _Pending:
    path: str
    data: bytes
    digest: str | None  # content digest when the manifest is in use


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
    if fix is not None and fix.write:
        remove_leftovers(files)  # temp files of a --fix run that was killed
    result = RunResult(errors=list(errors), files_checked=len(files))
    store, refused = open_store(settings.root, settings.cache_dir) if use_cache else (None, None)
    if refused is not None:
        result.warnings.append(refused)
    project = Project(
        settings.root, settings, extra_files=tuple(files), cache=store,
        files_under_root=tuple(files) if _covers_root(paths, settings.root) else None,
    )
    from asyncsafe.deploy.derived import with_deployment

    settings = project.settings = with_deployment(settings, project)
    manifest = _open_manifest(settings, project, store) if store is not None else None
    pending: list[_Pending] = []
    for path in files:
        found = _triage(path, manifest, fix, result, settings)
        if found is not None:
            pending.append(found)
    analyzed = _analyze_all(pending, settings, project, jobs, fix)
    for item, checked in zip(pending, analyzed):
        cacheable = fix is None and not is_internal(checked.outcome.error)  # a bug is not a result
        if manifest is not None and item.digest is not None and cacheable:
            _remember(manifest, project, item, checked.outcome, checked.reads)
        diagnostics = _take_change(result, checked.outcome, fix)
        _collect(result, settings, item.path, diagnostics, checked.outcome.error)
    if manifest is not None:
        manifest.save()
    result.diagnostics.sort()
    result.errors.sort()
    return result


def _covers_root(paths: list[str], root: str) -> bool:
    """The paths checked include the project root itself: their files are the project's."""
    real_root = os.path.realpath(root)
    return any(os.path.realpath(path) == real_root for path in paths or ["."])


def _open_manifest(settings: Settings, project: Project, store: CacheStore) -> Manifest:
    layout = [os.path.abspath(path) for path in project.modules.values()]
    from asyncsafe.deploy.derived import server_config_digest

    deployed = server_config_digest(settings.root, project.modules)  # Procfile & co. are not modules
    manifest = Manifest(
        store, f"{settings.fingerprint()}|{deployed}", settings.root, layout, might_hold_async_data,
        settings.max_file_size,
    )
    manifest.refresh(layout)  # any result may depend on any project file
    return manifest


def _triage(
    path: str, manifest: Manifest | None, fix: FixMode | None, result: RunResult, settings: Settings
) -> _Pending | None:
    """Report ``path`` from the manifest, skip it, or say it needs analyzing."""
    digest: str | None = None
    if manifest is not None:
        key = os.path.abspath(path)
        state = manifest.state(key)
        if state is not None and state.size > settings.max_file_size:  # as when read: refused
            result.errors.append(too_large(path, state.size, settings.max_file_size))
            return None
        if state is not None and not state.holds_async:
            return None
        if state is not None:
            digest = state.digest
            cached = manifest.valid_result(key, digest, path)
            # Stored diagnostics carry no fixes: a file with findings is analyzed again.
            if cached is not None and not (fix is not None and cached.diagnostics):
                _collect(result, settings, path, cached.diagnostics, cached.error)
                return None
    # The bytes the manifest just hashed, when it read them: read once, and the digest is theirs.
    data = manifest.bytes_read(os.path.abspath(path)) if manifest is not None else None
    source = decode_source(path, data) if data is not None else read_source(path, settings.max_file_size)
    if isinstance(source, FileError):
        result.errors.append(source)
        return None
    if not might_hold_async(source.text):
        return None
    return _Pending(path, source.data, digest)


def _remember(
    manifest: Manifest, project: Project, item: _Pending, outcome: FixOutcome, reads: Reads
) -> None:
    assert item.digest is not None
    paths = project.modules
    read = [os.path.abspath(paths[m]) for m in reads.modules if m in paths]
    scans = {os.path.abspath(paths[m]): fns for m, fns in reads.scans.items() if m in paths}
    manifest.store_result(
        os.path.abspath(item.path), item.digest, outcome.diagnostics, outcome.error, read, scans
    )


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
    pending: list[_Pending],
    settings: Settings,
    project: Project,
    jobs: int | None,
    fix: FixMode | None,
) -> list[Checked]:
    workers = jobs if jobs is not None else (os.cpu_count() or 1)
    if workers <= 1 or len(pending) < PARALLEL_THRESHOLD:
        return [_check_bytes(item.path, item.data, settings, fix, project) for item in pending]
    from concurrent.futures import (
        ProcessPoolExecutor,  # only when it pays: not on a warm run
    )

    pool = ProcessPoolExecutor(max_workers=workers, initializer=_init_worker, initargs=(project,))
    try:
        results = list(
            pool.map(
                _check_bytes,
                [item.path for item in pending],
                [item.data for item in pending],
                [settings] * len(pending),
                [fix] * len(pending),
                chunksize=max(1, len(pending) // (workers * 4)),
            )
        )
    except BaseException:  # Ctrl-C: do not wait for the queued work
        _stop_pool(pool)
        raise
    pool.shutdown()
    return results


def _stop_pool(pool: ProcessPoolExecutor) -> None:
    """Stop the workers now. There is no public way: the feeder thread of the pool's call queue
    may be blocked writing to workers that are gone, and would be joined at exit forever."""
    processes = list((pool._processes or {}).values())
    pool._call_queue.cancel_join_thread()  # type: ignore[attr-defined]
    pool.shutdown(wait=False, cancel_futures=True)
    for process in processes:
        process.terminate()


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
