"""Lines are counted as Python counts them (``\\r\\n``, ``\\r``, ``\\n``), never as ``str.splitlines``
does: a form feed, ``\\v``, ``\\x1c``-``\\x1e``, ``\\x85`` or U+2028/U+2029 in a comment or string must
not move a ``# noqa`` onto another line, shift positions, or make ``--fix`` rewrite the noqa line."""

from __future__ import annotations

from pathlib import Path

import pytest
from conftest import run_cli
from test_flake8 import run_flake8

ODD_BREAKS = ["\f", "\v", "\x1c", "\x1d", "\x1e", "\x85", "\u2028", "\u2029"]


def source(odd: str, newline: str = "\n", indent: str = "") -> str:
    lines = [
        "import time",
        "",
        "",
        "async def view():",
        f"    note = 'a{odd}b'  # c{odd}d",
        f"{indent}    time.sleep(1)  # noqa",
        "    time.sleep(2)",
        "",
    ]
    return newline.join(lines)


@pytest.mark.parametrize("odd", ODD_BREAKS, ids=[f"U+{ord(c):04X}" for c in ODD_BREAKS])
def test_noqa_and_positions_stay_on_their_line(odd: str, tmp_path: Path) -> None:
    path = tmp_path / "views.py"
    path.write_bytes(source(odd).encode("utf-8"))
    result = run_cli("check", "--no-cache", "-q", "views.py", cwd=tmp_path)
    assert result.returncode == 1, result.stderr
    assert [line.split(" ")[0] for line in result.stdout.splitlines()] == ["views.py:7:5:"]

    fixed = run_cli("check", "--no-cache", "--fix", "views.py", cwd=tmp_path)
    assert fixed.returncode == 0, fixed.stdout + fixed.stderr
    after = path.read_bytes().decode("utf-8")
    before_lines = source(odd).split("\n")
    after_lines = after.split("\n")
    assert "    time.sleep(1)  # noqa" in after_lines  # the noqa line is never rewritten
    assert "    await asyncio.sleep(2)" in after_lines
    assert len(after_lines) == len(before_lines) + 1  # only `import asyncio` was added
    assert after_lines[5] == before_lines[4]  # the odd characters stay as they were


@pytest.mark.parametrize("newline", ["\r\n", "\r"], ids=["CRLF", "CR"])
def test_old_line_endings_count_as_lines(newline: str, tmp_path: Path) -> None:
    (tmp_path / "views.py").write_bytes(source("\f", newline).encode("utf-8"))
    result = run_cli("check", "--no-cache", "-q", "views.py", cwd=tmp_path)
    assert [line.split(" ")[0] for line in result.stdout.splitlines()] == ["views.py:7:5:"]
    diff = run_cli("check", "--no-cache", "--diff", "views.py", cwd=tmp_path)
    if newline == "\r":  # libcst drops the last "\r" of such a file: fixing it is refused
        assert "fixes not applied, libcst does not reproduce this file" in diff.stderr
    else:
        assert "-    time.sleep(2)" in diff.stdout and "+    await asyncio.sleep(2)" in diff.stdout


def test_fix_refuses_a_file_libcst_cannot_reproduce(tmp_path: Path) -> None:
    """A form feed may start a line (Python resets the indent there); libcst drops it when it
    prints the tree again, so a fix would change a line it did not fix: refused."""
    text = source("\f", indent="\f")
    (tmp_path / "views.py").write_bytes(text.encode("utf-8"))
    result = run_cli("check", "--no-cache", "-q", "views.py", cwd=tmp_path)
    assert [line.split(" ")[0] for line in result.stdout.splitlines()] == ["views.py:7:5:"]
    fixed = run_cli("check", "--no-cache", "--fix", "views.py", cwd=tmp_path)
    assert fixed.returncode == 1, fixed.stdout + fixed.stderr
    assert "views.py: warning: fixes not applied" in fixed.stderr
    assert (tmp_path / "views.py").read_bytes() == text.encode("utf-8")


def test_diff_hunks_count_python_lines(tmp_path: Path) -> None:
    (tmp_path / "views.py").write_bytes(source("\u2028").encode("utf-8"))
    diff = run_cli("check", "--no-cache", "--diff", "views.py", cwd=tmp_path)
    assert diff.returncode == 1, diff.stderr
    # one hunk header per change; line numbers are the file's, not str.splitlines' count
    assert "@@ -1,7 +1,8 @@" in diff.stdout, diff.stdout


@pytest.mark.parametrize("odd", ODD_BREAKS, ids=[f"U+{ord(c):04X}" for c in ODD_BREAKS])
def test_flake8_reports_the_same_line(odd: str, tmp_path: Path) -> None:
    (tmp_path / "views.py").write_bytes(source(odd).encode("utf-8"))
    result = run_flake8("--select", "ASF", "views.py", cwd=tmp_path)
    assert [line.split(" ")[0] for line in result.stdout.splitlines()] == ["views.py:7:5:"], result.stdout + result.stderr
