"""GitHub Actions workflow commands: one ``::error`` annotation per finding and per bad file.

Escaping follows the runner's rules: ``%``, CR and LF in the message; additionally ``:`` and
``,`` in property values.
"""

from __future__ import annotations

from asyncsafe.diagnostics import display_path
from asyncsafe.run.runner import RunResult


def github(result: RunResult) -> str:
    lines = [
        _command(
            {
                "file": display_path(d.path),
                "line": str(d.line),
                "col": str(d.column),
                "endLine": str(d.end_line),
                "endColumn": str(d.end_column),
                "title": d.code,
            },
            d.message,
        )
        for d in result.diagnostics
    ]
    lines += [
        _command({"file": display_path(e.path), "title": "asyncsafe"}, f"could not be checked: {e.reason}")
        for e in result.errors
    ]
    return "".join(f"{line}\n" for line in lines)


def _command(properties: dict[str, str], message: str) -> str:
    rendered = ",".join(f"{key}={_escape_property(value)}" for key, value in properties.items())
    return f"::error {rendered}::{_escape_data(message)}"


def _escape_data(text: str) -> str:
    return text.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")


def _escape_property(text: str) -> str:
    return _escape_data(text).replace(":", "%3A").replace(",", "%2C")
