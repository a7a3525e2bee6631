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
from asyncsafe.engine.input.parse_gate import gate
from asyncsafe.engine.input.prefilter import might_hold_async, might_hold_async_data
from asyncsafe.engine.input.source import (
    Source,
    decode_source,
    read_bytes,
    read_source,
    too_large,
)
from asyncsafe.run.collector import after_file, analysis_collector, quiet_collector
from asyncsafe.run.guard import file_error, is_internal
from asyncsafe.run.noqa import apply_noqa, drop_ignored
from asyncsafe.run.replace import remove_leftovers, write_atomically

if TYPE_CHECKING:
    from concurrent.futures import ProcessPoolExecutor

    from asyncsafe.fix import FileChange, FixOutcome

PARALLEL_THRESHOLD = 8  # fewer files than this are analyzed in this process: a pool costs more
HEAD_SHARE = 2  # with W workers, the first 1/(2W) of the files are analyzed before forking
FILES_PER_WORKER = 4  # each worker rebuilds what it needs of the project: give it enough files


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
    unparsed: int = 0  # project files read for facts that could not be parsed
    # What the run used, for reports that re-derive a finding's fix (JSON, SARIF edits).
    settings: Settings | None = field(default=None, repr=False, compare=False)
    project: Project | None = field(default=None, repr=False, compare=False)
    texts: dict[str, str] = field(default_factory=dict, repr=False, compare=False)  # content not on disk (stdin)
    # Files checked under another configuration than ``settings`` (one run per config group).
    contexts: dict[str, tuple[Settings, Project | None]] = field(default_factory=dict, repr=False, compare=False)

    def context(self, path: str) -> tuple[Settings | None, Project | None]:
        """The settings and project ``path`` was checked with."""
        return self.contexts.get(path, (self.settings, self.project))

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
    unreadable: dict[str, str] = field(default_factory=dict)  # project files facts missed


_WORKER_PROJECT: Project | None = None


def _init_worker(project: Project) -> None:
    global _WORKER_PROJECT
    _WORKER_PROJECT = project
    quiet_collector()
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
    finally:
        after_file()


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
    return Checked(outcome, project.recorder.resolved(reads), dict(project.unreadable))


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
    discovered: tuple[list[str], list[FileError]] | None = None,
) -> RunResult:
    """Check ``paths``; with ``fix``, also rewrite what rules can fix (see ``asyncsafe.fix``).
    ``discovered``: the files of ``paths`` when the caller already found them."""
    files, errors = discovered if discovered is not None else discover(paths, settings)
    if fix is not None and fix.write:
        remove_leftovers(files)  # temp files of a --fix run that was killed
    result = RunResult(errors=list(errors), files_checked=len(files))
    store, refused = open_store(settings.base, settings.cache_dir) if use_cache else (None, None)
    if refused is not None:
        result.warnings.append(refused)
    project = Project(
        settings.base, settings, extra_files=tuple(files), cache=store,
        files_under_root=tuple(files) if covers_root(paths, settings.base) else None,
    )
    from asyncsafe.deploy.derived import with_deployment

    settings = project.settings = with_deployment(settings, project)
    result.settings, result.project = settings, project
    manifest = _open_manifest(settings, project, store) if store is not None else None
    pending: list[_Pending] = []
    named_files = {os.path.normpath(path) for path in paths if os.path.isfile(path)}
    for path in files:
        found = _triage(path, manifest, fix, result, settings, path in named_files)
        if found is not None:
            pending.append(found)
    # Until the manifest is written: a full collection after analysis would traverse every
    # tree and fact still alive (0.7 s of a cold run on Django) to find almost nothing.
    with analysis_collector():
        analyzed = _analyze_all(pending, settings, project, jobs, fix)
        _finish(result, pending, analyzed, project, manifest, fix)
        _report_unreadable(result, project.unreadable, paths)
        if manifest is not None:
            manifest.save()
    result.diagnostics.sort()
    result.errors.sort()
    return result


def _finish(
    result: RunResult,
    pending: list[_Pending],
    analyzed: list[Checked],
    project: Project,
    manifest: Manifest | None,
    fix: FixMode | None,
) -> None:
    """Store what can be cached, take the fixes, and collect the diagnostics to report."""
    settings = project.settings
    for checked in analyzed:
        project.unreadable.update(checked.unreadable)
    for item, checked in zip(pending, analyzed):
        cacheable = fix is None and not is_internal(checked.outcome.error)  # a bug is not a result
        # A result computed without a file it read stays uncached, so every run says so again.
        cacheable = cacheable and not _read_unreadable(project, checked.reads)
        if manifest is not None and item.digest is not None and cacheable:
            _remember(manifest, project, item, checked.outcome, checked.reads)
        diagnostics = _take_change(result, checked.outcome, fix)
        _collect(result, settings, item.path, diagnostics, checked.outcome.error)


def _read_unreadable(project: Project, reads: Reads) -> bool:
    if not project.unreadable:
        return False
    paths = project.modules
    return any(paths.get(module) in project.unreadable for module in reads.modules)


def _report_unreadable(result: RunResult, unreadable: dict[str, str], named: list[str]) -> None:
    """Project files the facts (models, helpers, exports) could not be read from: never a
    silent drop. An error when the file was named or holds async code (its own findings are
    lost too), else a warning; a file already reported as checked is not reported twice."""
    reported = {os.path.realpath(error.path) for error in result.errors}
    explicit = {os.path.realpath(path) for path in named if os.path.isfile(path)}
    for path, reason in sorted(unreadable.items()):
        real = os.path.realpath(path)
        if real in reported:
            continue
        shown = _shown(path)
        result.unparsed += 1
        if real in explicit or _holds_async(path):
            result.errors.append(FileError(shown, reason))
        else:
            result.warnings.append(
                f"{shown}: warning: {reason}; not read for project facts (models, helpers), "
                "so findings that go through it are missing"
            )


def _holds_async(path: str) -> bool:
    data = read_bytes(path)
    return not isinstance(data, FileError) and might_hold_async_data(data)


def _shown(path: str) -> str:
    """A path as the user reads it: relative to the working directory when below it."""
    relative = os.path.relpath(path)
    return path if relative.startswith("..") else relative


def run_source(
    path: str,
    data: bytes,
    settings: Settings,
    *,
    fix: FixMode | None = None,
    project: Project | None = None,
) -> RunResult:
    """Check one file's content that is not (or not yet) on disk: stdin, an editor's buffer.
    ``path`` places it in the project (config, imports); a fix is proposed, never written."""
    if project is None:
        extra = (path,) if os.path.isfile(path) else ()
        project = Project(settings.base, settings, extra_files=extra)
    proposing = FixMode(write=False, unsafe=fix.unsafe) if fix is not None else None
    checked = _check_bytes(path, data, settings, proposing, project)
    source = decode_source(path, data)
    texts = {path: source.text} if isinstance(source, Source) else {}
    result = RunResult(files_checked=1, settings=settings, project=project, texts=texts)
    diagnostics = _take_change(result, checked.outcome, proposing)
    if checked.outcome.change is not None and proposing is not None:
        diagnostics = checked.outcome.diagnostics  # what remains once the proposed change is taken
    _collect(result, settings, path, diagnostics, checked.outcome.error)
    result.diagnostics.sort()
    return result


def covers_root(paths: list[str], root: str) -> bool:
    """The paths checked include the project root itself: their files are the project's."""
    real_root = os.path.realpath(root)
    return any(os.path.realpath(path) == real_root for path in paths or ["."])


def _open_manifest(settings: Settings, project: Project, store: CacheStore) -> Manifest:
    layout = [os.path.abspath(path) for path in project.modules.values()]
    from asyncsafe.deploy.derived import server_config_digest

    deployed = server_config_digest(settings.base, project.modules)  # Procfile & co. are not modules
    manifest = Manifest(
        store, f"{settings.fingerprint()}|{deployed}", settings.base, layout, might_hold_async_data,
        settings.max_file_size,
    )
    manifest.refresh(layout)  # any result may depend on any project file
    return manifest


def _triage(
    path: str,
    manifest: Manifest | None,
    fix: FixMode | None,
    result: RunResult,
    settings: Settings,
    named: bool = False,
) -> _Pending | None:
    """Report ``path`` from the manifest, skip it, or say it needs analyzing."""
    digest: str | None = None
    if manifest is not None:
        key = os.path.abspath(path)
        state = manifest.state(key)
        if state is not None and state.size > settings.max_file_size:  # as when read: refused
            result.errors.append(too_large(path, state.size, settings.max_file_size))
            return None
        if state is not None and not state.holds_async and not named:
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
        # Nothing to check inside; a file named explicitly is still held to the grammar.
        rejected = gate(source, settings.target_version) if named else None
        if rejected is not None:
            result.errors.append(rejected)
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
    workers = worker_count(jobs, len(pending))
    if workers <= 1:
        return _analyze_here(pending, settings, project, fix)
    import multiprocessing
    from concurrent.futures import (
        ProcessPoolExecutor,  # only when it pays: not on a warm run
    )

    # Fork after building: the first files, analyzed here, build the project facts that most
    # files need (the model index, outlines, shared helpers' summaries); forked workers inherit
    # them instead of each building them again. Without fork, workers start from nothing.
    forking = "fork" in multiprocessing.get_all_start_methods()
    head = len(pending) // (workers * HEAD_SHARE) if forking else 0
    done = _analyze_here(pending[:head], settings, project, fix)
    rest = pending[head:]
    pool = ProcessPoolExecutor(
        max_workers=workers,
        mp_context=multiprocessing.get_context("fork") if forking else None,
        initializer=_init_worker,
        initargs=(project,),
    )
    try:
        results = done + list(
            pool.map(
                _check_bytes,
                [item.path for item in rest],
                [item.data for item in rest],
                [settings] * len(rest),
                [fix] * len(rest),
                chunksize=max(1, len(rest) // (workers * 4)),
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


def _analyze_here(
    pending: list[_Pending], settings: Settings, project: Project, fix: FixMode | None
) -> list[Checked]:
    return [_check_bytes(item.path, item.data, settings, fix, project) for item in pending]


def worker_count(jobs: int | None, files: int) -> int:
    """Processes to analyze ``files`` with: what ``--jobs`` asks (default: the CPUs this process
    may run on), never more than the work pays for, and one (no pool) for a handful of files."""
    available = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count()
    wanted = jobs if jobs is not None else (available or 1)
    if files < PARALLEL_THRESHOLD:
        return 1
    return max(1, min(wanted, files // FILES_PER_WORKER))


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
