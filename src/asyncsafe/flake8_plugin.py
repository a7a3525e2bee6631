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
from typing import TYPE_CHECKING, Any, ClassVar

from asyncsafe import __version__
from asyncsafe.config import OPTIONS, ConfigError, Settings, find_config, load_settings
from asyncsafe.diagnostics import FileError
from asyncsafe.engine.facts.project import Project
from asyncsafe.engine.input.prefilter import might_hold_async
from asyncsafe.engine.input.source import Source
from asyncsafe.rules.registry import all_rules
from asyncsafe.run.analyze import analyze_source
from asyncsafe.run.guard import file_error, is_internal
from asyncsafe.run.noqa import drop_ignored

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
    "django-version": "Django version whose async API asyncsafe suggests (default: the installed one)",
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
    """What every file of one flake8 run shares (one per process)."""

    settings: Settings
    paths: tuple[str, ...] = ()
    _project: Project | None = field(default=None, repr=False)

    def project(self) -> Project:
        if self._project is None:
            from asyncsafe.deploy.derived import with_deployment

            self._project = Project(self.settings.root, self.settings, extra_files=self.paths)
            # What the deployed Django settings decide (CACHES -> ASF230, ...), once per run.
            self.settings = self._project.settings = with_deployment(self.settings, self._project)
            count = len(self._project.modules)
            LOG.info(
                "asyncsafe: project index built: %d modules under %s (pid %d)",
                count, os.path.abspath(self.settings.root), os.getpid(),
            )
        return self._project


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

        try:
            cls.state = RunState(settings_from_flake8(options), _checked_paths(options))
        except ConfigError as exc:
            raise ExecutionError(f"asyncsafe: {exc}") from exc
        if _workers_will_fork(options):
            cls.state.project()

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
        if not might_hold_async(text):
            return
        state = type(self).current_state()
        source = Source(self.filename, b"", text, "utf-8")
        project = state.project()  # first: it completes state.settings from the deployment
        analysis = analyze_source(source, state.settings, project=project)
        if is_internal(analysis.error):
            assert analysis.error is not None
            yield self._internal_error(analysis.error)
        elif analysis.error is not None:  # a syntax error: flake8 reports E999 itself
            LOG.warning("asyncsafe: %s", analysis.error)
            return
        for diagnostic in drop_ignored(state.settings, self.filename, analysis.diagnostics):
            message = f"{diagnostic.code} {diagnostic.message}"
            yield diagnostic.line, diagnostic.column - 1, message, type(self)

    def _internal_error(self, error: FileError) -> Result:
        if error.traceback:
            LOG.warning("asyncsafe: %s\n%s", error, error.traceback)  # shown by `flake8 -v`
        return 1, 0, f"{INTERNAL_ERROR_CODE} {error.reason}", type(self)

    @classmethod
    def current_state(cls) -> RunState:
        if cls.state is None:  # flake8 always calls parse_options; be safe under other hosts
            cls.state = RunState(load_settings(find_config(["."])))
        return cls.state


def settings_from_flake8(options: argparse.Namespace) -> Settings:
    """``[tool.asyncsafe]``, then ``--asyncsafe-*``, then the opt-in codes flake8's
    ``--select``/``--extend-select`` name in full."""
    settings = load_settings(find_config(_checked_paths(options) or ["."]))
    overrides: dict[str, Any] = {}
    for key in flake8_keys():
        raw = getattr(options, _dest(key), None)
        if raw is not None:
            attribute, convert = OPTIONS[key]
            overrides[attribute] = convert_text(raw, convert, f"--asyncsafe-{key}")
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
