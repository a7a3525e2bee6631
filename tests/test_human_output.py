"""The output a person reads, through the real console script: a code frame by default, colors on a
terminal (NO_COLOR / FORCE_COLOR / --color), concise, statistics, show-fixes, exit-status options,
and code read from stdin."""

from __future__ import annotations

import os
import pty
import subprocess
from pathlib import Path

import pytest

from conftest import console_script, run_cli

VIEW = """\
import time

import requests


async def view(request):
    time.sleep(1)
    requests.get("https://example.com")
    time.sleep(2)
"""
FULL = {"ASYNCSAFE_OUTPUT_FORMAT": ""}  # the default, as a user gets it
ESC = "\x1b["


@pytest.fixture
def tree(tmp_path: Path) -> Path:
    (tmp_path / "views.py").write_text(VIEW, encoding="utf-8")
    return tmp_path


def test_default_output_is_a_code_frame_with_caret_suggestion_and_fixability(tree: Path) -> None:
    result = run_cli("check", "--no-cache", "views.py", cwd=tree, env=FULL)
    assert result.returncode == 1
    blocks = result.stdout.split("\n\n")
    assert blocks[0] == (
        "views.py:7:5: ASF301 time.sleep() sleeps the whole thread, so no other request on this worker "
        "runs meanwhile; use 'await asyncio.sleep(...)'\n"
        "  |\n"
        "7 |     time.sleep(1)\n"
        "  |     ^^^^^^^^^^^^^\n"
        "  = suggestion: 'await asyncio.sleep(...)'\n"
        "  = fixable with --fix"
    )
    assert "8 |     requests.get(\"https://example.com\")\n  |     ^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^\n" in blocks[1]
    assert "  = not fixable automatically" in blocks[1]
    assert blocks[-1] == "Found 3 findings in 1 file (1 file checked).\n2 fixable with --fix.\n"
    assert ESC not in result.stdout  # not a terminal


def test_concise_and_its_aliases_print_one_line_a_finding(tree: Path) -> None:
    outputs = {
        run_cli("check", "--no-cache", *option, "views.py", cwd=tree, env=FULL).stdout
        for option in (["--output-format", "concise"], ["--format", "concise"], ["--format", "text"])
    }
    assert len(outputs) == 1
    lines = outputs.pop().splitlines()
    assert [line.split(": ")[0] for line in lines[:3]] == ["views.py:7:5", "views.py:8:5", "views.py:9:5"]
    assert lines[3] == "Found 3 findings in 1 file (1 file checked)."


@pytest.mark.parametrize(
    ("options", "environ", "colored"),
    [
        ([], {"FORCE_COLOR": "1"}, True),
        ([], {"FORCE_COLOR": "1", "NO_COLOR": "1"}, False),
        (["--color", "never"], {"FORCE_COLOR": "1"}, False),
        (["--color", "always"], {"NO_COLOR": "1"}, True),
        ([], {}, False),
    ],
)
def test_colors_follow_color_no_color_and_force_color(
    tree: Path, options: list[str], environ: dict[str, str], colored: bool
) -> None:
    clean = {"NO_COLOR": "", "FORCE_COLOR": "", **FULL, **environ}
    result = run_cli("check", "--no-cache", *options, "views.py", cwd=tree, env=clean)
    assert (ESC in result.stdout) is colored
    if colored:
        assert f"{ESC}1;31mASF301{ESC}0m" in result.stdout


def test_a_terminal_gets_colors_and_a_file_never_does(tree: Path) -> None:
    leader, follower = pty.openpty()
    env = {**os.environ, **FULL, "NO_COLOR": "", "FORCE_COLOR": ""}
    process = subprocess.Popen(
        [console_script(), "check", "--no-cache", "views.py"], cwd=tree, stdout=follower, stderr=follower, env=env
    )
    os.close(follower)
    output = b""
    while True:
        try:
            chunk = os.read(leader, 65536)
        except OSError:
            break
        if not chunk:
            break
        output += chunk
    os.close(leader)
    assert process.wait(timeout=300) == 1
    assert ESC.encode() in output
    written = run_cli("check", "--no-cache", "--color", "always", "--output-file", "out.txt", "views.py", cwd=tree, env=FULL)
    assert written.returncode == 1
    assert ESC not in (tree / "out.txt").read_text(encoding="utf-8")


def test_statistics_are_sorted_with_fixable_counts(tree: Path) -> None:
    result = run_cli("check", "--no-cache", "--statistics", "-q", "views.py", cwd=tree)
    assert result.stdout.splitlines() == [
        "2  ASF301  [2 fixable]  time.sleep() inside async code",
        "1  ASF304               a sync HTTP client call inside async code",
    ]


def test_show_fixes_lists_what_fix_rewrote(tree: Path) -> None:
    result = run_cli("check", "--no-cache", "--fix", "--show-fixes", "views.py", cwd=tree)
    assert "Fixes applied:\n- views.py:\n    2 x ASF301 (blocking-sleep)\n" in result.stdout
    assert "Fixed 2 findings in 1 file." in result.stdout


def test_exit_zero_and_exit_non_zero_on_fix(tree: Path) -> None:
    assert run_cli("check", "--no-cache", "--exit-zero", "views.py", cwd=tree).returncode == 0
    (tree / "sleepy.py").write_text("import time\n\n\nasync def f():\n    time.sleep(1)\n", encoding="utf-8")
    fixed = run_cli("check", "--no-cache", "--fix", "--exit-non-zero-on-fix", "sleepy.py", cwd=tree)
    assert fixed.returncode == 1 and "All checks passed" in fixed.stdout
    again = run_cli("check", "--no-cache", "--fix", "--exit-non-zero-on-fix", "sleepy.py", cwd=tree)
    assert again.returncode == 0
    (tree / "broken.py").write_text("async def f(:\n", encoding="utf-8")
    assert run_cli("check", "--no-cache", "--exit-zero", "broken.py", cwd=tree).returncode == 2


def test_stdin_with_a_file_name_uses_its_config_and_its_project(tmp_path: Path) -> None:
    (tmp_path / "pyproject.toml").write_text(
        '[tool.asyncsafe]\nper-file-ignores = { "shop/admin.py" = ["ASF3"] }\n', encoding="utf-8"
    )
    shop = tmp_path / "shop"
    shop.mkdir()
    (shop / "__init__.py").write_text("", encoding="utf-8")
    (shop / "models.py").write_text(
        "from django.db import models\n\n\nclass Book(models.Model):\n    title = models.CharField(max_length=9)\n",
        encoding="utf-8",
    )
    code = "import time\n\nfrom .models import Book\n\n\nasync def view(pk):\n    time.sleep(1)\n    return Book.objects.get(pk=pk)\n"
    result = run_cli("check", "--no-cache", "-", "--stdin-filename", "shop/views.py", cwd=tmp_path, stdin=code)
    assert result.returncode == 1, result.stderr
    assert [line.split(" ")[:2] for line in result.stdout.splitlines()[:2]] == [
        ["shop/views.py:7:5:", "ASF301"], ["shop/views.py:8:12:", "ASF101"],
    ]
    ignored = run_cli("check", "--no-cache", "-", "--stdin-filename", "shop/admin.py", cwd=tmp_path, stdin=code)
    assert "ASF301" not in ignored.stdout and "ASF101" in ignored.stdout
    assert not (shop / "views.py").exists()  # nothing written


def test_stdin_fix_prints_the_fixed_code_and_reports_on_stderr(tmp_path: Path) -> None:
    code = "import time\n\n\nasync def f():\n    time.sleep(1)\n"
    result = run_cli("check", "--no-cache", "--fix", "-", cwd=tmp_path, stdin=code)
    assert result.stdout == "import asyncio\n\n\nasync def f():\n    await asyncio.sleep(1)\n"
    assert "Fixed 1 finding in 1 file." in result.stderr
    assert result.returncode == 0
    plain = run_cli("check", "--no-cache", "-", cwd=tmp_path, stdin=code, env=FULL)
    assert plain.stdout.startswith("-:5:5: ASF301 ")
    assert "5 |     time.sleep(1)\n" in plain.stdout


def test_an_unknown_format_in_the_environment_is_a_usage_error(tree: Path) -> None:
    result = run_cli("check", "--no-cache", "views.py", cwd=tree, env={"ASYNCSAFE_OUTPUT_FORMAT": "fancy"})
    assert result.returncode == 2
    assert result.stderr.startswith("error: ASYNCSAFE_OUTPUT_FORMAT: unknown format 'fancy' (choose from ")
