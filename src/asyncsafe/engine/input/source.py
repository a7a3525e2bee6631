"""Read a file into text, turning every way it can be unreadable into one clear reason."""

from __future__ import annotations

import errno
import io
import os
import re
import stat
import tokenize
from dataclasses import dataclass

from asyncsafe.config import Settings
from asyncsafe.diagnostics import FileError
from asyncsafe.engine.input.lines import line_of_offset

DEFAULT_MAX_FILE_SIZE = Settings.max_file_size  # the largest module of the pinned corpora is under 0.5 MB

CODING_COOKIE = re.compile(rb"^[ \t\f]*#.*?coding[:=][ \t]*[-\w.]+")


@dataclass(frozen=True)
class Source:
    path: str
    data: bytes
    text: str
    encoding: str


def decode_source(path: str, data: bytes) -> Source | FileError:
    if b"\0" in data:
        line = line_of_offset(data, data.index(b"\0"))
        return FileError(path, f"contains a NUL byte (line {line}); not a Python source file")
    try:
        encoding, _ = tokenize.detect_encoding(io.BytesIO(data).readline)
    except SyntaxError as exc:
        if _declares_encoding(data):
            return FileError(path, f"invalid encoding declaration: {exc.msg}")
        encoding = "utf-8"  # no cookie: the bytes themselves are bad; decoding says where
    try:
        text = data.decode(encoding)
    except UnicodeDecodeError as exc:
        line = line_of_offset(data, exc.start)
        return FileError(path, f"line {line} is not valid {encoding}: {exc.reason}")
    if text.startswith("\ufeff"):
        text = text[1:]
    return Source(path, data, text, encoding)


def _declares_encoding(data: bytes) -> bool:
    return any(CODING_COOKIE.match(line) for line in data.split(b"\n", 2)[:2])  # as readline splits


def read_source(path: str, max_size: int = DEFAULT_MAX_FILE_SIZE) -> Source | FileError:
    data = read_bytes(path, max_size)
    return data if isinstance(data, FileError) else decode_source(path, data)


def read_bytes(path: str, max_size: int = DEFAULT_MAX_FILE_SIZE) -> bytes | FileError:
    """A regular file's bytes; anything else (a directory, a FIFO, a device) is refused, never
    waited on, and so is a file larger than ``max_size`` (never read into memory whole)."""
    try:
        # Non-blocking open: opening a FIFO for reading would otherwise wait for a writer forever.
        descriptor = os.open(path, os.O_RDONLY | getattr(os, "O_NONBLOCK", 0))
    except IsADirectoryError:
        return FileError(path, "is a directory")
    except OSError as exc:
        return FileError(path, f"cannot read: {_os_reason(exc)}")
    with open(descriptor, "rb") as handle:
        status = os.fstat(descriptor)
        mode = status.st_mode
        if stat.S_ISDIR(mode):
            return FileError(path, "is a directory")
        if not stat.S_ISREG(mode):
            return FileError(path, "not a regular file (a FIFO, socket or device); skipped")
        if status.st_size > max_size:
            return too_large(path, status.st_size, max_size)
        try:
            data = handle.read(max_size + 1)  # it may have grown since fstat
        except OSError as exc:
            return FileError(path, f"cannot read: {_os_reason(exc)}")
        return too_large(path, len(data), max_size) if len(data) > max_size else data


def too_large(path: str, size: int, max_size: int) -> FileError:
    return FileError(
        path, f"file is larger than max-file-size ({_megabytes(size)} > {_megabytes(max_size)}); skipped"
    )


def _megabytes(size: int) -> str:
    return f"{size / 1_000_000:.1f} MB" if size >= 100_000 else f"{size} bytes"


def _os_reason(exc: OSError) -> str:
    if exc.errno == errno.ELOOP:
        return "symbolic link loop"
    return exc.strerror or str(exc)
