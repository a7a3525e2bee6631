"""What a person reads is safe and actionable: control characters from file names and source
excerpts are escaped in every human-readable line (no GitHub workflow command can be injected),
--output-file is replaced in one step and its problems are usage errors, and wrong options say
which command they belong to."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from conftest import run_cli

HOSTILE_NAME = "a\n::error::pwned.py"
# An excerpt holding a CR (legal inside a triple-quoted string) and an ESC sequence.
HOSTILE_VIEW = (
    "from .models import Book\n\n"
    "async def view(request):\n"
    '    first = [b for b in Book.objects.filter(t="""\r::x""")]\n'
    '    second = [b for b in Book.objects.filter(t="\x1b[2J")]\n'
    "    return first, second\n"
)
MODELS = "from django.db import models\n\nclass Book(models.Model):\n    t = models.CharField(max_length=9)\n"


@pytest.fixture
def hostile(tmp_path: Path) -> Path:
    shop = tmp_path / "shop"
    shop.mkdir()
    (shop / "__init__.py").write_text("")
    (shop / "models.py").write_text(MODELS)
    (shop / HOSTILE_NAME).write_text(HOSTILE_VIEW, newline="")
    (shop / "b\r::error::broken.py").write_text("async def broken(:\n")
    return tmp_path


def assert_inert(output: str) -> None:
    """Nothing a GitHub runner or a terminal would obey: no CR, no ESC, no line starting '::'."""
    assert "\r" not in output and "\x1b" not in output
    assert not [line for line in output.split("\n") if line.startswith("::")], output


def test_text_output_and_stderr_escape_file_names_and_excerpts(hostile: Path) -> None:
    result = run_cli("check", "--no-cache", ".", cwd=hostile)
    assert result.returncode == 2  # the broken file
    assert_inert(result.stdout)
    assert_inert(result.stderr)
    assert 'shop/a\\n::error::pwned.py:4:' in result.stdout
    assert 'Book.objects.filter(t="""\\r::x""")' in result.stdout
    assert 'Book.objects.filter(t="\\x1b[2J")' in result.stdout
    assert "shop/b\\r::error::broken.py: error: syntax error" in result.stderr
    assert len(result.stderr.splitlines()) == 1


def test_github_statistics_and_fix_output_are_escaped_too(hostile: Path) -> None:
    github = run_cli("check", "--no-cache", "--format", "github", ".", cwd=hostile).stdout
    assert "\r" not in github and "\x1b" not in github
    lines = github.splitlines()
    assert len(lines) == 3 and all(line.startswith("::error file=shop/") for line in lines), lines
    for options in (["--statistics"], ["--fix"]):
        result = run_cli("check", "--no-cache", *options, ".", cwd=hostile)
        assert_inert(result.stdout)
        assert_inert(result.stderr)


def test_a_diff_escapes_its_file_names_and_no_line_starts_a_workflow_command(hostile: Path) -> None:
    """The diff's body is the patch (code as it is, so that it applies); every line of it starts
    with ' ', '+', '-' or '@', so a CR in the code cannot start a line with '::'."""
    diff = run_cli("check", "--no-cache", "--diff", ".", cwd=hostile)
    assert "--- shop/a\\n::error::pwned.py\n+++ shop/a\\n::error::pwned.py\n" in diff.stdout
    assert not [line for line in diff.stdout.splitlines() if line.startswith("::")]
    assert_inert(diff.stderr)


def test_flake8_messages_escape_excerpts(hostile: Path) -> None:
    result = subprocess.run(
        [sys.executable, "-m", "flake8", "--select", "ASF", "shop/models.py", f"shop/{HOSTILE_NAME}"],
        cwd=hostile, capture_output=True, text=True, timeout=300,
    )
    assert "ASF102" in result.stdout, result.stdout + result.stderr
    assert "\x1b" not in result.stdout and '"""\r' not in result.stdout


# --- --output-file ---------------------------------------------------------------------------------


def findings_tree(tmp_path: Path) -> Path:
    (tmp_path / "views.py").write_text("import time\n\nasync def f():\n    time.sleep(1)\n")
    return tmp_path


def test_output_file_is_replaced_in_one_step_and_kept_when_the_run_fails(tmp_path: Path) -> None:
    tree = findings_tree(tmp_path)
    report = tmp_path / "report.json"
    report.write_text("previous report\n")
    os.link(report, tmp_path / "old-report-link")
    result = run_cli("check", "--no-cache", "--format", "json", "--output-file", "report.json", "views.py", cwd=tree)
    assert result.returncode == 1, result.stderr
    assert '"ASF301"' in report.read_text()
    # A new file took the name (temp + rename): the old inode was never truncated or rewritten.
    assert (tmp_path / "old-report-link").read_text() == "previous report\n"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["old-report-link", "report.json", "views.py"]
    (tmp_path / "pyproject.toml").write_text("[tool.asyncsafe]\nselect = 3\n")
    failed = run_cli("check", "--no-cache", "--output-file", "report.json", "views.py", cwd=tree)
    assert failed.returncode == 2
    assert '"ASF301"' in report.read_text()  # the failed run left the last report whole


@pytest.mark.parametrize(
    ("target", "reason"),
    [
        ("/dev/full", "No space left on device"),
        (".", "is a directory"),
        ("missing-dir/report.txt", "its directory does not exist"),
    ],
)
def test_an_unwritable_output_file_is_one_usage_error_line(tmp_path: Path, target: str, reason: str) -> None:
    if target == "/dev/full" and not os.path.exists("/dev/full"):
        pytest.skip("no /dev/full here")
    tree = findings_tree(tmp_path)
    result = run_cli("check", "--no-cache", "--output-file", target, "views.py", cwd=tree)
    assert result.returncode == 2
    assert result.stdout == ""
    assert result.stderr.splitlines() == [
        f"error: --output-file {target}: cannot write the report: {reason}"
    ]


def test_output_file_dev_stdout_is_written_in_place(tmp_path: Path) -> None:
    tree = findings_tree(tmp_path)
    result = run_cli("check", "--no-cache", "-q", "--output-file", "/dev/stdout", "views.py", cwd=tree)
    assert result.returncode == 1 and "ASF301" in result.stdout, result.stderr


# --- options -----------------------------------------------------------------------------------------


@pytest.mark.parametrize("value", ["", ",", " "])
def test_an_empty_select_is_an_error_not_a_silent_pass(tmp_path: Path, value: str) -> None:
    tree = findings_tree(tmp_path)
    result = run_cli("check", "--no-cache", "--select", value, "views.py", cwd=tree)
    assert result.returncode == 2
    assert "asyncsafe check: error: argument --select: an empty rule code selects nothing" in result.stderr


def test_an_unknown_option_after_check_prints_checks_usage(tmp_path: Path) -> None:
    result = run_cli("check", "--bogus", ".", cwd=tmp_path)
    assert result.returncode == 2
    assert result.stderr.startswith("usage: asyncsafe check ")
    assert result.stderr.rstrip().endswith("asyncsafe check: error: unrecognized arguments: --bogus")
    hostile = run_cli("check", "--x\r::error::y", ".", cwd=tmp_path)
    assert "\r" not in hostile.stderr and "unrecognized arguments: --x\\r::error::y" in hostile.stderr


def test_rules_are_aligned_with_one_opt_in_marker() -> None:
    lines = run_cli("rules").stdout.splitlines()
    starts = set()
    for line in lines:
        code, name, summary = line[:6], line[8:].split(" ", 1)[0], line
        assert line.startswith(f"{code}  {name} "), line
        starts.add(len(line) - len(line[8 + len(name):].lstrip(" ")))
        assert summary.lower().count("opt-in") <= 1, line
    assert len(starts) == 1, starts
