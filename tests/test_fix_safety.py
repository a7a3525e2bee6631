"""``--fix`` on files it should not replace, through the real CLI: it refuses (one line naming the
file and the reason, exit 2, the other files still fixed) rather than lose anything."""

from __future__ import annotations

import os
import stat
import subprocess
import sys
from pathlib import Path

import pytest
from conftest import console_script

BAD = "import time\n\n\nasync def view(request):\n    time.sleep(1)\n"
FIXED = "import time\nimport asyncio\n\n\nasync def view(request):\n    await asyncio.sleep(1)\n"


def fix(root: Path, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [console_script(), "check", "--no-cache", "--fix", "-q", "."], cwd=root, capture_output=True,
        text=True, timeout=300, env={**os.environ, "PYTHONDONTWRITEBYTECODE": "1", **(env or {})},
    )


@pytest.fixture
def root(tmp_path: Path) -> Path:
    (tmp_path / "pyproject.toml").write_text("", encoding="utf-8")
    (tmp_path / "other.py").write_text(BAD, encoding="utf-8")  # fixed whatever happens to views.py
    return tmp_path


def assert_refused(root: Path, reason: str) -> None:
    result = fix(root)
    assert result.returncode == 2, result.stdout + result.stderr
    assert result.stderr == f"views.py: error: {reason}; fix not applied, file left unchanged\n"
    assert result.stdout.startswith("views.py:5:5: ASF301 ")  # its findings are still reported
    assert (root / "other.py").read_text(encoding="utf-8") == FIXED


def test_a_hard_linked_file_is_not_split(root: Path) -> None:
    (root / "views.py").write_text(BAD, encoding="utf-8")
    os.link(root / "views.py", root / "linked_elsewhere.txt")
    assert_refused(root, "it has 2 hard links, which a rewrite would split")
    assert (root / "views.py").read_text(encoding="utf-8") == BAD
    assert os.path.samefile(root / "views.py", root / "linked_elsewhere.txt")


def test_a_read_only_file_is_left_alone(root: Path) -> None:
    (root / "views.py").write_text(BAD, encoding="utf-8")
    (root / "views.py").chmod(0o444)
    assert_refused(root, "it is read-only")
    assert (root / "views.py").read_text(encoding="utf-8") == BAD


@pytest.mark.skipif(not hasattr(os, "geteuid") or os.geteuid() != 0, reason="only root can own another user's file here")
def test_root_keeps_another_users_ownership_and_mode(root: Path) -> None:
    views = root / "views.py"
    views.write_text(BAD, encoding="utf-8")
    os.chown(views, 12345, 23456)
    views.chmod(0o640)
    result = fix(root)
    assert result.returncode == 0, result.stdout + result.stderr
    status = views.stat()
    assert (status.st_uid, status.st_gid, stat.S_IMODE(status.st_mode)) == (12345, 23456, 0o640)
    assert views.read_text(encoding="utf-8") == FIXED


SAVE_DURING_FSYNC = """\
import os

_target = os.environ["ASYNCSAFE_TEST_SAVE"]
_fsync = os.fsync


def fsync(descriptor):  # an editor saves the file while asyncsafe syncs its fix of that file
    _fsync(descriptor)
    written = os.readlink(f"/proc/self/fd/{descriptor}")
    if os.path.basename(written).startswith("." + os.path.basename(_target) + "."):
        with open(_target, "a", encoding="utf-8") as editor:
            editor.write("# saved by the editor\\n")


os.fsync = fsync
"""


@pytest.mark.skipif(not os.path.isdir("/proc/self/fd"), reason="names the synced file through /proc")
def test_an_editor_save_during_the_write_wins(root: Path, tmp_path_factory: pytest.TempPathFactory) -> None:
    views = root / "views.py"
    views.write_text(BAD, encoding="utf-8")
    hooks = tmp_path_factory.mktemp("hooks")
    (hooks / "sitecustomize.py").write_text(SAVE_DURING_FSYNC, encoding="utf-8")
    env = {"PYTHONPATH": os.pathsep.join([str(hooks), *sys.path]), "ASYNCSAFE_TEST_SAVE": str(views)}
    result = fix(root, env)
    assert result.returncode == 2, result.stdout + result.stderr
    assert "views.py: error: changed on disk while fixing; file left unchanged\n" in result.stderr
    assert views.read_text(encoding="utf-8") == BAD + "# saved by the editor\n"
    assert sorted(p.name for p in root.iterdir()) == ["other.py", "pyproject.toml", "views.py"]  # no temp file


def test_temp_files_of_a_killed_run_are_removed(root: Path) -> None:
    (root / "views.py").write_text(BAD, encoding="utf-8")
    (root / "notes.txt").write_text("", encoding="utf-8")
    leftovers = [".views.py.k3j_9x0a.asyncsafe", ".other.py.abcdefgh.asyncsafe"]
    kept = [
        ".views.py.asyncsafe",  # not a name mkstemp makes
        ".gone.py.abcdefgh.asyncsafe",  # no such file beside it
        ".notes.txt.abcdefgh.asyncsafe",  # not a Python file's
        ".views.py.ABCDEFGH.asyncsafe",  # not mkstemp's alphabet
    ]
    for name in leftovers + kept:
        (root / name).write_text("half a fix", encoding="utf-8")
    (root / ".other.py.zzzzzzzz.asyncsafe").symlink_to(root / "notes.txt")  # a link: never removed
    result = fix(root)
    assert result.returncode == 0, result.stdout + result.stderr
    names = {p.name for p in root.iterdir()}
    assert not names & set(leftovers)
    assert names >= {*kept, ".other.py.zzzzzzzz.asyncsafe", "notes.txt"}
    assert (root / "views.py").read_text(encoding="utf-8") == FIXED
