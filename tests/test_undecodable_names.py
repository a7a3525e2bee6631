"""A ``.py`` whose name is not valid UTF-8 is checked like any other file, shown with
``backslashreplace`` (``bad\\xff.py``) exactly once per finding, in every output format."""

from __future__ import annotations

import json
import os
import subprocess
from pathlib import Path

import pytest
from conftest import console_script

BAD = b"import time\n\n\nasync def view(request):\n    time.sleep(1)\n"
NAME = b"bad\xff.py"
SHOWN = "bad\\xff.py"


def run(cwd: Path, *args: str) -> subprocess.CompletedProcess[bytes]:
    """Bytes out: what a terminal or a CI log receives, undecoded."""
    return subprocess.run(
        [console_script(), "check", "--no-cache", *args], cwd=cwd, capture_output=True, timeout=300,
        env={**os.environ, "PYTHONDONTWRITEBYTECODE": "1"},
    )


@pytest.fixture
def tree(tmp_path: Path) -> Path:
    (tmp_path / "pyproject.toml").write_text("", encoding="utf-8")
    with open(os.path.join(os.fsencode(tmp_path), NAME), "wb") as handle:
        handle.write(BAD)
    (tmp_path / "ok.py").write_bytes(BAD)
    return tmp_path


def test_text_output(tree: Path) -> None:
    result = run(tree, "-q")
    assert result.returncode == 1, result.stderr
    assert result.stderr == b""
    lines = result.stdout.decode("utf-8").splitlines()
    assert [line.split(" ")[0] for line in lines] == [f"{SHOWN}:5:5:", "ok.py:5:5:"]


@pytest.mark.parametrize("output_format", ["json", "github", "sarif"])
def test_every_format(tree: Path, output_format: str) -> None:
    result = run(tree, "--format", output_format)
    assert result.returncode == 1, result.stderr
    assert result.stderr == b""
    text = result.stdout.decode("utf-8")  # valid UTF-8, whatever the name's bytes
    if output_format == "json":
        assert [d["path"] for d in json.loads(text)] == [SHOWN, "ok.py"]
    elif output_format == "github":
        assert text.count(f"file={SHOWN},") == 1
    else:
        uris = [
            r["locations"][0]["physicalLocation"]["artifactLocation"]["uri"]
            for r in json.loads(text)["runs"][0]["results"]
        ]
        assert uris == ["bad%FF.py", "ok.py"]  # a URI names the bytes


def test_output_file_and_errors(tree: Path) -> None:
    with open(os.path.join(os.fsencode(tree), b"broken\xfe.py"), "wb") as handle:
        handle.write(b"async def (:\n")
    result = run(tree, "-q", "--output-file", "report.txt")
    assert result.returncode == 2
    assert result.stderr.decode("utf-8").startswith("broken\\xfe.py: error: syntax error")
    report = (tree / "report.txt").read_text(encoding="utf-8")
    assert report.count(SHOWN) == 1


def test_diff_and_fix(tree: Path) -> None:
    diff = run(tree, "--diff")
    assert diff.returncode == 1, diff.stderr
    assert f"--- {SHOWN}\n+++ {SHOWN}\n" in diff.stdout.decode("utf-8")
    fixed = run(tree, "--fix")
    assert fixed.returncode == 0, fixed.stdout + fixed.stderr
    with open(os.path.join(os.fsencode(tree), NAME), "rb") as handle:
        assert b"await asyncio.sleep(1)" in handle.read()
