"""SARIF 2.1.0 (OASIS, errata 01): what GitHub code scanning and other dashboards import.

Every registered rule is described in ``tool.driver.rules`` (code, name, summary, the full
explanation and help text), so a result's ``ruleIndex`` is stable across runs. Columns are
counted in Unicode code points, as asyncsafe counts them; relative paths are resolved against
the directory asyncsafe ran in (``%SRCROOT%``).
"""

from __future__ import annotations

import json
import os
from pathlib import Path, PurePath
from typing import Any
from urllib.parse import quote

from asyncsafe import __version__
from asyncsafe.diagnostics import Diagnostic, FileError
from asyncsafe.rules.registry import RuleSpec, all_rules
from asyncsafe.run.runner import RunResult

SCHEMA = "https://docs.oasis-open.org/sarif/sarif/v2.1.0/errata01/os/schemas/sarif-schema-2.1.0.json"
SRCROOT = "%SRCROOT%"


def sarif(result: RunResult) -> str:
    rules = all_rules()
    index = {code: position for position, code in enumerate(rules)}
    run: dict[str, Any] = {
        "tool": {
            "driver": {
                "name": "asyncsafe",
                "version": __version__,
                "rules": [_rule(spec) for spec in rules.values()],
            }
        },
        "invocations": [_invocation(result.errors)],
        "originalUriBaseIds": {SRCROOT: {"uri": Path(os.getcwd()).as_uri().rstrip("/") + "/"}},
        "columnKind": "unicodeCodePoints",
        "results": [_result(d, index.get(d.code)) for d in result.diagnostics],
    }
    log = {"$schema": SCHEMA, "version": "2.1.0", "runs": [run]}
    return json.dumps(log, indent=2, ensure_ascii=False) + "\n"


def _rule(spec: RuleSpec) -> dict[str, Any]:
    from asyncsafe.docs import help_markdown

    properties: dict[str, Any] = {"tags": ["async", "performance", "django"]}
    if spec.since:
        properties["sinceDjango"] = spec.since
    return {
        "id": spec.code,
        "name": spec.name,
        "shortDescription": {"text": spec.summary},
        "fullDescription": {"text": " ".join(spec.why.split())},
        "help": {"text": spec.explanation(), "markdown": help_markdown(spec, heading="####")},
        "defaultConfiguration": {"enabled": spec.default_enabled, "level": "error"},
        "properties": properties,
    }


def _result(diagnostic: Diagnostic, rule_index: int | None) -> dict[str, Any]:
    result: dict[str, Any] = {
        "ruleId": diagnostic.code,
        "level": "error",
        "message": {"text": diagnostic.message},
        "locations": [
            {
                "physicalLocation": {
                    "artifactLocation": _artifact(diagnostic.path),
                    "region": {
                        "startLine": diagnostic.line,
                        "startColumn": diagnostic.column,
                        "endLine": diagnostic.end_line,
                        "endColumn": diagnostic.end_column,
                    },
                }
            }
        ],
    }
    if rule_index is not None:
        result["ruleIndex"] = rule_index
    properties = {
        key: value
        for key, value in (("suggestion", diagnostic.suggestion), ("fixable", diagnostic.fixable))
        if value
    }
    if properties:
        result["properties"] = properties
    return result


def _invocation(errors: list[FileError]) -> dict[str, Any]:
    return {
        "executionSuccessful": not errors,
        "toolExecutionNotifications": [
            {
                "level": "error",
                "message": {"text": error.reason},
                "locations": [{"physicalLocation": {"artifactLocation": _artifact(error.path)}}],
            }
            for error in errors
        ],
    }


def _artifact(path: str) -> dict[str, str]:
    pure = PurePath(path)
    if pure.is_absolute():
        return {"uri": Path(path).as_uri()}
    return {"uri": quote(os.fsencode(pure.as_posix())), "uriBaseId": SRCROOT}  # the name's bytes
