"""``# noqa`` means the same to ``asyncsafe check`` as to the real flake8 (one table of spellings run
through both), file-level ``# flake8: noqa`` / ``# asyncsafe: noqa[: codes]``, and ``--add-noqa``."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from conftest import FIXTURES, run_cli

# Every spelling is put after a `time.sleep()` (ASF301) in an async def.
SPELLINGS = [
    "# noqa",
    "#noqa",
    "#  noqa",
    "# NOQA",
    "# NoQa",
    "# noqa:ASF301",
    "# noqa: ASF301",
    "# noqa:  ASF301",
    "# noqa: asf301",
    "# NOQA: ASF301",
    "# noqa: ASF3",
    "# noqa: ASF",
    "# noqa : ASF304",
    "# noqa: E501",
    "# noqa: E501,ASF301",
    "# noqa: E501 ASF301",
    "# noqa:E501, ASF301",
    "# noqa: ASF304",
    "# noqa: ASF304 because vendored",
    "# noqa: ASF301 because vendored",
    "# noqa-ish",
    "# noqa:ASF301 # and a comment",
    "# type: ignore # noqa: ASF301",
    "# type: ignore  #noqa: ASF301",
    "# not a noqa: ASF301",
    "#noqa:ASF301",
    "# noqa:,ASF301",
    "# noqa:ASF301,,ASF304",
]

# flake8 reads the noqa of all the lines a multi-line token (a string) spans, but a call's
# bracketed lines each on their own: only the second of these is silenced.
MULTI_LINE = '''\
    time.sleep(
        1)  # noqa: ASF301
    time.sleep(1) + len("""
    """)  # noqa: ASF301
    time.sleep(  # noqa: ASF304
        2)
'''


def table_file(tmp_path: Path) -> Path:
    body = "".join(f"    time.sleep({n})  {spelling}\n" for n, spelling in enumerate(SPELLINGS))
    path = tmp_path / "table.py"
    path.write_text(f"import time\n\n\nasync def view():\n{body}{MULTI_LINE}", encoding="utf-8")
    return path


def cli_rows(tmp_path: Path, name: str) -> list[int]:
    result = run_cli("check", "--no-cache", "--format", "json", name, cwd=tmp_path)
    assert result.returncode in (0, 1), result.stderr
    return sorted(d["line"] for d in json.loads(result.stdout))


def flake8_rows(tmp_path: Path, name: str) -> list[int]:
    result = subprocess.run(
        [sys.executable, "-m", "flake8", "--select", "ASF", "--format", "%(row)d", name],
        cwd=tmp_path, capture_output=True, text=True, timeout=300,
    )
    assert result.returncode in (0, 1), result.stderr
    return sorted(int(row) for row in result.stdout.split())


def test_every_noqa_spelling_means_the_same_to_the_cli_and_to_flake8(tmp_path: Path) -> None:
    table_file(tmp_path)
    cli, flake8 = cli_rows(tmp_path, "table.py"), flake8_rows(tmp_path, "table.py")
    assert cli == flake8
    reported = {SPELLINGS[row - 5] for row in cli if row - 5 < len(SPELLINGS)}
    # The spellings people get wrong, pinned to flake8's reading:
    assert {"#noqa", "#  noqa", "# noqa: asf301", "# noqa: ASF304", "# not a noqa: ASF301"} <= reported
    assert not {"# noqa", "# NoQa", "# noqa:ASF301", "# noqa: ASF3", "# noqa: ASF", "# noqa : ASF304"} & reported
    multi_line_first = 5 + len(SPELLINGS)
    assert [row for row in cli if row >= multi_line_first] == [multi_line_first, multi_line_first + 4]


FILE_LEVEL = {
    "# flake8: noqa": [],
    "# flake8: noqa: E501": [],  # flake8 ignores the codes and skips the whole file
    "# FLAKE8= NOQA": [],
    "#flake8: noqa": [5, 6],
    "x = 1  # flake8: noqa": [5, 6],  # not alone on its line: not a file-level noqa
    "# asyncsafe: noqa": [],
    "# asyncsafe: noqa: ASF301": [6],
    "# asyncsafe: noqa: asf3": [],
    "# asyncsafe: noqa: ASF304,ASF301": [],
    "x = 1  # asyncsafe: noqa": [5, 6],
}


@pytest.mark.parametrize(("comment", "expected"), list(FILE_LEVEL.items()))
def test_file_level_noqa_in_the_cli_and_in_flake8(tmp_path: Path, comment: str, expected: list[int]) -> None:
    (tmp_path / "f.py").write_text(
        f"{comment}\nimport time\nimport requests\n\nasync def v():\n    time.sleep(1)\n    requests.get('x')\n",
        encoding="utf-8",
    )
    rows = [row - 1 for row in cli_rows(tmp_path, "f.py")]  # rows 6, 7 -> 5, 6 for readability
    assert rows == expected
    assert [row - 1 for row in flake8_rows(tmp_path, "f.py")] == expected


def test_add_noqa_silences_every_finding_for_both_front_ends_and_is_idempotent(tmp_path: Path) -> None:
    tree = tmp_path / "fixtures"
    shutil.copytree(FIXTURES, tree)
    before = run_cli("check", "--no-cache", "--format", "json", ".", cwd=tree)
    count = len(json.loads(before.stdout))
    assert count > 100
    added = run_cli("check", "--no-cache", "--add-noqa", ".", cwd=tree)
    assert added.returncode == 0, added.stdout + added.stderr
    assert f"Added {count} noqa directives to " in added.stdout
    after = run_cli("check", "--no-cache", ".", cwd=tree)
    assert after.returncode == 0, after.stdout
    flake8 = subprocess.run(
        [sys.executable, "-m", "flake8", "--select", "ASF", "."], cwd=tree, capture_output=True, text=True, timeout=600
    )
    assert flake8.returncode == 0, flake8.stdout
    again = run_cli("check", "--no-cache", "--add-noqa", ".", cwd=tree)
    assert "Added 0 noqa directives to 0 files." in again.stdout
    for path in tree.rglob("*.py"):
        compile(path.read_text(encoding="utf-8"), str(path), "exec")


def test_add_noqa_merges_with_existing_noqa_and_avoids_strings(tmp_path: Path) -> None:
    path = tmp_path / "v.py"
    path.write_text(
        "import time\nimport requests\n\n\nasync def v():\n"
        "    time.sleep(1)  # noqa: E501\n"
        "    time.sleep(2)  # a comment\n"
        '    x = requests.get("""a\n""") + str(time.sleep(3))\n'
        "    requests.get(  # NOQA:E501 because\n        'y')\n"
        "    return x\n",
        encoding="utf-8",
    )
    result = run_cli("check", "--no-cache", "--add-noqa", "v.py", cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    assert path.read_text(encoding="utf-8") == (
        "import time\nimport requests\n\n\nasync def v():\n"
        "    time.sleep(1)  # noqa: E501, ASF301\n"
        "    time.sleep(2)  # a comment  # noqa: ASF301\n"
        '    x = requests.get("""a\n""") + str(time.sleep(3))  # noqa: ASF301, ASF304\n'
        "    requests.get(  # noqa: E501, ASF304 because\n        'y')\n"
        "    return x\n"
    )
    assert flake8_rows(tmp_path, "v.py") == []


def test_add_noqa_cannot_be_combined_with_fix(tmp_path: Path) -> None:
    result = run_cli("check", "--add-noqa", "--fix", ".", cwd=tmp_path)
    assert result.returncode == 2
    assert result.stderr.strip() == "error: --add-noqa cannot be combined with --fix or --diff"
