"""target-version: files are parsed for the project's Python, not the interpreter's (CI runs
3.11; these files use 3.12 syntax), and a project file that cannot be parsed is never dropped
without a word. Through the real CLI."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from conftest import run_cli

HELPERS = '''import time

type Seconds = float


def pause[T](value: T, delay: Seconds = 1.0) -> T:
    time.sleep(delay)
    return value


def label(data: dict[str, str]) -> str:
    return f"{data["name"]} ({data["kind"]})"
'''
VIEWS = '''import time

from app.helpers import pause


class Box[T]:
    def __init__(self, item: T) -> None:
        self.item = item


async def view(request):
    data = {"name": "x"}
    time.sleep(1)
    pause(data)
    return f"{data["name"]}"
'''
WANT = [("app/views.py", 13, "ASF301"), ("app/views.py", 14, "ASF601")]


def project(root: Path, requires: str | None = None, target: str | None = None) -> Path:
    lines = ['[project]\nname = "typed"\n']
    if requires:
        lines.append(f'requires-python = "{requires}"\n')
    if target:
        lines.append(f'[tool.asyncsafe]\ntarget-version = "{target}"\n')
    (root / "pyproject.toml").write_text("".join(lines), encoding="utf-8")
    (root / "app").mkdir(exist_ok=True)
    (root / "app/__init__.py").write_text("", encoding="utf-8")
    (root / "app/helpers.py").write_text(HELPERS, encoding="utf-8")
    (root / "app/views.py").write_text(VIEWS, encoding="utf-8")
    return root


def check(root: Path, *args: str):
    result = run_cli("check", "--no-cache", "--format", "json", *args, cwd=root)
    assert "Traceback" not in result.stderr, result.stderr
    return result


def found(result) -> list[tuple[str, int, str]]:
    # JSON lists files that could not be checked too, as items without a code.
    return [(d["path"], d["line"], d["code"]) for d in json.loads(result.stdout) if d["code"] is not None]


@pytest.mark.parametrize(
    ("requires", "target", "args"),
    [
        (None, "py312", ()),  # configured
        (">=3.12", None, ()),  # from requires-python
        (None, None, ()),  # nothing says: the newest the parser knows
        (None, None, ("--target-version", "py313")),
    ],
)
def test_python_312_syntax_is_analyzed_fully(tmp_path: Path, requires, target, args) -> None:
    result = check(project(tmp_path, requires, target), *args, ".")
    assert result.returncode == 1, result.stderr
    assert result.stderr == ""
    assert found(result) == WANT


def test_older_target_is_one_clear_line_per_file(tmp_path: Path) -> None:
    project(tmp_path, ">=3.11")
    result = check(tmp_path, ".")
    assert result.returncode == 2
    assert found(result) == []
    lines = sorted(result.stderr.splitlines())
    assert [line.split(":")[0] for line in lines] == ["app/views.py"], lines
    assert "for Python 3.11 (target-version py311)" in lines[0]
    both = check(tmp_path, "--target-version", "py311", "app/views.py", "app/helpers.py")
    assert sorted(line.split(": error: ")[0] for line in both.stderr.splitlines()) == [
        "app/helpers.py", "app/views.py"
    ]
    assert all("for Python 3.11 (target-version py311)" in line for line in both.stderr.splitlines())


def test_show_settings_names_the_target(tmp_path: Path) -> None:
    project(tmp_path, ">=3.12,<4")
    result = run_cli("check", "--show-settings", "app/views.py", cwd=tmp_path)
    assert f"target-version: py312  (requires-python in {tmp_path / 'pyproject.toml'})" in result.stdout


def test_deep_nesting_is_still_refused_when_libcst_decides(tmp_path: Path) -> None:
    """A file with newer syntax than the interpreter skips CPython's parser: the nesting bound
    must hold without it (libcst's native parser would crash the process)."""
    (tmp_path / "deep.py").write_text(
        "type X = int\n\n\nasync def view(a):\n    x = a" + " and a" * 8_000 + "\n", encoding="utf-8"
    )
    (tmp_path / "parens.py").write_text(
        "type X = int\n\n\nasync def view(a):\n    x = " + "(" * 1_000 + "a" + ")" * 1_000 + "\n", encoding="utf-8"
    )
    result = run_cli("check", "--no-cache", "-q", "--target-version", "py312", ".", cwd=tmp_path)
    assert result.returncode == 2, result.stderr
    assert sorted(result.stderr.splitlines()) == [
        "deep.py: error: too deeply nested to analyze", "parens.py: error: too deeply nested to analyze"
    ]


# --- no silent drops ---------------------------------------------------------------------------
def test_unparsable_helper_is_a_warning_and_counted(tmp_path: Path) -> None:
    project(tmp_path, ">=3.12")
    broken = tmp_path / "app/helpers.py"
    broken.write_text(HELPERS + "\n\ndef broken(:\n    pass\n", encoding="utf-8")
    result = run_cli("check", "--no-cache", "app/views.py", cwd=tmp_path)
    assert result.returncode == 1, result.stderr
    [warning] = result.stderr.splitlines()
    assert warning.startswith("app/helpers.py: warning: syntax error at line 16")
    assert "not read for project facts" in warning
    assert "1 project file could not be parsed for facts" in result.stdout
    named = run_cli("check", "--no-cache", "-q", "app/views.py", "app/helpers.py", cwd=tmp_path)
    assert named.returncode == 2
    assert named.stderr.startswith("app/helpers.py: error: syntax error at line 16")


def test_unparsable_module_with_async_code_is_an_error(tmp_path: Path) -> None:
    project(tmp_path, ">=3.12")
    (tmp_path / "app/helpers.py").write_text(HELPERS + "\n\nasync def later(:\n    pass\n", encoding="utf-8")
    result = run_cli("check", "--no-cache", "-q", "app/views.py", cwd=tmp_path)
    assert result.returncode == 2
    assert result.stderr.startswith("app/helpers.py: error: syntax error at line 16")


def test_the_warning_comes_back_on_a_cached_run(tmp_path: Path) -> None:
    project(tmp_path, ">=3.12")
    (tmp_path / "app/helpers.py").write_text(HELPERS + "\n\ndef broken(:\n    pass\n", encoding="utf-8")
    runs = [run_cli("check", "-q", "app/views.py", cwd=tmp_path) for _ in range(2)]
    assert runs[0].stderr == runs[1].stderr != ""
    assert runs[0].stdout == runs[1].stdout
