"""Formats for machines: ``json``, ``json-lines``, ``junit``, ``gitlab`` (Code Quality), ``pylint``.

JSON (and JSON lines) give each finding its rule's documentation anchor (``url``) and its fix as
text edits (``fix``: applicability, the suggestion, and line edits that include any import the fix
adds), and list each file that could not be checked as an item with ``code: null`` and ``error``.
"""

from __future__ import annotations

import hashlib
import json
import xml.etree.ElementTree as ET
from collections import Counter, defaultdict
from typing import TYPE_CHECKING, Any

from asyncsafe.diagnostics import Diagnostic, FileError, display_path, escape
from asyncsafe.engine.input.source import Source, decode_source, read_source
from asyncsafe.rules.codes import TITLES
from asyncsafe.run.runner import RunResult

if TYPE_CHECKING:  # fix edits need libcst: imported by the formats that carry them, when they run
    from asyncsafe.fix import Edit, FixEdits

DOCS = "docs/rules.md"


def rule_url(code: str) -> str | None:
    """The rule's section in the rules reference (``docs/rules.md#asf301-blocking-sleep``)."""
    title = TITLES.get(code)
    if title is None:
        return None
    text = f"{code}: {title[0]}".lower()
    return f"{DOCS}#" + "".join(c for c in text if c.isalnum() or c in " -_").replace(" ", "-")


def fixes(result: RunResult) -> dict[Diagnostic, FixEdits]:
    """The fix of every fixable finding, re-derived from its file (fixes are not cached)."""
    by_path: dict[str, list[Diagnostic]] = defaultdict(list)
    for d in result.diagnostics:
        if d.fixable:
            by_path[d.path].append(d)
    found: dict[Diagnostic, FixEdits] = {}
    for path in by_path:
        text = result.texts.get(path)
        source = decode_source(path, text.encode("utf-8")) if text is not None else read_source(path)
        settings, project = result.context(path)
        if isinstance(source, Source) and settings is not None:
            from asyncsafe.fix import fix_edits

            found.update(fix_edits(source, settings, project))
    return found


def edit_json(edit: Edit) -> dict[str, Any]:
    return {
        "content": edit.content,
        "location": {"row": edit.line, "column": edit.column},
        "end_location": {"row": edit.end_line, "column": edit.end_column},
    }


def finding_json(d: Diagnostic, fix: FixEdits | None) -> dict[str, Any]:
    item = {**d.to_json(), "path": display_path(d.path)}  # JSON cannot hold an undecodable name's bytes
    item["url"] = rule_url(d.code)
    item["fix"] = None if fix is None else {
        "applicability": fix.applicability,
        "message": d.suggestion,
        "edits": [edit_json(edit) for edit in fix.edits],
    }
    return item


def error_json(error: FileError) -> dict[str, Any]:
    return {"path": display_path(error.path), "code": None, "error": error.reason, "message": f"could not be checked: {error.reason}"}


def _items(result: RunResult) -> list[dict[str, Any]]:
    found = fixes(result)
    return [finding_json(d, found.get(d)) for d in result.diagnostics] + [error_json(e) for e in result.errors]


def json_format(result: RunResult) -> str:
    return json.dumps(_items(result), indent=2) + "\n"


def json_lines(result: RunResult) -> str:
    return "".join(json.dumps(item) + "\n" for item in _items(result))


def pylint(result: RunResult) -> str:
    """``path:line: [CODE(name)] message``, pylint's parseable format (one line a finding)."""
    lines = [
        f"{escape(d.path)}:{d.line}: [{d.code}({TITLES[d.code][0] if d.code in TITLES else ''})] {escape(d.message)}"
        for d in result.diagnostics
    ]
    lines += [f"{escape(e.path)}:1: [E0001(could-not-check)] {escape(e.reason)}" for e in result.errors]
    return "".join(f"{line}\n" for line in lines)


def junit(result: RunResult) -> str:
    """JUnit XML: a test suite per file, a failing test case per finding (an erroring one per file
    that could not be checked); a clean run is one passing case."""
    suites = ET.Element("testsuites", name="asyncsafe")
    by_path: dict[str, list[Diagnostic]] = defaultdict(list)
    for d in result.diagnostics:
        by_path[d.path].append(d)
    for path, found in sorted(by_path.items()):
        suite = _suite(suites, path, len(found), failures=len(found))
        for d in found:
            case = ET.SubElement(suite, "testcase", name=f"{d.code} at {d.line}:{d.column}", classname=escape(path), line=str(d.line))
            failure = ET.SubElement(case, "failure", message=escape(d.message), type=d.code)
            failure.text = f"{escape(path)}:{d.line}:{d.column}: {d.code} {escape(d.message)}"
    for error in result.errors:
        suite = _suite(suites, error.path, 1, errors=1)
        case = ET.SubElement(suite, "testcase", name="could not be checked", classname=escape(error.path))
        ET.SubElement(case, "error", message=escape(error.reason), type="asyncsafe")
    if not by_path and not result.errors:
        suite = _suite(suites, "asyncsafe", 1)
        ET.SubElement(suite, "testcase", name="No findings", classname="asyncsafe")
    totals = Counter({"tests": 0, "failures": 0, "errors": 0})
    for suite in suites:
        totals.update({key: int(suite.get(key, "0")) for key in totals})
    suites.attrib.update({key: str(value) for key, value in totals.items()})
    ET.indent(suites)
    return '<?xml version="1.0" encoding="UTF-8"?>\n' + ET.tostring(suites, encoding="unicode") + "\n"


def _suite(parent: ET.Element, name: str, tests: int, failures: int = 0, errors: int = 0) -> ET.Element:
    return ET.SubElement(
        parent, "testsuite", name=escape(name), tests=str(tests), failures=str(failures), errors=str(errors)
    )


def gitlab(result: RunResult) -> str:
    """GitLab Code Quality (a CodeClimate subset). A fingerprint names the finding, not its line,
    so that moving code does not turn it into a new one: path, code, message and which
    occurrence of the three it is."""
    seen: Counter[tuple[str, str, str]] = Counter()
    issues = []
    for d in result.diagnostics:
        key = (d.path, d.code, d.message)
        seen[key] += 1
        issues.append({
            "description": f"{d.code} {d.message}",
            "check_name": d.code,
            "fingerprint": _fingerprint(*key, str(seen[key])),
            "severity": "major",
            "location": {"path": display_path(d.path), "lines": {"begin": d.line, "end": d.end_line}},
        })
    for error in result.errors:
        issues.append({
            "description": f"could not be checked: {error.reason}",
            "check_name": "asyncsafe-error",
            "fingerprint": _fingerprint(error.path, "error", error.reason),
            "severity": "blocker",
            "location": {"path": display_path(error.path), "lines": {"begin": 1}},
        })
    return json.dumps(issues, indent=2) + "\n"


def _fingerprint(*parts: str) -> str:
    return hashlib.sha256("\0".join(parts).encode("utf-8", "surrogateescape")).hexdigest()
