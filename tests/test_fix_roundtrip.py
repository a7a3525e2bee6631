"""``--fix`` round trips on real sources (every fixture), byte-identity when nothing applies, and
an interrupted write (generated sources: tests/test_fuzz.py)."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from conftest import FIXTURES, run_cli
from roundtrip import roundtrip_problems

from asyncsafe.config import load_settings
from asyncsafe.engine.input.source import Source, read_source
from asyncsafe.fix import fix_source
from asyncsafe.run.runner import FixMode, run

SETTINGS = load_settings(None)
FIXTURE_FILES = sorted(FIXTURES.rglob("*.py"))


def test_every_fixture_round_trips() -> None:
    changed = 0
    for path in FIXTURE_FILES:
        source = read_source(str(path))
        assert isinstance(source, Source), source
        for unsafe in (False, True):
            assert roundtrip_problems(source, SETTINGS, unsafe=unsafe) == [], (path, unsafe)
        changed += fix_source(source, SETTINGS).change is not None
    assert changed >= 10  # the property held over files that really were rewritten


NO_FIX = {
    # findings without a certain rewrite, in files with odd bytes that must survive untouched
    "crlf.py": b"import requests\r\n\r\n\r\nasync def view(request):\r\n    requests.get('u')\r\n",
    "bom_latin.py": b"# -*- coding: latin-1 -*-\nimport requests\n\n\nasync def view(request):\n    x = '\xe9'\n    requests.get(x)\n",
    "bom.py": b"\xef\xbb\xbfimport requests\n\n\nasync def view(request):\n\trequests.get('u')  # \xc3\xa9\n",
    "clean.py": b"import asyncio\n\n\nasync def view(request):\n    await asyncio.sleep(1)\n",
}


def test_files_without_an_applicable_fix_stay_byte_identical(tmp_path: Path) -> None:
    for name, data in NO_FIX.items():
        (tmp_path / name).write_bytes(data)
    stamps = {name: os.stat(tmp_path / name).st_mtime_ns for name in NO_FIX}
    result = run_cli("check", "--no-cache", "-q", "--fix", cwd=tmp_path)
    assert result.returncode == 1 and result.stderr == "", result.stderr
    for name, data in NO_FIX.items():
        assert (tmp_path / name).read_bytes() == data, name
        assert os.stat(tmp_path / name).st_mtime_ns == stamps[name], name  # not even rewritten


SLEEPY = "import time\n\n\nasync def view(request):\n    time.sleep(1)\n"


@pytest.mark.parametrize("failure", [OSError(28, "No space left on device"), KeyboardInterrupt()])
def test_an_interrupted_write_leaves_the_original(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, failure: BaseException
) -> None:
    target = tmp_path / "views.py"
    target.write_text(SLEEPY, encoding="utf-8")

    def fail(source: object, destination: object) -> None:
        assert Path(str(source)).read_text(encoding="utf-8") != SLEEPY  # the new text was written
        raise failure

    monkeypatch.setattr(os, "replace", fail)
    if isinstance(failure, OSError):
        result = run([str(tmp_path)], SETTINGS, use_cache=False, jobs=1, fix=FixMode(write=True))
        assert [error.reason for error in result.errors] == ["cannot write the fix: No space left on device"]
        assert [d.code for d in result.diagnostics] == ["ASF301"]  # still reported, not fixed
        assert result.changes == []
    else:
        with pytest.raises(KeyboardInterrupt):
            run([str(tmp_path)], SETTINGS, use_cache=False, jobs=1, fix=FixMode(write=True))
    assert target.read_text(encoding="utf-8") == SLEEPY
    assert sorted(p.name for p in tmp_path.iterdir()) == ["views.py"]  # no temporary file left
