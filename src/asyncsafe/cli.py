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

from asyncsafe import __version__
from asyncsafe.config import (
    ConfigError,
    Settings,
    _django_version,
    _settings_module,
    find_config,
    load_settings,
    validate_selector,
)

EXIT_CLEAN, EXIT_FINDINGS, EXIT_ERROR = 0, 1, 2
EXIT_INTERRUPTED = 130


def _code_list(option: str) -> Callable[[str], tuple[str, ...]]:
    def parse(value: str) -> tuple[str, ...]:
        try:
            return tuple(validate_selector(v, f"error: {option}") for v in value.split(",") if v.strip())
        except ConfigError as exc:
            raise argparse.ArgumentTypeError(str(exc).removeprefix(f"error: {option}: ")) from exc

    return parse


def _glob_list(value: str) -> tuple[str, ...]:
    return tuple(v.strip() for v in value.split(",") if v.strip())


def _version(value: str) -> str:
    try:
        return _django_version(value, "--django-version")
    except ConfigError as exc:
        raise argparse.ArgumentTypeError(str(exc).removeprefix("--django-version: ")) from exc


def build_parser() -> argparse.ArgumentParser:
    from asyncsafe.report import FORMATS

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
    settings.add_argument("--settings", dest="settings_module", metavar="MODULE",
                          help="the Django settings module the deployment runs with (default: what asgi.py, "
                               "the server configuration or manage.py set)")
    settings.add_argument("--no-cache", action="store_true", help="do not read or write .asyncsafe_cache")
    settings.add_argument("--jobs", "-j", type=int, metavar="N", help="worker processes (default: CPU count)")
    fixes = check.add_argument_group("fixes")
    fixes.add_argument("--fix", action="store_true",
                       help="rewrite what can be fixed with certainty (e.g. time.sleep -> await asyncio.sleep), "
                            "then report what remains")
    fixes.add_argument("--diff", action="store_true",
                       help="print the fixes as a unified diff and write nothing (exit 1 if there are any)")
    fixes.add_argument("--unsafe-fixes", action="store_true",
                       help="with --fix/--diff: also apply fixes that can change behaviour")
    output = check.add_argument_group("output")
    output.add_argument("--format", choices=sorted(FORMATS), default="text", help="output format (default: text)")
    output.add_argument("--output-file", type=Path, metavar="FILE", help="write the report here instead of stdout")
    output.add_argument("--statistics", action="store_true", help="print a count per code instead of each finding")
    output.add_argument("--quiet", "-q", action="store_true", help="print findings only, no summary line")
    output.add_argument("--verbose", "-v", action="store_true",
                        help="print the traceback of an internal error (for a bug report)")

    rules = commands.add_parser("rules", help="list every rule code with its summary")
    rules.add_argument("--catalog", action="store_true",
                       help="list every cataloged call, method and protocol with its code and async alternative")
    rules.add_argument("--config", type=Path, metavar="FILE",
                       help="with --catalog: include blocking-calls/safe-calls from this file (default: nearest pyproject.toml)")
    explain = commands.add_parser("explain", help="explain one rule: what blocks, why, example, fix")
    explain.add_argument("code", metavar="CODE")
    return parser


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
    args = parser.parse_args(argv)
    if args.command == "check":
        return _check(args)
    if args.command == "rules":
        return _catalog(args) if args.catalog else _rules()
    if args.command == "explain":
        return _explain(args.code)
    parser.print_help(sys.stderr)
    return EXIT_ERROR


def _settings(args: argparse.Namespace) -> Settings:
    config = args.config if args.config is not None else find_config(args.paths or ["."])
    settings = load_settings(config, explicit=args.config is not None)
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
    if args.django_version:
        overrides["django_version"] = args.django_version
    if args.settings_module:
        overrides["settings_module"] = _settings_module(args.settings_module, "error: --settings")
    return replace(settings, **overrides)  # type: ignore[arg-type]


def _check(args: argparse.Namespace) -> int:
    from asyncsafe.report import FORMATS, fixed_line, statistics, summary
    from asyncsafe.run.runner import FixMode, run

    try:
        settings = _settings(args)
    except ConfigError as exc:
        print(exc, file=sys.stderr)
        return EXIT_ERROR
    fix = FixMode(write=not args.diff, unsafe=args.unsafe_fixes) if args.fix or args.diff else None
    result = run(args.paths or ["."], settings, use_cache=not args.no_cache, jobs=args.jobs, fix=fix)
    for error in result.errors:
        print(error, file=sys.stderr)
        if args.verbose and error.traceback:
            print(error.traceback, file=sys.stderr, end="")
    for warning in result.warnings:
        print(warning, file=sys.stderr)
    if args.diff:
        _emit(args, "".join(change.diff() for change in result.changes))
        if not args.quiet:
            print(fixed_line(result, would=True), file=sys.stderr)
        if result.errors:
            return EXIT_ERROR
        return EXIT_FINDINGS if result.changes else EXIT_CLEAN
    report = statistics(result) if args.statistics else FORMATS[args.format](result)
    if args.format == "text" and not args.quiet:
        report += summary(result, fixing=fix is not None)
    _emit(args, report)
    if result.errors:
        return EXIT_ERROR
    return EXIT_FINDINGS if result.diagnostics else EXIT_CLEAN


def _emit(args: argparse.Namespace, report: str) -> None:
    if args.output_file is not None:
        args.output_file.write_text(report, encoding="utf-8")
    else:
        sys.stdout.write(report)


def _rules() -> int:
    from asyncsafe.rules.registry import all_rules

    for code, spec in all_rules().items():
        flag = "" if spec.default_enabled else "  (opt-in)"
        print(f"{code}  {spec.name:<28} {spec.summary}{flag}")
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
    raise SystemExit(main())
