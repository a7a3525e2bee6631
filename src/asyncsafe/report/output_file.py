"""``--output-file``: checked before the run, replaced in one step after it.

A report is written to a temporary file beside the target and renamed over it, so a run that
fails (or is killed) leaves the previous report whole instead of empty or half written. A target
that exists but is not a regular file (``/dev/stdout``, a FIFO) is written in place: it cannot be
replaced by renaming, and must not be. Every failure is one line for the user, exit status 2.
"""

from __future__ import annotations

import os
import stat
from pathlib import Path

from asyncsafe.diagnostics import escape


def output_file_problem(path: Path) -> str | None:
    """Why the report could not be written to ``path``, known before the run starts."""
    try:
        mode = os.stat(path).st_mode
    except FileNotFoundError:
        parent = path.parent if str(path.parent) else Path(".")
        if not parent.is_dir():
            return _problem(path, "its directory does not exist")
        if not os.access(parent, os.W_OK | os.X_OK):
            return _problem(path, "its directory is not writable")
        return None
    except OSError as exc:
        return _problem(path, exc.strerror or str(exc))
    if stat.S_ISDIR(mode):
        return _problem(path, "is a directory")
    if not os.access(path, os.W_OK):
        return _problem(path, "permission denied")
    return None


def write_report(path: Path, report: str) -> str | None:
    """Write ``report`` to ``path``; the reason it failed, as one line, or None."""
    data = report.encode("utf-8")
    try:
        existing = os.stat(path)
    except FileNotFoundError:
        existing = None
    except OSError as exc:
        return _problem(path, exc.strerror or str(exc))
    try:
        if existing is not None and not stat.S_ISREG(existing.st_mode):
            if stat.S_ISDIR(existing.st_mode):
                return _problem(path, "is a directory")
            _write_in_place(path, data)
        else:
            _replace(path, data, None if existing is None else stat.S_IMODE(existing.st_mode))
    except OSError as exc:
        return _problem(path, exc.strerror or str(exc))
    return None


def _write_in_place(path: Path, data: bytes) -> None:
    with open(path, "wb") as out:
        out.write(data)
        out.flush()


def _replace(path: Path, data: bytes, mode: int | None) -> None:
    target = os.path.realpath(path)  # replace a symlink's target, not the link
    import tempfile  # only with --output-file: not on every run's import path

    descriptor, temp = tempfile.mkstemp(dir=os.path.dirname(target), prefix=f".{os.path.basename(target)}.", suffix=".tmp")
    try:
        with os.fdopen(descriptor, "wb") as out:
            out.write(data)
            out.flush()
            os.fsync(out.fileno())
        os.chmod(temp, mode if mode is not None else 0o666 & ~_umask())
        os.replace(temp, target)
    except BaseException:
        try:
            os.unlink(temp)
        except OSError:
            pass
        raise


def _umask() -> int:
    current = os.umask(0)
    os.umask(current)
    return current


def _problem(path: Path, reason: str) -> str:
    return f"error: --output-file {escape(str(path))}: cannot write the report: {reason}"
