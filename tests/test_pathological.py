"""Pathological inputs through the installed console script.

Each ends with the right finding (its position taken from CPython's own parser, an independent
oracle) or one ``path: error: reason`` line, never a traceback, and a good file beside it is still
reported. tests/test_cli.py already covers syntax errors, bad encodings, NUL bytes, an explicit
unreadable file, a directory argument and a symlink loop met while walking.
"""

from __future__ import annotations

import ast
import os
from pathlib import Path

import pytest
from conftest import run_cli

GOOD = "import time\n\n\nasync def good(request):\n    time.sleep(1)\n"
GOOD_LINE = "zz_good.py:5:5: ASF301"


def sleep_position(data: bytes) -> tuple[int, int]:
    """Where CPython puts the ``time.sleep`` call (1-based column, in characters)."""
    tree = ast.parse(data)
    text_lines = data.decode(_encoding(data)).lstrip("\ufeff").splitlines()
    for node in ast.walk(tree):
        func = node.func if isinstance(node, ast.Call) else None
        if isinstance(func, ast.Attribute) and func.attr == "sleep" and isinstance(func.value, ast.Name):
            line = text_lines[node.lineno - 1].encode("utf-8")
            return node.lineno, len(line[: node.col_offset].decode("utf-8")) + 1
    raise AssertionError("no time.sleep call")


def _encoding(data: bytes) -> str:
    return "latin-1" if b"latin-1" in data[:100] else "utf-8"


def check(root: Path, *paths: str):
    result = run_cli("check", "--no-cache", "-q", *paths, cwd=root)
    assert "Traceback" not in result.stderr, result.stderr
    return result


def body(*lines: str, newline: str = "\n") -> bytes:
    return newline.join(lines).encode("utf-8") + newline.encode()


SLEEPY = ("import time", "", "", "async def view(request):", "    time.sleep(1)")
BIG_BLOB_LINES = 51_000  # 100 bytes each: past 5 MB

CASES: dict[str, bytes] = {
    "crlf.py": body(*SLEEPY, newline="\r\n"),
    "mixed.py": b"import time\r\n\n\r\nasync def view(request):\r    x = 1\n    time.sleep(1)\r\n",
    "bom.py": b"\xef\xbb\xbf" + body(*SLEEPY),
    "formfeed.py": b"import time\n\x0c\n\nasync def view(request):\n\x0c    time.sleep(1)\n\x0c\nasync def other():\n    pass\n",
    "tabs.py": b"import time\n\n\nasync def view(request):\n\tif request:\n\t\ttime.sleep(1)\n",
    "latin1.py": (
        b"# -*- coding: latin-1 -*-\nimport time\n\n\nasync def view(request):\n"
        b"    name = '\xe9t\xe9 \xe0 M\xfcnchen'\n    time.sleep(1)\n"
    ),
    "deep_sum.py": body(
        "import time", "", "", "async def view(request):",
        "    total = time.sleep(0) + " + " + ".join(["1"] * 1000),
    ),
    "deep_not.py": body("import time", "", "", "async def view(request):", "    flag = " + "not " * 1000 + "time.sleep(0)"),
    "deep_attr.py": body(
        "import time", "", "", "async def view(request):", "    value = request" + ".child" * 1000, "    time.sleep(1)"
    ),
    "deep_call.py": body(
        "import time", "", "", "async def view(make):", "    value = make" + "(1)" * 1000, "    time.sleep(1)"
    ),
    "deep_parens.py": body(
        "import time", "", "", "async def view(request):", "    value = " + "(" * 150 + "time.sleep(1)" + ")" * 150
    ),
    "long_function.py": body(
        "import time", "", "", "async def view(request):",
        *(f"    step_{i} = request.GET.get('k{i}', {i})" for i in range(10_000)),
        "    time.sleep(1)",
    ),
}


@pytest.mark.parametrize("name", sorted(CASES))
def test_odd_but_valid_files_get_the_right_finding(tmp_path: Path, name: str) -> None:
    data = CASES[name]
    (tmp_path / name).write_bytes(data)
    (tmp_path / "zz_good.py").write_text(GOOD, encoding="utf-8")
    line, column = sleep_position(data)
    result = check(tmp_path)
    assert result.returncode == 1, result.stderr
    assert result.stderr == ""
    found = [row.split(" ")[0] + " " + row.split(" ")[1] for row in result.stdout.splitlines()]
    assert found == [f"{name}:{line}:{column}: ASF301", GOOD_LINE]


def test_a_5_mb_generated_file(tmp_path: Path) -> None:
    lines = ["import time", "", 'BLOB = """', *("x" * 99 for _ in range(BIG_BLOB_LINES)), '"""', "", "TABLE = ["]
    lines += [f"    ({i}, 'row {i}', {i * 1.5})," for i in range(20_000)]
    lines += ["]", ""]
    for i in range(1_000):
        lines += [f"async def handler_{i}(request):", f"    return TABLE[{i}]", ""]
    lines += ["async def last(request):", "    time.sleep(1)", ""]
    data = "\n".join(lines).encode("utf-8")
    assert len(data) > 5_000_000
    (tmp_path / "big.py").write_bytes(data)
    (tmp_path / "zz_good.py").write_text(GOOD, encoding="utf-8")
    result = check(tmp_path)
    assert result.returncode == 1 and result.stderr == ""
    assert [row.split(" ")[0] for row in result.stdout.splitlines()] == [f"big.py:{len(lines) - 1}:5:", "zz_good.py:5:5:"]


TOO_DEEP = {
    # Past CPython's own limit: its parser refuses these, and libcst would crash on them.
    "sum_20k.py": "async def view():\n    x = " + " + ".join(["1"] * 20_000) + "\n",
    # Flat for CPython, 8,000 levels deep for libcst (whose native parser dies with SIGSEGV).
    "and_8k.py": "async def view(a):\n    x = a" + " and a" * 8_000 + "\n",
}


@pytest.mark.parametrize("name", sorted(TOO_DEEP))
def test_nesting_beyond_reach_is_one_line_and_the_run_goes_on(tmp_path: Path, name: str) -> None:
    (tmp_path / name).write_text(TOO_DEEP[name], encoding="utf-8")
    (tmp_path / "zz_good.py").write_text(GOOD, encoding="utf-8")
    result = check(tmp_path)
    assert result.returncode == 2
    assert result.stderr.splitlines() == [f"{name}: error: too deeply nested to analyze"]
    assert result.stdout.startswith(GOOD_LINE)


def test_libcst_parser_limits_are_not_called_syntax_errors(tmp_path: Path) -> None:
    # 5,000 implicitly concatenated strings: valid Python that libcst's parser refuses.
    (tmp_path / "strings.py").write_text("async def view():\n    x = " + " ".join(["'a'"] * 5_000) + "\n", encoding="utf-8")
    (tmp_path / "zz_good.py").write_text(GOOD, encoding="utf-8")
    result = check(tmp_path)
    assert result.returncode == 2
    [error] = result.stderr.splitlines()
    assert error.startswith("strings.py: error: could not parse (Python accepts this file, libcst does not): ")
    assert result.stdout.startswith(GOOD_LINE)


def test_odd_file_system_entries(tmp_path: Path) -> None:
    (tmp_path / "zz_good.py").write_text(GOOD, encoding="utf-8")
    (tmp_path / "pkg.py").mkdir()  # a directory named like a module is walked, not read
    (tmp_path / "pkg.py" / "inner.py").write_text(GOOD, encoding="utf-8")
    os.mkfifo(tmp_path / "fifo.py")
    (tmp_path / "dangling.py").symlink_to(tmp_path / "nowhere.py")
    (tmp_path / "loop.py").symlink_to(tmp_path / "loop.py")
    # Walking: entries that are not regular files are skipped; the run neither hangs nor fails.
    walked = check(tmp_path)
    assert walked.returncode == 1 and walked.stderr == ""
    assert [row.split(" ")[0] for row in walked.stdout.splitlines()] == ["pkg.py/inner.py:5:5:", "zz_good.py:5:5:"]
    # Named explicitly: one line each, and the rest of the run goes on.
    named = check(tmp_path, "fifo.py", "dangling.py", "loop.py", "pkg.py", "zz_good.py")
    assert named.returncode == 2
    assert sorted(named.stderr.splitlines()) == [
        "dangling.py: error: broken symbolic link",
        "fifo.py: error: not a regular file (a FIFO, socket or device); skipped",
        "loop.py: error: symbolic link loop",
    ]
    assert [row.split(" ")[0] for row in named.stdout.splitlines()] == ["pkg.py/inner.py:5:5:", "zz_good.py:5:5:"]


@pytest.mark.skipif(os.geteuid() == 0, reason="root reads any file")
def test_an_unreadable_file_met_while_walking(tmp_path: Path) -> None:
    locked = tmp_path / "locked.py"
    locked.write_text(GOOD, encoding="utf-8")
    locked.chmod(0)
    (tmp_path / "zz_good.py").write_text(GOOD, encoding="utf-8")
    try:
        result = check(tmp_path)
    finally:
        locked.chmod(0o644)
    assert result.returncode == 2
    assert result.stderr.splitlines() == ["locked.py: error: cannot read: Permission denied"]
    assert result.stdout.startswith(GOOD_LINE)


def test_a_named_fifo_does_not_hang_a_cached_run(tmp_path: Path) -> None:
    """The cache's manifest hashes files before anything else reads them: it must refuse a FIFO
    too, not wait for a writer (the run above is uncached)."""
    (tmp_path / "zz_good.py").write_text(GOOD, encoding="utf-8")
    os.mkfifo(tmp_path / "fifo.py")
    for _ in range(2):  # the first run writes the manifest, the second reads it
        result = run_cli("check", "-q", "fifo.py", "zz_good.py", cwd=tmp_path)
        assert result.returncode == 2 and "Traceback" not in result.stderr
        assert result.stderr.splitlines() == ["fifo.py: error: not a regular file (a FIFO, socket or device); skipped"]
        assert [row.split(" ")[0] for row in result.stdout.splitlines()] == ["zz_good.py:5:5:"]
