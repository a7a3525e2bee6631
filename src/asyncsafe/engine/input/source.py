"""Read a file into text, turning every way it can be unreadable into one clear reason."""

from __future__ import annotations

import errno
import io
import os
import re
import stat
import tokenize
from dataclasses import dataclass

from asyncsafe.diagnostics import FileError

CODING_COOKIE = re.compile(rb"^[ \t\f]*#.*?coding[:=][ \t]*[-\w.]+")


@dataclass(frozen=True)
class Source:
    path: str
    data: bytes
    text: str
    encoding: str


def decode_source(path: str, data: bytes) -> Source | FileError:
    if b"\0" in data:
        line = data[: data.index(b"\0")].count(b"\n") + 1
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
        line = data[: exc.start].count(b"\n") + 1
        return FileError(path, f"line {line} is not valid {encoding}: {exc.reason}")
    if text.startswith("\ufeff"):
        text = text[1:]
    return Source(path, data, text, encoding)


def _declares_encoding(data: bytes) -> bool:
    return any(CODING_COOKIE.match(line) for line in data.splitlines()[:2])


def read_source(path: str) -> Source | FileError:
    data = read_bytes(path)
    return data if isinstance(data, FileError) else decode_source(path, data)


def read_bytes(path: str) -> bytes | FileError:
    """A regular file's bytes; anything else (a directory, a FIFO, a device) is refused, never
    waited on."""
    try:
        # Non-blocking open: opening a FIFO for reading would otherwise wait for a writer forever.
        descriptor = os.open(path, os.O_RDONLY | getattr(os, "O_NONBLOCK", 0))
    except IsADirectoryError:
        return FileError(path, "is a directory")
    except OSError as exc:
        return FileError(path, f"cannot read: {_os_reason(exc)}")
    with open(descriptor, "rb") as handle:
        mode = os.fstat(descriptor).st_mode
        if stat.S_ISDIR(mode):
            return FileError(path, "is a directory")
        if not stat.S_ISREG(mode):
            return FileError(path, "not a regular file (a FIFO, socket or device); skipped")
        try:
            return handle.read()
        except OSError as exc:
            return FileError(path, f"cannot read: {_os_reason(exc)}")


def _os_reason(exc: OSError) -> str:
    if exc.errno == errno.ELOOP:
        return "symbolic link loop"
    return exc.strerror or str(exc)
