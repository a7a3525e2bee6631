"""Read a file into text, turning every way it can be unreadable into one clear reason."""

from __future__ import annotations

import io
import tokenize
import re
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
    try:
        with open(path, "rb") as handle:
            data = handle.read()
    except IsADirectoryError:
        return FileError(path, "is a directory")
    except OSError as exc:
        return FileError(path, f"cannot read: {exc.strerror or exc}")
    return decode_source(path, data)
