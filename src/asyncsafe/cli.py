"""``asyncsafe check|rules|explain``: a thin front end over the engine.

Exit codes: 0 clean, 1 findings, 2 usage/config error or a file that could not be checked,
130 interrupted (Ctrl-C).
"""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Callable, Sequence
from dataclasses import replace
from pathlib import Path
from typing import TYPE_CHECKING, NoReturn

from asyncsafe import __version__
from asyncsafe.config import (
    ConfigError,
    Settings,
    _django_version,
    _target_version,
    _settings_module,
    find_config,
    load_settings,
    validate_selector,
)
from asyncsafe.projectinfo.resolve import Resolver, grouped_files

if TYPE_CHECKING:
    from asyncsafe.run.runner import RunResult

EXIT_CLEAN, EXIT_FINDINGS, EXIT_ERROR = 0, 1, 2
EXIT_INTERRUPTED = 130


def _code_list(option: str) -> Callable[[str], tuple[str, ...]]:
    def parse(value: str) -> tuple[str, ...]:
        try:
            items = value.split(",")
            if len(items) > 1 and items[-1].strip() == "":
                items.pop()  # "ASF3," is a trailing comma, not an empty code
            codes = tuple(validate_selector(v, f"error: {option}") for v in items)
        except ConfigError as exc:
            raise argparse.ArgumentTypeError(str(exc).removeprefix(f"error: {option}: ")) from exc
        if not codes:  # `--select ""` would silently check nothing and pass
            raise argparse.ArgumentTypeError("no rule codes given (e.g. ASF3,ASF101)")
        return codes

    return parse


def _glob_list(value: str) -> tuple[str, ...]:
    return tuple(v.strip() for v in value.split(",") if v.strip())


def _version(value: str) -> str:
    try:
        return _django_version(value, "--django-version")
    except ConfigError as exc:
        raise argparse.ArgumentTypeError(str(exc).removeprefix("--django-version: ")) from exc


def _target(value: str) -> str:
    try:
        return _target_version(value, "--target-version")
    except ConfigError as exc:
        raise argparse.ArgumentTypeError(str(exc).removeprefix("--target-version: ")) from exc


def build_parser() -> argparse.ArgumentParser:
    from asyncsafe.report import OUTPUT_FORMATS

    parser = argparse.ArgumentParser(
        prog="asyncsafe",
        description=(
            "Find blocking sync calls (Django ORM, request.user, sessions, mail, HTTP, sleeps, "
            "files, SDKs) inside async code before they freeze your ASGI workers."
        ),
    )
    parser.add_argument("--version", action="version", version=f"asyncsafe {__version__}")
    commands = parser.add_subparsers(dest="command", metavar="COMMAND")

    check = commands.add_parser(
        "check",
        help="check files and directories (default: .)",
        description="Check Python files for blocking calls inside async code.",
    )
    check.add_argument("paths", nargs="*", metavar="PATH", help="files or directories (default: .)")
    select = check.add_argument_group("rule selection")
    select.add_argument("--select", type=_code_list("--select"), metavar="CODES",
                        help="comma-separated codes or prefixes to enable instead of the defaults (e.g. ASF3,ASF101)")
    select.add_argument("--extend-select", type=_code_list("--extend-select"), metavar="CODES",
                        help="codes to enable in addition (opt-in rules need their full code)")
    select.add_argument("--ignore", type=_code_list("--ignore"), metavar="CODES",
                        help="codes or prefixes to disable")
    files = check.add_argument_group("file selection")
    files.add_argument("--exclude", type=_glob_list, metavar="GLOBS",
                       help="comma-separated globs that replace the default excludes")
    files.add_argument("--extend-exclude", type=_glob_list, metavar="GLOBS",
                       help="globs to exclude in addition to the defaults")
    settings = check.add_argument_group("settings")
    settings.add_argument("--config", type=Path, metavar="FILE",
                          help="use this pyproject.toml (or asyncsafe .toml) instead of searching")
    settings.add_argument("--django-version", type=_version, metavar="X.Y",
                          help="Django version whose async API to suggest (default: installed, else newest)")
    settings.add_argument("--python", metavar="PYTHON",
                          help="the project's interpreter, whose installed libraries are analyzed (ASF8xx)")
    settings.add_argument("--target-version", type=_target, metavar="pyXY",
                          help="Python version the files are written for, py310..py314 "
                               "(default: requires-python's lower bound, else the newest)")
    settings.add_argument("--isolated", action="store_true",
                          help="ignore every configuration file (pyproject.toml, asyncsafe.toml)")
    settings.add_argument("--show-settings", action="store_true",
                          help="print the settings resolved for the first PATH and their sources, check nothing")
    settings.add_argument("--show-files", action="store_true",
                          help="print the files that would be checked, check nothing")
    settings.add_argument("--settings", dest="settings_module", metavar="MODULE",
                          help="the Django settings module the deployment runs with (default: what asgi.py, "
                               "the server configuration or manage.py set)")
    settings.add_argument("--no-cache", action="store_true", help="do not read or write .asyncsafe_cache")
    settings.add_argument("--jobs", "-j", type=int, metavar="N", help="at most N worker processes (default: the CPUs available; none under 8 files, at most one per 4 files)")
    fixes = check.add_argument_group("fixes")
    fixes.add_argument("--fix", action="store_true",
                       help="rewrite what can be fixed with certainty (e.g. time.sleep -> await asyncio.sleep), "
                            "then report what remains")
    fixes.add_argument("--diff", action="store_true",
                       help="print the fixes as a unified diff and write nothing (exit 1 if there are any)")
    fixes.add_argument("--unsafe-fixes", action="store_true",
                       help="with --fix/--diff: also apply fixes that can change behaviour")
    fixes.add_argument("--add-noqa", action="store_true",
                       help="add '# noqa: CODE' to every current finding (merged into existing noqa "
                            "comments), so that only new findings fail from now on")
    output = check.add_argument_group("output")
    output.add_argument("--output-format", "--format", dest="format", choices=OUTPUT_FORMATS,
                        default=os.environ.get("ASYNCSAFE_OUTPUT_FORMAT") or "full",
                        help="full: each finding with a code frame (default, or $ASYNCSAFE_OUTPUT_FORMAT); "
                             "concise: one line a finding (text is its former name); for machines: json (with fix "
                             "edits), json-lines, junit, gitlab, pylint, github, sarif")
    output.add_argument("--color", choices=("auto", "always", "never"), default="auto",
                        help="color the full/concise output (auto: on a terminal, honoring NO_COLOR and FORCE_COLOR)")
    output.add_argument("--show-fixes", action="store_true", help="with --fix: list what was fixed, per file and code")
    output.add_argument("--exit-zero", action="store_true", help="exit 0 even when findings remain (2 still means an error)")
    output.add_argument("--exit-non-zero-on-fix", action="store_true",
                        help="with --fix: exit 1 when a file was rewritten, even if nothing remains")
    output.add_argument("--stdin-filename", metavar="PATH",
                        help="with '-' as the path: the name (and place, for config and imports) of the code read from stdin")
    output.add_argument("--output-file", type=Path, metavar="FILE",
                        help="write the report here instead of stdout (replaced in one step, only when the run completes)")
    output.add_argument("--statistics", action="store_true", help="print a count per code instead of each finding")
    output.add_argument("--quiet", "-q", action="store_true", help="print findings only, no summary line")
    output.add_argument("--verbose", "-v", action="store_true",
                        help="print the traceback of an internal error (for a bug report)")

    rules = commands.add_parser("rules", help="list every rule code with its summary")
    rules.add_argument("--catalog", action="store_true",
                       help="list every cataloged call, method and protocol with its code and async alternative")
    rules.add_argument("--config", type=Path, metavar="FILE",
                       help="with --catalog: include blocking-calls/safe-calls from this file (default: nearest pyproject.toml)")
    commands.add_parser(
        "server", help="run the language server (LSP over stdio) for editors; needs asyncsafe[lsp]",
        description="Speak the Language Server Protocol on stdin/stdout: diagnostics, fixes, noqa, rule hovers.",
    )
    explain = commands.add_parser("explain", help="explain one rule: what blocks, why, example, fix")
    explain.add_argument("code", metavar="CODE")
    return parser


# Set by ``console_main``: the process ends when ``main`` returns.
_EXITS_AFTER = False


def console_main() -> NoReturn:
    """The ``asyncsafe`` command: ``main``, then exit without the interpreter's teardown.

    Freeing a cold run's trees and facts one object at a time took a fifth of the run (0.6 s of
    3.3 s on Django's source, 2.7 s of 19 s on prefect's), after the last line was printed.
    Nothing is left to do by then: the cache is written, a pool's workers are gone, and no
    thread or ``atexit`` hook of ours is running. Only the output buffers need flushing.
    """
    global _EXITS_AFTER
    _EXITS_AFTER = True
    code = main()
    for stream in (sys.stdout, sys.stderr):
        try:
            stream.flush()
        except (OSError, ValueError):  # the reader went away, or the stream is closed
            pass
    os._exit(code)


def main(argv: Sequence[str] | None = None) -> int:
    try:
        return _dispatch(argv)
    except KeyboardInterrupt:
        # Ctrl-C: the user knows why the run stopped; one line and the shell's convention, 128 + SIGINT.
        print("asyncsafe: interrupted", file=sys.stderr)
        return EXIT_INTERRUPTED
    except BrokenPipeError:
        # The reader went away (`asyncsafe rules | head`): that is not an error of ours.
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return EXIT_CLEAN
    except Exception as exc:  # not tied to one file (those are caught per file): still one line
        from asyncsafe.run.guard import file_error

        error = file_error("asyncsafe", exc, "the run")
        print(error, file=sys.stderr)
        if "-v" in (argv or sys.argv) or "--verbose" in (argv or sys.argv):
            print(error.traceback, file=sys.stderr, end="")
        return EXIT_ERROR


def _dispatch(argv: Sequence[str] | None) -> int:
    parser = build_parser()
    args, unknown = parser.parse_known_args(argv)
    if unknown:  # name the subcommand's usage, not the top level's
        from asyncsafe.diagnostics import (
            escape,  # an unknown "option" may be a hostile file name
        )

        _subparser(parser, args.command).error(f"unrecognized arguments: {escape(' '.join(unknown))}")
    if args.command == "check":
        return _check(args)
    if args.command == "rules":
        return _catalog(args) if args.catalog else _rules()
    if args.command == "explain":
        return _explain(args.code)
    if args.command == "server":
        return _server()
    parser.print_help(sys.stderr)
    return EXIT_ERROR


def _subparser(parser: argparse.ArgumentParser, command: str | None) -> argparse.ArgumentParser:
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction) and command in action.choices:
            chosen: argparse.ArgumentParser = action.choices[command]
            return chosen
    return parser


def _overrides(args: argparse.Namespace) -> Callable[[Settings], Settings]:
    """The command-line options, applied over each file's configuration."""

    def apply(settings: Settings) -> Settings:
        overrides: dict[str, object] = {}
        if args.select is not None:
            overrides["select"] = args.select
        if args.extend_select:
            overrides["extend_select"] = (*settings.extend_select, *args.extend_select)
        if args.ignore:
            overrides["ignore"] = (*settings.ignore, *args.ignore)
        if args.exclude is not None:
            overrides["exclude"] = args.exclude
        if args.extend_exclude:
            overrides["extend_exclude"] = (*settings.extend_exclude, *args.extend_exclude)
        sources = dict(settings.sources)
        if args.django_version:
            overrides["django_version"] = args.django_version
            sources["django-version"] = "--django-version"
        if args.target_version:
            overrides["target_version"] = args.target_version
            sources["target-version"] = "--target-version"
        if args.settings_module:
            overrides["settings_module"] = _settings_module(args.settings_module, "error: --settings")
            sources["settings-module"] = "--settings"
        if args.python:
            overrides["python"] = str(Path(args.python).absolute())
            sources["python"] = "--python"
        return replace(settings, sources=sources, **overrides)  # type: ignore[arg-type]

    return apply


def _config_paths(args: argparse.Namespace) -> list[str]:
    """Where configuration is searched from: the checked paths, or stdin's stated file name."""
    if args.paths == ["-"]:
        return [args.stdin_filename] if args.stdin_filename else ["."]
    return list(args.paths) or ["."]


def _resolver(args: argparse.Namespace) -> Resolver:
    return Resolver(
        config=args.config, isolated=args.isolated, overrides=_overrides(args), paths=_config_paths(args)
    )


def _usage_problem(args: argparse.Namespace) -> str | None:
    """An option combination or output file that cannot work, before anything runs."""
    from asyncsafe.report import OUTPUT_FORMATS
    from asyncsafe.report.output_file import output_file_problem

    if args.output_file is not None and (problem := output_file_problem(args.output_file)):
        return problem
    if args.format not in OUTPUT_FORMATS:  # only the environment's default escapes argparse's check
        return (f"error: ASYNCSAFE_OUTPUT_FORMAT: unknown format {args.format!r} "
                f"(choose from {', '.join(OUTPUT_FORMATS)})")
    if args.add_noqa and (args.fix or args.diff):
        return "error: --add-noqa cannot be combined with --fix or --diff"
    return None


def _check(args: argparse.Namespace) -> int:
    from asyncsafe.run.collector import one_batch
    from asyncsafe.run.runner import FixMode, RunResult, run

    if _EXITS_AFTER:  # one batch, then exit; ``main`` called in a process that goes on leaves it be
        one_batch()
    paths = _config_paths(args)
    resolver = _resolver(args)
    try:
        if args.show_settings:
            return _show_settings(resolver, paths[0])
        if args.paths == ["-"]:
            stdin_settings = resolver.for_path(paths[0])
        else:
            groups, errors = grouped_files(resolver, paths, use_cache=not args.no_cache)
    except ConfigError as exc:
        print(exc, file=sys.stderr)
        return EXIT_ERROR
    problem = _usage_problem(args)
    if problem is not None:
        print(problem, file=sys.stderr)
        return EXIT_ERROR
    if args.paths == ["-"]:
        return _check_stdin(args, stdin_settings)
    if args.show_files:
        sys.stdout.write("".join(f"{file}\n" for group in groups for file in group.files))
        return EXIT_CLEAN
    fix = FixMode(write=not args.diff, unsafe=args.unsafe_fixes) if args.fix or args.diff else None
    result = RunResult(errors=list(errors))
    for group in groups:
        part = run(
            group.paths, group.settings, use_cache=not args.no_cache, jobs=args.jobs, fix=fix,
            discovered=(group.files, []),
        )
        _merge(result, part)
    result.diagnostics.sort()
    result.errors.sort()
    return _report(args, result, fixing=fix is not None)


def _show_settings(resolver: Resolver, path: str) -> int:
    from asyncsafe.projectinfo.resolve import describe

    for name, value in describe(resolver.for_path(path)).items():
        print(f"{name}: {value}")
    return EXIT_CLEAN


def _merge(total: RunResult, part: RunResult) -> None:
    if part.settings is not None:
        if total.settings is None:
            total.settings, total.project = part.settings, part.project
        else:
            total.contexts.update({d.path: (part.settings, part.project) for d in part.diagnostics})
    total.diagnostics.extend(part.diagnostics)
    total.errors.extend(part.errors)
    total.warnings.extend(part.warnings)
    total.changes.extend(part.changes)
    total.files_checked += part.files_checked
    total.unparsed += part.unparsed


def _report(args: argparse.Namespace, result: RunResult, *, fixing: bool, texts: dict[str, str] | None = None) -> int:
    """Print the errors and warnings, write the report, and choose the exit status."""
    from asyncsafe.diagnostics import escape
    from asyncsafe.report import HUMAN_FORMATS, render, summary
    from asyncsafe.report.human import palette, show_fixes, statistics

    for error in result.errors:
        print(escape(str(error)), file=sys.stderr)
        if args.verbose and error.traceback:
            print(error.traceback, file=sys.stderr, end="")
    for warning in result.warnings:
        print(escape(warning), file=sys.stderr)
    if args.add_noqa:
        return _add_noqa(args, result)
    if args.diff:
        return _report_diff(args, result)
    human = args.format in HUMAN_FORMATS
    colors = palette(args.color if args.output_file is None and (human or args.statistics) else "never", sys.stdout)
    report = statistics(result, colors) if args.statistics else render(result, args.format, colors, texts)
    if human and not args.quiet:
        if args.show_fixes and fixing and result.changes:
            report += ("\n" if report else "") + "Fixes applied:\n" + show_fixes(result, colors)
        report += ("\n" if report and args.format == "full" else "") + summary(result, fixing=fixing)
    if not _emit(args, report):
        return EXIT_ERROR
    if result.errors:
        return EXIT_ERROR
    if args.exit_non_zero_on_fix and result.changes:
        return EXIT_FINDINGS
    return EXIT_FINDINGS if result.diagnostics and not args.exit_zero else EXIT_CLEAN


def _check_stdin(args: argparse.Namespace, settings: Settings) -> int:
    """``asyncsafe check -``: the code comes from stdin; with --fix the fixed code goes to stdout
    and the report to stderr (as ruff does)."""
    from asyncsafe.run.runner import FixMode, run_source

    data = sys.stdin.buffer.read()
    path = args.stdin_filename or "-"
    fixing = args.fix or args.diff
    fix = FixMode(write=False, unsafe=args.unsafe_fixes) if fixing else None
    result = run_source(path, data, settings, fix=fix)
    change = result.changes[0] if result.changes else None
    if args.fix:
        sys.stdout.buffer.write(change.after if change is not None else data)
        sys.stdout.flush()
        args.output_file = args.output_file or _STDERR
    if args.diff:
        return _report_diff(args, result)
    text = (change.after if change is not None and args.fix else data).decode("utf-8", "replace")
    return _report(args, result, fixing=bool(args.fix), texts={path: text})


_STDERR = Path("/dev/stderr")


def _report_diff(args: argparse.Namespace, result: RunResult) -> int:
    from asyncsafe.report import fixed_line

    if not _emit(args, "".join(change.diff() for change in result.changes)):
        return EXIT_ERROR
    if not args.quiet:
        print(fixed_line(result, would=True), file=sys.stderr)
    if result.errors:
        return EXIT_ERROR
    return EXIT_FINDINGS if result.changes else EXIT_CLEAN


def _add_noqa(args: argparse.Namespace, result: RunResult) -> int:
    from asyncsafe.diagnostics import escape
    from asyncsafe.run.add_noqa import write_noqa

    added, files, problems = write_noqa(result.diagnostics)
    for problem in problems:
        print(escape(problem), file=sys.stderr)
    if not args.quiet:
        print(f"Added {added} noqa directive{'' if added == 1 else 's'} to {files} file{'' if files == 1 else 's'}.")
    return EXIT_ERROR if result.errors or problems else EXIT_CLEAN


def _emit(args: argparse.Namespace, report: str) -> bool:
    """Write the report; False (after one line on stderr) when ``--output-file`` cannot be written."""
    from asyncsafe.report.output_file import write_report

    if args.output_file is None:
        sys.stdout.write(report)
        return True
    problem = write_report(args.output_file, report)
    if problem is not None:
        print(problem, file=sys.stderr)
    return problem is None


def _server() -> int:
    try:
        from asyncsafe.server import serve
    except ImportError as exc:  # pygls is an optional dependency
        print(f"error: 'asyncsafe server' needs pygls ({exc.name}): pip install 'asyncsafe[lsp]'", file=sys.stderr)
        return EXIT_ERROR
    return serve()


def _rules() -> int:
    from asyncsafe.rules.registry import all_rules

    rules = all_rules()
    width = max(len(spec.name) for spec in rules.values())
    for code, spec in rules.items():
        flag = "" if spec.default_enabled else "  (opt-in)"
        print(f"{code}  {spec.name:<{width}}  {spec.summary}{flag}")
    return EXIT_CLEAN


def _catalog(args: argparse.Namespace) -> int:
    from asyncsafe.catalog import configured_catalog
    from asyncsafe.rules.registry import all_rules

    try:
        config = args.config if args.config is not None else find_config(["."])
        settings = load_settings(config, explicit=args.config is not None)
    except ConfigError as exc:
        print(exc, file=sys.stderr)
        return EXIT_ERROR
    rules = all_rules()
    lines = []
    for entry in configured_catalog(settings.blocking_calls).entries():
        spec = rules.get(entry.code)
        opt_in = " (opt-in)" if spec is not None and not spec.default_enabled else ""
        lines.append(f"{entry.code}{opt_in}  {entry.name}  ->  {entry.fix}\n")
        if entry.note:
            lines.append(f"        {entry.note}\n")
    if settings.safe_calls:
        lines.append(f"safe-calls (never reported): {', '.join(settings.safe_calls)}\n")
    sys.stdout.write("".join(lines))
    return EXIT_CLEAN


def _explain(code: str) -> int:
    from asyncsafe.rules.registry import all_rules

    spec = all_rules().get(code.strip().upper())
    if spec is None:
        print(f"error: unknown rule code {code!r}; run 'asyncsafe rules' for the list", file=sys.stderr)
        return EXIT_ERROR
    print(spec.explanation())
    return EXIT_CLEAN


if __name__ == "__main__":
    console_main()
