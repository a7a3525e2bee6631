"""Issue 16, values across function boundaries, through the real CLI: the fixture package
tests/fixtures/flow is checked as a project; each new finding's message names where the value
came from (the helper's line, the chain) and what to do."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from conftest import run_cli
from markers import expected

FLOW = Path(__file__).resolve().parent / "fixtures" / "flow"


@pytest.fixture(scope="module")
def findings(tmp_path_factory: pytest.TempPathFactory) -> list[dict[str, object]]:
    root = tmp_path_factory.mktemp("flow")
    shutil.copytree(FLOW, root / "flow")
    (root / "pyproject.toml").write_text("[tool.asyncsafe]\n", encoding="utf-8")  # the project root
    result = run_cli("check", "flow", "--no-cache", "--select", "ALL", "--format", "json", cwd=root)
    assert result.returncode == 1, result.stderr
    return list(json.loads(result.stdout))


def _message(findings: list[dict[str, object]], module: str, snippet: str) -> str:
    lines = (FLOW / module).read_text(encoding="utf-8").splitlines()
    numbers = [n for n, line in enumerate(lines, start=1) if snippet in line]
    assert len(numbers) == 1, snippet
    found = [
        f for f in findings
        if f["path"] == f"flow/{module}" and f["line"] == numbers[0]
    ]
    assert len(found) == 1, found
    return f"{found[0]['code']} {found[0]['message']}"


def test_the_cli_reports_exactly_the_marked_lines(findings: list[dict[str, object]]) -> None:
    for path in sorted(FLOW.glob("*.py")):
        want = expected(path.read_text(encoding="utf-8"))
        got = {(f["line"], f["code"]) for f in findings if f["path"] == f"flow/{path.name}"}
        assert got == set(want), path.name


@pytest.mark.parametrize(
    ("module", "snippet", "words"),
    [
        ("views.py", "for row in rows:", ("ASF112", "sync_to_async returned unevaluated", "lambda: list(...)")),
        ("loading.py", "print(keeper_name(house))", ("ASF604", "keeper_name() reads 'house.keeper'", "flow/loading.py:7", "select_related('keeper')")),
        ("checks.py", "sync_to_async(check_quota))", ("ASF509", "run_checks() calls it as 'check(...)'", "flow/checks.py:15")),
        ("generators.py", "for batch in batches:", ("ASF605", "seed_batches() -> time.sleep()", "flow/generators.py:8")),
        ("managers.py", "with Shade():", ("ASF606", "Shade.__enter__() -> time.sleep()", "flow/managers.py:20")),
        ("coroutines.py", "counting = Plant.objects.acount()", ("ASF504", "only used as a value, never awaited")),
        ("coroutines.py", '{"plants": Plant.objects.acount()}', ("ASF507", "stored in a dict passed to render()")),
    ],
)
def test_messages_name_where_the_value_came_from(
    findings: list[dict[str, object]], module: str, snippet: str, words: tuple[str, ...]
) -> None:
    message = _message(findings, module, snippet)
    for word in words:
        assert word in message, message
