"""Output formats through the console script: json, github annotations, SARIF 2.1.0 (validated
against the published schema), --output-file."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import jsonschema
import pytest
from conftest import run_cli

from asyncsafe.rules.registry import all_rules

SCHEMA = Path(__file__).resolve().parent / "schemas" / "sarif-schema-2.1.0.json"

VIEWS = """\
import subprocess
import time


async def view(request):
    time.sleep(1)
    subprocess.run(["ls"])
"""


@pytest.fixture
def project(tmp_path: Path) -> Path:
    (tmp_path / "app").mkdir()
    (tmp_path / "app" / "views.py").write_text(VIEWS, encoding="utf-8")
    (tmp_path / "app" / "broken.py").write_text("async def f(:\n", encoding="utf-8")
    return tmp_path


def sarif_of(project: Path, *paths: str) -> dict[str, Any]:
    result = run_cli("check", "--no-cache", "--format", "sarif", *(paths or ("app",)), cwd=project)
    assert result.returncode == 2, result.stderr  # findings, and one file that cannot be checked
    log: dict[str, Any] = json.loads(result.stdout)
    return log


def test_sarif_validates_against_the_published_schema(project: Path) -> None:
    log = sarif_of(project)
    schema = json.loads(SCHEMA.read_text(encoding="utf-8"))
    jsonschema.Draft4Validator.check_schema(schema)
    errors = sorted(jsonschema.Draft4Validator(schema).iter_errors(log), key=str)
    assert not errors, "\n".join(f"{list(e.absolute_path)}: {e.message}" for e in errors[:10])


def test_sarif_describes_every_rule_from_the_registry(project: Path) -> None:
    driver = sarif_of(project)["runs"][0]["tool"]["driver"]
    assert driver["name"] == "asyncsafe"
    described = {rule["id"]: rule for rule in driver["rules"]}
    registry = all_rules()
    assert list(described) == list(registry)
    sleep = described["ASF301"]
    spec = registry["ASF301"]
    assert sleep["name"] == spec.name
    assert sleep["shortDescription"]["text"] == spec.summary
    assert "suspends the whole thread" in sleep["fullDescription"]["text"]
    assert sleep["help"]["text"] == spec.explanation()
    assert "await asyncio.sleep(0.5)" in sleep["help"]["markdown"]
    assert described["ASF390"]["defaultConfiguration"]["enabled"] is False


def test_sarif_results_and_notifications(project: Path) -> None:
    run = sarif_of(project)["runs"][0]
    rules = run["tool"]["driver"]["rules"]
    results = run["results"]
    assert [(r["ruleId"], rules[r["ruleIndex"]]["id"]) for r in results] == [
        ("ASF301", "ASF301"), ("ASF302", "ASF302")
    ]
    sleep = results[0]
    assert sleep["locations"][0]["physicalLocation"] == {
        "artifactLocation": {"uri": "app/views.py", "uriBaseId": "%SRCROOT%"},
        "region": {"startLine": 6, "startColumn": 5, "endLine": 6, "endColumn": 18},
    }
    assert sleep["properties"] == {"suggestion": "'await asyncio.sleep(...)'", "fixable": "safe"}
    assert run["originalUriBaseIds"]["%SRCROOT%"]["uri"] == project.as_uri() + "/"
    invocation = run["invocations"][0]
    assert invocation["executionSuccessful"] is False
    [notification] = invocation["toolExecutionNotifications"]
    assert notification["message"]["text"].startswith("syntax error at line 1")
    assert notification["locations"][0]["physicalLocation"]["artifactLocation"]["uri"] == "app/broken.py"


def test_sarif_uses_file_uris_for_absolute_paths(project: Path) -> None:
    absolute = project / "app" / "views.py"
    result = run_cli("check", "--no-cache", "--format", "sarif", str(absolute), cwd=project)
    location = json.loads(result.stdout)["runs"][0]["results"][0]["locations"][0]
    assert location["physicalLocation"]["artifactLocation"] == {"uri": absolute.as_uri()}


def test_github_annotations(project: Path) -> None:
    (project / "app" / "odd, name: 100%.py").write_text(VIEWS, encoding="utf-8")
    result = run_cli("check", "--no-cache", "--format", "github", "app", cwd=project)
    assert result.returncode == 2
    lines = result.stdout.splitlines()
    assert (
        "::error file=app/odd%2C name%3A 100%25.py,line=6,col=5,endLine=6,endColumn=18,title=ASF301::"
        "time.sleep() sleeps the whole thread, so no other request on this worker runs meanwhile; "
        "use 'await asyncio.sleep(...)'"
    ) in lines
    assert sum(line.startswith("::error file=app/views.py,") for line in lines) == 2
    assert any(line.startswith("::error file=app/broken.py,title=asyncsafe::could not be checked: syntax error")
               for line in lines)
    assert all(line.startswith("::error ") for line in lines)


def test_json_carries_positions_suggestion_and_fixability(project: Path) -> None:
    result = run_cli("check", "--no-cache", "--format", "json", "app/views.py", cwd=project)
    assert result.returncode == 1
    sleep, run = json.loads(result.stdout)
    assert sleep == {
        "path": "app/views.py", "line": 6, "column": 5, "end_line": 6, "end_column": 18,
        "code": "ASF301", "message": sleep["message"], "suggestion": "'await asyncio.sleep(...)'",
        "fixable": "safe",
    }
    assert run["code"] == "ASF302" and run["fixable"] is None


@pytest.mark.parametrize("form", ["text", "json", "github", "sarif"])
def test_output_file_receives_the_report(project: Path, form: str) -> None:
    target = project / "report.out"
    result = run_cli("check", "--no-cache", "--format", form, "--output-file", str(target), "app/views.py", cwd=project)
    assert result.returncode == 1
    assert result.stdout == ""
    written = target.read_text(encoding="utf-8")
    assert "ASF301" in written
    if form in ("json", "sarif"):
        json.loads(written)


def test_text_summary_counts_what_fix_can_do(project: Path) -> None:
    result = run_cli("check", "--no-cache", "app/views.py", cwd=project)
    assert result.stdout.splitlines()[-2:] == [
        "Found 2 findings in 1 file (1 file checked).",
        "1 fixable with --fix.",
    ]
