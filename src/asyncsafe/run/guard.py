"""Internal-error isolation: a bug in one rule on one file costs that rule on that file, not the run.

Two fences:

- ``guard_checkers`` wraps each checker's hooks. When a hook raises, the failure is recorded for
  the file, that checker is silenced for the rest of the file, and the walk goes on, so the other
  rules still report. The file's result then carries one ``FileError`` naming the rule.
- ``file_error`` turns anything else that escapes the analysis of one file (parse, walk, fix)
  into one ``FileError`` for that file; the run goes on with the other files.

An internal error is reported as ``path: error: internal error in <where> (asyncsafe X.Y.Z):
<Exception>: <message>; please report it``; the traceback travels with it and ``--verbose`` prints
it. Exhausting the interpreter's stack is not a bug of ours but a limit of the input, and says so.

For tests (and bug reports) a failure can be injected through the real front ends:
``ASYNCSAFE_TEST_FAIL=<checker class name | rule code | engine>[:<file name>]`` makes that checker
(or the walk itself) raise on the named file (every file without ``:<file name>``).
"""

from __future__ import annotations

import os
import sys
import threading
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, TypeVar

from asyncsafe import __version__
from asyncsafe.diagnostics import FileError

if TYPE_CHECKING:  # the runner imports this module on warm runs, which must not import libcst
    from asyncsafe.engine.tree.events import Checker

HOOKS = ("on_call", "on_evaluate", "on_attribute", "on_function_exit", "on_module_exit", "on_file_without_async")
INTERNAL_ERROR = "internal error"
TEST_FAIL_ENV = "ASYNCSAFE_TEST_FAIL"

# Limits of the input, not bugs: no rule can go on once the stack or memory is exhausted.
LIMITS: dict[type[BaseException], str] = {
    RecursionError: "too deeply nested to analyze",
    MemoryError: "too large to analyze (out of memory)",
}
_LIMIT_TYPES = (RecursionError, MemoryError)


T = TypeVar("T")

# A file nested beyond the default recursion limit (a 1,000-term generated sum, a long attribute
# chain) is analyzed again in a thread whose C stack is big enough for this many Python frames.
DEEP_RECURSION_LIMIT = 20_000
DEEP_STACK_BYTES = 512 * 1024 * 1024  # address space reserved, not memory used


class InjectedFailure(RuntimeError):
    """Raised where ``ASYNCSAFE_TEST_FAIL`` asks for a failure."""


def is_internal(error: FileError | None) -> bool:
    return error is not None and error.reason.startswith(INTERNAL_ERROR)


def file_error(path: str, exc: BaseException, where: str = "the engine") -> FileError:
    """One line for an exception that escaped the analysis of ``path``."""
    for kind, reason in LIMITS.items():
        if isinstance(exc, kind):
            return FileError(path, reason)
    return FileError(path, _internal_reason(where, exc), traceback=_traceback(exc))


def retry_deeper(work: Callable[[], T]) -> T:
    """``work()``; if it exhausts the recursion limit, once more with a deep stack and limit."""
    try:
        return work()
    except RecursionError:
        pass
    outcome: list[T] = []
    failure: list[BaseException] = []

    def deep() -> None:
        limit = sys.getrecursionlimit()
        sys.setrecursionlimit(max(limit, DEEP_RECURSION_LIMIT))
        try:
            outcome.append(work())
        except BaseException as exc:  # handed to the calling thread
            failure.append(exc)
        finally:
            sys.setrecursionlimit(limit)

    previous = threading.stack_size(DEEP_STACK_BYTES)
    try:
        thread = threading.Thread(target=deep, name="asyncsafe-deep")
        thread.start()
    finally:
        threading.stack_size(previous)
    thread.join()
    if failure:
        raise failure[0]
    return outcome[0]


def _internal_reason(where: str, exc: BaseException) -> str:
    lines = str(exc).strip().splitlines()
    message = f": {lines[0][:200]}" if lines else ""
    return (
        f"{INTERNAL_ERROR} in {where} (asyncsafe {__version__}): "
        f"{type(exc).__name__}{message}; please report it"
    )


def _traceback(exc: BaseException) -> str:
    import traceback  # only when something failed: not on every run's import path

    return "".join(traceback.format_exception(type(exc), exc, exc.__traceback__))


def rule_label(checker: Checker) -> str:
    """``ASF1xx checker DjangoOrmChecker``: the codes a checker emits, and its class."""
    codes = sorted(type(checker).codes)
    families = sorted({f"{code[:4]}xx" for code in codes})
    label = codes[0] if len(codes) == 1 else "/".join(families)
    name = f"checker {type(checker).__name__}"
    return f"{label} {name}" if label else name


@dataclass
class RuleFailures:
    """The rules that failed on one file."""

    path: str
    failed: list[tuple[str, BaseException]] = field(default_factory=list)

    def record(self, checker: Checker, exc: Exception) -> None:
        self.failed.append((rule_label(checker), exc))

    def error(self) -> FileError | None:
        """One line for the file: the first failure, with the count of any others."""
        if not self.failed:
            return None
        where, exc = self.failed[0]
        error = file_error(self.path, exc, where)
        if len(self.failed) == 1:
            return error
        others = ", ".join(label for label, _ in self.failed[1:])
        tracebacks = "".join(_traceback(other) for _, other in self.failed[1:])
        return FileError(
            self.path,
            f"{error.reason} (also failed: {others})",
            traceback=error.traceback + tracebacks,
        )


def guard_checkers(checkers: Sequence[Checker], failures: RuleFailures) -> list[Checker]:
    """The same checkers, each hook it overrides wrapped so that an exception stays with it."""
    from asyncsafe.engine.tree.events import Checker

    injected = injected_failure(failures.path)
    for checker in checkers:
        fail = injected is not None and injected in (type(checker).__name__, *type(checker).codes)
        for name in HOOKS:
            if fail or getattr(type(checker), name) is not getattr(Checker, name):
                hook = _injected_hook(name) if fail else getattr(checker, name)
                setattr(checker, name, _guarded(checker, hook, failures))
    return list(checkers)


def _guarded(
    checker: Checker, hook: Callable[[object], None], failures: RuleFailures
) -> Callable[[object], None]:
    def call(argument: object) -> None:
        try:
            hook(argument)
        except _LIMIT_TYPES:
            raise  # the whole file is beyond reach, not just this rule
        except Exception as exc:
            failures.record(checker, exc)
            for name in HOOKS:
                setattr(checker, name, _ignore)

    return call


def _ignore(argument: object) -> None:
    pass


def _injected_hook(name: str) -> Callable[[object], None]:
    def fail(argument: object) -> None:
        raise InjectedFailure(f"failure injected into {name} by {TEST_FAIL_ENV}")

    return fail


def injected_failure(path: str) -> str | None:
    """The checker (or ``engine``) that ``ASYNCSAFE_TEST_FAIL`` asks to fail on ``path``."""
    value = os.environ.get(TEST_FAIL_ENV, "").strip()
    if not value:
        return None
    target, _, file_name = value.partition(":")
    if file_name and os.path.basename(path) != file_name:
        return None
    return target


def fail_if_injected(path: str) -> None:
    """The engine's own injection point (``ASYNCSAFE_TEST_FAIL=engine``)."""
    if injected_failure(path) == "engine":
        raise InjectedFailure(f"failure injected into the walk by {TEST_FAIL_ENV}")
