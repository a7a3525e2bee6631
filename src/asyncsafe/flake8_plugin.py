"""The flake8 front end: ``flake8 --select ASF`` runs asyncsafe's engine on every file flake8 checks.

flake8 owns what it owns: which files, ``# noqa``, ``--select/--ignore``, ``per-file-ignores``
and its config files (``setup.cfg``, ``tox.ini``, ``.flake8``). This plugin therefore reports
every finding the engine makes and filters nothing itself, except what ``[tool.asyncsafe]``
switches off, since that is asyncsafe's own configuration. asyncsafe's other options
(``django-version`` and the rest of the ``[tool.asyncsafe]`` keys) are registered as
``--asyncsafe-<key>``, usable on the command line and in flake8's config files; they override
``[tool.asyncsafe]``.

Project-wide facts hang off one ``Project`` per process, built on first use and shared by every
file of the run. Under ``flake8 -j`` with the ``fork`` start method the parent builds it before
the workers fork, so they inherit it; with ``spawn`` each worker builds it once.
"""

from __future__ import annotations

import argparse
import ast
import logging
import multiprocessing
import os
import re
import sys
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field, replace
from functools import cached_property
from typing import TYPE_CHECKING, Any, ClassVar

from asyncsafe import __version__
from asyncsafe.config import OPTIONS, ConfigError, Settings
from asyncsafe.diagnostics import FileError, escape
from asyncsafe.engine.facts.project import Project
from asyncsafe.engine.input.prefilter import might_hold_async
from asyncsafe.engine.input.source import Source
from asyncsafe.projectinfo.resolve import Group, Resolver, grouped_files
from asyncsafe.rules.registry import all_rules
from asyncsafe.run.analyze import analyze_source
from asyncsafe.run.guard import file_error, is_internal
from asyncsafe.run.noqa import drop_file_suppressed, drop_ignored

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover
    import tomli as tomllib

if TYPE_CHECKING:
    from flake8.options.manager import OptionManager

# flake8 logs under its own logger; `flake8 -v` shows these lines.
LOG = logging.getLogger("flake8.asyncsafe")

# [tool.asyncsafe] keys that flake8 has its own options for: flake8's decide what is reported.
OWNED_BY_FLAKE8 = frozenset(
    {"select", "extend-select", "ignore", "exclude", "extend-exclude", "per-file-ignores"}
)

HELP = {
    "django-version": "Django version whose async API asyncsafe suggests (default: from the project)",
    "target-version": "Python the files are written for, py310..py314 (default: requires-python)",
    "src": "import roots, comma-separated (default: project root, src/, folders with manage.py)",
}

Result = tuple[int, int, str, type[Any]]

# Not a rule: the code under which flake8 shows that asyncsafe failed on a file.
INTERNAL_ERROR_CODE = "ASF000"


def flake8_keys() -> list[str]:
    """The ``[tool.asyncsafe]`` keys registered as ``--asyncsafe-<key>``."""
    return [key for key in OPTIONS if key not in OWNED_BY_FLAKE8]


def _dest(key: str) -> str:
    return "asyncsafe_" + key.replace("-", "_")


@dataclass
class RunState:
    """What every file of one flake8 run shares (one per process): the settings of each
    directory (per-directory configuration) and one project index per project and config."""

    resolver: Resolver
    paths: tuple[str, ...] = ()
    enabled: bool = True  # False: flake8 selects no ASF code, so nothing is read or built
    _projects: dict[tuple[str | None, str], Project] = field(default_factory=dict, repr=False)

    def settings(self, path: str) -> Settings:
        return self.resolver.for_path(path)

    @cached_property
    def _groups(self) -> dict[tuple[str | None, str], Group]:
        """The checked files grouped as the CLI groups them (configuration, project root)."""
        groups, _ = grouped_files(self.resolver, list(self.paths) or ["."])
        return {(group.settings.config_path, group.settings.base): group for group in groups}

    def project(self, settings: Settings) -> Project:
        key = (settings.config_path, settings.base)
        if key not in self._projects:
            from asyncsafe.deploy.derived import with_deployment

            from asyncsafe.run.runner import covers_root

            group = self._groups.get(key)
            files = tuple(group.files) if group is not None else self.paths
            # The same project the CLI builds for these files: a nested project's modules
            # (and its deployment) are not this one's.
            covered = group is not None and covers_root(group.paths, settings.base)
            project = Project(settings.base, settings, extra_files=files, files_under_root=files if covered else None)
            # What the deployed Django settings decide (CACHES -> ASF230, ...), once per project.
            project.settings = with_deployment(settings, project)
            self._projects[key] = project
            LOG.info(
                "asyncsafe: project index built: %d modules under %s (pid %d)",
                len(project.modules), os.path.abspath(settings.base), os.getpid(),
            )
        return self._projects[key]


class Plugin:
    name = "asyncsafe"
    version = __version__
    state: ClassVar[RunState | None] = None

    def __init__(self, tree: ast.AST, filename: str, lines: Sequence[str]) -> None:
        # `tree` makes flake8 treat this as an AST plugin; the engine parses with libcst itself.
        self.filename = filename
        self.lines = lines

    @classmethod
    def add_options(cls, manager: OptionManager) -> None:
        for key in flake8_keys():
            manager.add_option(
                f"--asyncsafe-{key}",
                dest=_dest(key),
                default=None,
                parse_from_config=True,
                metavar="VALUE",
                help=HELP.get(key, f"asyncsafe's '{key}' option (as in [tool.asyncsafe])"),
            )

    @classmethod
    def parse_options(cls, options: argparse.Namespace) -> None:
        from flake8.exceptions import ExecutionError

        paths = _checked_paths(options)
        if not _asf_selected(options):  # someone else's run: read no configuration at all
            cls.state = RunState(Resolver(isolated=True), paths, enabled=False)
            return
        try:
            resolver = Resolver(
                isolated=_isolated(options),
                overrides=lambda settings: apply_flake8_options(settings, options),
                strict=False,  # flake8 checks more than asyncsafe: only our own table may fail it
                paths=list(paths) or ["."],
            )
            cls.state = RunState(resolver, paths)
            first = cls.state.settings(paths[0] if paths else ".")
        except ConfigError as exc:
            raise ExecutionError(f"asyncsafe: {exc}") from exc
        if _workers_will_fork(options):
            cls.state.project(first)

    def run(self) -> Iterator[Result]:
        """The file's findings. An internal error is one ``ASF000`` line at the top of the file
        (flake8 would otherwise abort the whole run); the other rules' findings still follow."""
        try:
            results = list(self._results())
        except Exception as exc:
            results = [self._internal_error(file_error(self.filename, exc))]
        yield from results

    def _results(self) -> Iterator[Result]:
        text = "".join(self.lines)
        state = type(self).current_state()
        if not state.enabled or not might_hold_async(text):
            return
        try:
            settings = state.settings(self.filename)
        except ConfigError as exc:  # a nested configuration file of this file's folder
            yield 1, 0, f"{INTERNAL_ERROR_CODE} {exc}", type(self)
            return
        source = Source(self.filename, b"", text, "utf-8")
        project = state.project(settings)  # its settings are completed from the deployment
        analysis = analyze_source(source, project.settings, project=project)
        if is_internal(analysis.error):
            assert analysis.error is not None
            yield self._internal_error(analysis.error)
        elif analysis.error is not None:  # a syntax error: flake8 reports E999 itself
            LOG.warning("asyncsafe: %s", analysis.error)
            return
        # flake8 applies `# noqa` and `# flake8: noqa`; `# asyncsafe: noqa[: codes]` is ours.
        kept = drop_file_suppressed(analysis.diagnostics, self.lines)
        for diagnostic in drop_ignored(settings, self.filename, kept):
            message = f"{diagnostic.code} {escape(diagnostic.message)}"  # an excerpt may hold a CR or ESC
            yield diagnostic.line, diagnostic.column - 1, message, type(self)

    def _internal_error(self, error: FileError) -> Result:
        if error.traceback:
            LOG.warning("asyncsafe: %s\n%s", error, error.traceback)  # shown by `flake8 -v`
        return 1, 0, f"{INTERNAL_ERROR_CODE} {escape(error.reason)}", type(self)

    @classmethod
    def current_state(cls) -> RunState:
        if cls.state is None:  # flake8 always calls parse_options; be safe under other hosts
            cls.state = RunState(Resolver(strict=False))
        return cls.state


def _isolated(options: argparse.Namespace) -> bool:
    """flake8's ``--isolated`` (no configuration files). flake8 consumes it in a preliminary
    parse, so the options plugins see never hold it: read it from the command line too."""
    return bool(getattr(options, "isolated", False)) or "--isolated" in sys.argv[1:]


def _asf_selected(options: argparse.Namespace) -> bool:
    """Whether flake8 would report any ASF code, decided by flake8's own select/ignore logic."""
    try:
        from flake8.style_guide import Decision, DecisionEngine

        engine = DecisionEngine(options)
    except Exception:  # another host or flake8 version: assume selected
        return True
    codes = (*all_rules(), INTERNAL_ERROR_CODE)
    return any(engine.decision_for(code) is Decision.Selected for code in codes)


def apply_flake8_options(settings: Settings, options: argparse.Namespace) -> Settings:
    """Over ``[tool.asyncsafe]``: ``--asyncsafe-*``, then the opt-in codes flake8's
    ``--select``/``--extend-select`` name in full."""
    overrides: dict[str, Any] = {}
    sources = dict(settings.sources)
    for key in flake8_keys():
        raw = getattr(options, _dest(key), None)
        if raw is not None:
            attribute, convert = OPTIONS[key]
            overrides[attribute] = convert_text(raw, convert, f"--asyncsafe-{key}")
            sources[key] = f"--asyncsafe-{key}"
    overrides["sources"] = sources
    opt_in = _opt_in_selected(options)
    if opt_in:
        overrides["extend_select"] = (*settings.extend_select, *opt_in)
    return replace(settings, **overrides)


def convert_text(raw: str, convert: Callable[[Any, str], Any], where: str) -> Any:
    """A flake8 option value is text; ``[tool.asyncsafe]`` converters expect TOML values.

    Tried in order: the text itself, the text as a TOML value (``["a", "b"]``, ``true``),
    and a comma/newline separated list (flake8's usual list syntax).
    """
    text = raw.strip()
    candidates: list[Any] = [text]
    try:
        candidates.append(tomllib.loads(f"value = {text}")["value"])
    except tomllib.TOMLDecodeError:
        pass
    candidates.append([item.strip() for item in re.split(r"[,\n]", text) if item.strip()])
    first: ConfigError | None = None
    for value in candidates:
        try:
            return convert(value, where)
        except ConfigError as exc:
            first = first or exc
    assert first is not None
    raise first


def _opt_in_selected(options: argparse.Namespace) -> tuple[str, ...]:
    named = [
        code.strip().upper()
        for attribute in ("select", "extend_select")
        for code in (getattr(options, attribute, None) or ())
    ]
    opt_in = {code for code, spec in all_rules().items() if not spec.default_enabled}
    return tuple(sorted(opt_in.intersection(named)))


def _checked_paths(options: argparse.Namespace) -> tuple[str, ...]:
    return tuple(p for p in (getattr(options, "filenames", None) or ()) if p != "-")


def _workers_will_fork(options: argparse.Namespace) -> bool:
    """Build the project index before flake8 forks its workers, so they inherit it."""
    jobs = getattr(options, "jobs", None)
    if jobs is None or (not getattr(jobs, "is_auto", False) and getattr(jobs, "n_jobs", 1) <= 1):
        return False
    return multiprocessing.get_start_method(allow_none=False) == "fork"
