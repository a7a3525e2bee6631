"""The flake8 plugin, run through the real `flake8` executable, against the CLI's own findings."""

from __future__ import annotations

import ast
import json
import os
import re
import shutil
import subprocess
import sys
from collections import defaultdict
from pathlib import Path

import pytest
from conftest import FIXTURES, run_cli
from markers import SETTING, expected

FLAKE8_LINE = re.compile(r"^(?P<path>.+?):(?P<line>\d+):(?P<col>\d+): (?P<code>ASF\d{3}) (?P<message>.*)$")

Finding = tuple[str, int, int, str, str]


def run_flake8(*args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    beside = Path(sys.executable).parent / "flake8"
    executable = str(beside) if beside.exists() else shutil.which("flake8")
    assert executable, "flake8 is not installed (pip install -e '.[test]')"
    env = {**os.environ, "PYTHONDONTWRITEBYTECODE": "1"}
    return subprocess.run(
        [executable, *args], cwd=cwd, capture_output=True, text=True, env=env, timeout=300
    )


def flake8_findings(stdout: str) -> set[Finding]:
    found = set()
    for line in stdout.splitlines():
        match = FLAKE8_LINE.match(line)
        if match:
            found.add((
                os.path.normpath(match["path"]), int(match["line"]), int(match["col"]),
                match["code"], match["message"],
            ))
    return found


def cli_findings(cwd: Path, *paths: str) -> set[Finding]:
    result = run_cli("check", "--no-cache", "--format", "json", *(paths or (".",)), cwd=cwd)
    assert result.returncode in (0, 1), result.stderr
    return {
        (os.path.normpath(d["path"]), d["line"], d["column"], d["code"], d["message"])
        for d in json.loads(result.stdout)
    }


def write(directory: Path, name: str, text: str) -> Path:
    path = directory / name
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
    return path


# --- the fixtures, through both front ends -------------------------------------------------------


def toml_value(value: object) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (list, tuple)):
        return "[" + ", ".join(toml_value(v) for v in value) + "]"
    if isinstance(value, dict):
        return "{ " + ", ".join(f"{json.dumps(k)} = {toml_value(v)}" for k, v in value.items()) + " }"
    return json.dumps(value)


def unit_settings(unit: Path) -> tuple[tuple[str, str], ...]:
    """The `# settings:` header lines of a fixture file (or of every file in a fixture package)."""
    files = sorted(unit.rglob("*.py")) if unit.is_dir() else [unit]
    found: dict[str, str] = {}
    for file in files:
        for line in file.read_text(encoding="utf-8").splitlines():
            match = SETTING.match(line)
            if match:
                found[match["key"]] = toml_value(ast.literal_eval(match["value"]))
    return tuple(sorted(found.items()))


def fixture_groups() -> dict[tuple[tuple[str, str], ...], list[Path]]:
    groups: dict[tuple[tuple[str, str], ...], list[Path]] = defaultdict(list)
    for unit in sorted(FIXTURES.iterdir()):
        if unit.suffix == ".py" or (unit.is_dir() and any(unit.rglob("*.py"))):
            groups[unit_settings(unit)].append(unit)
    return groups


GROUPS = fixture_groups()


@pytest.mark.parametrize("settings", list(GROUPS), ids=lambda s: ",".join(f"{k}={v}" for k, v in s) or "defaults")
def test_flake8_reports_what_the_cli_reports_on_every_fixture(tmp_path: Path, settings: tuple[tuple[str, str], ...]) -> None:
    """Every rule on (opt-in included), each group of fixtures under its `# settings:` lines."""
    for unit in GROUPS[settings]:
        if unit.is_dir():
            shutil.copytree(unit, tmp_path / unit.name)
        else:
            shutil.copy(unit, tmp_path / unit.name)
    lines = ['select = ["ALL"]', *(f"{key} = {value}" for key, value in settings)]
    write(tmp_path, "pyproject.toml", "[tool.asyncsafe]\n" + "\n".join(lines) + "\n")
    from_cli = cli_findings(tmp_path)
    flake8 = run_flake8("--select", "ASF", "-j", "2", ".", cwd=tmp_path)
    assert flake8.returncode in (0, 1), flake8.stdout + flake8.stderr
    from_flake8 = flake8_findings(flake8.stdout)
    assert from_flake8 == from_cli, (
        f"only flake8: {sorted(from_flake8 - from_cli)}\nonly the CLI: {sorted(from_cli - from_flake8)}"
    )
    marked = sum(sum(expected(p.read_text(encoding="utf-8")).values()) for p in tmp_path.rglob("*.py"))
    assert len(from_flake8) == marked  # both agree with the fixtures' own markers


def test_columns_agree_after_wide_characters_and_tabs(tmp_path: Path) -> None:
    write(tmp_path, "wide.py", (
        "import time\n\n\nasync def view():\n"
        "    label = 'crème brûlée 🍮'; time.sleep(1)\n\n\n"
        "async def tabbed():\n\tif True: time.sleep(2)\n"
    ))
    from_flake8 = flake8_findings(run_flake8("--select", "ASF", "wide.py", cwd=tmp_path).stdout)
    assert from_flake8 == cli_findings(tmp_path, "wide.py")
    assert {(line, col) for _, line, col, _, _ in from_flake8} == {(5, 31), (9, 11)}  # code points, 1-based


# --- flake8 owns noqa, selection, per-file-ignores and its config files ----------------------------

SLEEPS = """\
import time


async def view():
    time.sleep(1)
    time.sleep(2)  # noqa: ASF301
    time.sleep(3)  # noqa
    time.sleep(4)  # noqa: E501
"""


def test_noqa_is_applied_by_flake8_not_by_the_plugin(tmp_path: Path) -> None:
    write(tmp_path, "views.py", SLEEPS)
    honoured = flake8_findings(run_flake8("--select", "ASF", "views.py", cwd=tmp_path).stdout)
    assert sorted(line for _, line, _, _, _ in honoured) == [5, 8]
    disabled = run_flake8("--select", "ASF", "--disable-noqa", "views.py", cwd=tmp_path)
    assert sorted(line for _, line, _, _, _ in flake8_findings(disabled.stdout)) == [5, 6, 7, 8]


def test_select_ignore_and_extend_select(tmp_path: Path) -> None:
    write(tmp_path, "views.py", "import os\nimport time\n\n\nasync def view(p):\n    time.sleep(1)\n    os.path.exists(p)\n")
    codes = {
        args: sorted(code for _, _, _, code, _ in flake8_findings(run_flake8(*args, "views.py", cwd=tmp_path).stdout))
        for args in [
            ("--select", "ASF"),
            ("--select", "E,ASF3"),
            ("--select", "ASF", "--ignore", "ASF301"),
            ("--select", "ASF", "--extend-select", "ASF390"),
            ("--select", "ASF390"),
        ]
    }
    assert codes == {
        ("--select", "ASF"): ["ASF301"],  # ASF390 is opt-in: only its full code enables it
        ("--select", "E,ASF3"): ["ASF301"],
        ("--select", "ASF", "--ignore", "ASF301"): [],
        ("--select", "ASF", "--extend-select", "ASF390"): ["ASF301", "ASF390"],
        ("--select", "ASF390"): ["ASF390"],
    }


@pytest.mark.parametrize("config", ["setup.cfg", "tox.ini", ".flake8"])
def test_flake8_config_files_apply(tmp_path: Path, config: str) -> None:
    write(tmp_path, "legacy.py", SLEEPS)
    write(tmp_path, "views.py", SLEEPS)
    write(tmp_path, config, "[flake8]\nselect = ASF\nper-file-ignores =\n    legacy.py: ASF301\n")
    found = flake8_findings(run_flake8(".", cwd=tmp_path).stdout)
    assert {path for path, *_ in found} == {"views.py"}
    write(tmp_path, config, "[flake8]\nselect = ASF\nasyncsafe-django-version = 1.0\n")
    bad = run_flake8(".", cwd=tmp_path)
    assert bad.returncode == 1
    assert "asyncsafe: --asyncsafe-django-version: expected a Django version" in bad.stdout


def test_asyncsafe_options_on_the_command_line(tmp_path: Path) -> None:
    write(tmp_path, "views.py", SLEEPS)
    good = run_flake8("--select", "ASF", "--asyncsafe-django-version", "4.2", "views.py", cwd=tmp_path)
    assert good.returncode == 1 and len(flake8_findings(good.stdout)) == 2, good.stdout + good.stderr
    bad = run_flake8("--select", "ASF", "--asyncsafe-django-version=2.0", "views.py", cwd=tmp_path)
    assert bad.returncode == 1 and "expected a Django version" in bad.stdout
    help_text = run_flake8("--help", cwd=tmp_path).stdout
    assert "--asyncsafe-django-version" in help_text


def test_tool_asyncsafe_is_read(tmp_path: Path) -> None:
    write(tmp_path, "views.py", "import os\nimport time\n\n\nasync def view(p):\n    time.sleep(1)\n    os.path.exists(p)\n")
    write(tmp_path, "pyproject.toml", '[tool.asyncsafe]\nignore = ["ASF301"]\nextend-select = ["ASF390"]\n')
    configured = flake8_findings(run_flake8("--select", "ASF", "views.py", cwd=tmp_path).stdout)
    assert sorted(code for *_, code, _ in configured) == ["ASF390"]
    write(tmp_path, "pyproject.toml", '[tool.asyncsafe]\nselect = ["ASF9"]\n')
    bad = run_flake8("--select", "ASF", "views.py", cwd=tmp_path)
    assert bad.returncode == 1 and "unknown rule code or prefix 'ASF9'" in bad.stdout


def test_project_index_is_built_once_per_process_not_per_file(tmp_path: Path) -> None:
    for number in range(16):
        write(tmp_path, f"app/m{number}.py", f"import time\n\n\nasync def view():\n    time.sleep({number})\n")
    write(tmp_path, "app/__init__.py", "")
    serial = run_flake8("-v", "-j", "1", "--select", "ASF", ".", cwd=tmp_path)
    parallel = run_flake8("-v", "-j", "2", "--select", "ASF", ".", cwd=tmp_path)
    assert len(flake8_findings(serial.stdout)) == 16
    assert flake8_findings(parallel.stdout) == flake8_findings(serial.stdout)
    assert serial.stderr.count("asyncsafe: project index built") == 1
    assert 1 <= parallel.stderr.count("asyncsafe: project index built") <= 3  # main + 2 workers at most


def test_stdin_as_editors_use_it(tmp_path: Path) -> None:
    beside = Path(sys.executable).parent / "flake8"
    result = subprocess.run(
        [str(beside), "--select", "ASF", "--stdin-display-name", "views.py", "-"],
        input=SLEEPS, cwd=tmp_path, capture_output=True, text=True, timeout=300,
    )
    assert sorted(line for _, line, _, _, _ in flake8_findings(result.stdout)) == [5, 8]
