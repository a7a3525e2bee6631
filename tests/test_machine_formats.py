"""Formats a machine reads, through the console script, each checked by its schema or a real parser:
JSON (fix edits, rule anchors, file errors), JSON lines, JUnit (xml.etree), GitLab Code Quality
(its vendored schema), pylint, and SARIF fixes (the OASIS schema)."""

from __future__ import annotations

import json
import xml.etree.ElementTree as ET
from pathlib import Path
from typing import Any

import jsonschema

from conftest import run_cli
from test_report import VIEWS, project  # noqa: F401  (the same app/ tree: views.py and broken.py)

SCHEMAS = Path(__file__).resolve().parent / "schemas"
ROOT = Path(__file__).resolve().parent.parent

def output(project: Path, name: str) -> str:
    result = run_cli("check", "--no-cache", "--output-format", name, "app", cwd=project)
    assert result.returncode == 2, result.stderr  # findings, and a file that cannot be checked
    return result.stdout


def apply_edits(text: str, edits: list[dict[str, Any]]) -> str:
    """Apply whole-line edits (as a client would), last first."""
    lines = text.splitlines(keepends=True)
    for edit in sorted(edits, key=lambda e: e["location"]["row"], reverse=True):
        start, end = edit["location"]["row"] - 1, edit["end_location"]["row"] - 1
        assert edit["location"]["column"] == edit["end_location"]["column"] == 1
        lines[start:end] = [edit["content"]]
    return "".join(lines)


def test_json_carries_fix_edits_rule_anchors_and_file_errors(project: Path) -> None:
    items = json.loads(output(project, "json"))
    findings = [item for item in items if item["code"]]
    errors = [item for item in items if item["code"] is None]
    assert [e["path"] for e in errors] == ["app/broken.py"]
    assert errors[0]["error"].startswith("syntax error at line 1")
    sleep = next(f for f in findings if f["code"] == "ASF301")
    assert sleep["url"] == "docs/rules.md#asf301-blocking-sleep"
    anchor = sleep["url"].split("#")[1]
    assert f"## ASF301: blocking-sleep" in (ROOT / "docs" / "rules.md").read_text(encoding="utf-8")
    assert anchor == "asf301-blocking-sleep"
    assert sleep["fix"]["applicability"] == "safe"
    fixed = apply_edits(VIEWS, sleep["fix"]["edits"])
    assert "    await asyncio.sleep(1)\n" in fixed and fixed.startswith("import asyncio\nimport subprocess\n")
    compile(fixed, "fixed.py", "exec")
    run = next(f for f in findings if f["code"] == "ASF302")
    assert run["fix"] is None and run["url"] == "docs/rules.md#asf302-blocking-subprocess"


def test_json_lines_is_one_json_object_a_line_equal_to_json(project: Path) -> None:
    lines = output(project, "json-lines").splitlines()
    assert [json.loads(line) for line in lines] == json.loads(output(project, "json"))


def test_junit_parses_as_xml_with_a_failure_per_finding_and_an_error_per_file(project: Path) -> None:
    root = ET.fromstring(output(project, "junit"))
    assert root.tag == "testsuites"
    assert (root.get("tests"), root.get("failures"), root.get("errors")) == ("3", "2", "1")
    suites = {suite.get("name"): suite for suite in root.iter("testsuite")}
    failures = [case.find("failure") for case in suites["app/views.py"].iter("testcase")]
    assert [f.get("type") for f in failures if f is not None] == ["ASF301", "ASF302"]
    error = suites["app/broken.py"].find("testcase/error")
    assert error is not None and "syntax error" in (error.get("message") or "")
    clean = run_cli("check", "--no-cache", "--output-format", "junit", "app/__missing__.py", cwd=project)
    assert ET.fromstring(clean.stdout).get("errors") == "1"


def test_junit_is_valid_xml_even_with_control_characters_in_names(tmp_path: Path) -> None:
    (tmp_path / "a\x1b.py").write_text(VIEWS, encoding="utf-8")
    result = run_cli("check", "--no-cache", "--output-format", "junit", ".", cwd=tmp_path)
    root = ET.fromstring(result.stdout)
    assert {suite.get("name") for suite in root.iter("testsuite")} == {"a\\x1b.py"}


def test_gitlab_code_quality_validates_against_its_schema_with_stable_fingerprints(project: Path) -> None:
    report = json.loads(output(project, "gitlab"))
    schema = json.loads((SCHEMAS / "gitlab-code-quality.json").read_text(encoding="utf-8"))
    jsonschema.Draft7Validator.check_schema(schema)
    errors = list(jsonschema.Draft7Validator(schema).iter_errors(report))
    assert not errors, [e.message for e in errors]
    assert len({issue["fingerprint"] for issue in report}) == len(report) == 3
    # Moving the code down a line keeps every fingerprint (they name the finding, not the line).
    views = project / "app" / "views.py"
    views.write_text("\n" + VIEWS, encoding="utf-8")
    moved = json.loads(output(project, "gitlab"))
    assert {i["fingerprint"] for i in moved} == {i["fingerprint"] for i in report}
    assert [i["location"]["lines"]["begin"] for i in moved if i["check_name"] == "ASF301"] == [7]


def test_pylint_format(project: Path) -> None:
    lines = output(project, "pylint").splitlines()
    assert lines[0] == "app/views.py:6: [ASF301(blocking-sleep)] " + lines[0].split("] ", 1)[1]
    assert lines[-1].startswith("app/broken.py:1: [E0001(could-not-check)] syntax error")


def test_sarif_carries_fixes_and_still_validates(project: Path) -> None:
    log = json.loads(output(project, "sarif"))
    schema = json.loads((SCHEMAS / "sarif-schema-2.1.0.json").read_text(encoding="utf-8"))
    errors = sorted(jsonschema.Draft4Validator(schema).iter_errors(log), key=str)
    assert not errors, [e.message for e in errors[:5]]
    run = log["runs"][0]
    sleep = next(r for r in run["results"] if r["ruleId"] == "ASF301")
    replacements = sleep["fixes"][0]["artifactChanges"][0]["replacements"]
    inserted = [r["insertedContent"]["text"] for r in replacements]
    # `import asyncio` added, `import time` (left unused) removed, the call rewritten.
    assert inserted == ["import asyncio\n", "", "    await asyncio.sleep(1)\n"]
    assert "fixes" not in next(r for r in run["results"] if r["ruleId"] == "ASF302")
    notifications = run["invocations"][0]["toolExecutionNotifications"]
    assert [n["locations"][0]["physicalLocation"]["artifactLocation"]["uri"] for n in notifications] == ["app/broken.py"]
