"""The hooks in .pre-commit-hooks.yaml, installed and run by the real `pre-commit try-repo`.

try-repo clones this checkout at HEAD (plus staged and modified tracked files, when there are
any) and pip-installs it into a fresh virtualenv, exactly as a user's pre-commit would; on a
clean CI clone that is the committed code. Each call builds its own environment (pip caches
make that a few seconds), so the calls are few.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent

BAD = """\
import time


async def view(request):
    time.sleep(1)
"""

GOOD = """\
import asyncio


async def view(request):
    await asyncio.sleep(1)
"""


def pre_commit() -> str:
    beside = Path(sys.executable).parent / "pre-commit"
    found = str(beside) if beside.exists() else shutil.which("pre-commit")
    assert found, "pre-commit is not installed (pip install -e '.[test]')"
    return found


def git(*args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(["git", *args], cwd=cwd, capture_output=True, text=True, check=True)


@pytest.fixture(scope="module")
def consumer(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A user's repository with one bad file, one good file and a non-Python file."""
    try:
        git("rev-parse", "HEAD", cwd=ROOT)
    except (subprocess.CalledProcessError, FileNotFoundError):
        pytest.skip("not a git checkout with a commit: try-repo needs one")
    repo = tmp_path_factory.mktemp("consumer")
    git("init", "-q", cwd=repo)
    (repo / "bad.py").write_text(BAD, encoding="utf-8")
    (repo / "fixme.py").write_text(BAD, encoding="utf-8")
    (repo / "good.py").write_text(GOOD, encoding="utf-8")
    (repo / "notes.txt").write_text(BAD, encoding="utf-8")  # not Python: never handed to the hook
    git("add", ".", cwd=repo)
    return repo


def try_repo(consumer: Path, hook: str, *files: str) -> subprocess.CompletedProcess[str]:
    """Run ``hook`` on ``files`` (no files: on every file git tracks)."""
    home = consumer.parent / f"{consumer.name}-pre-commit-home"
    env = {**os.environ, "PRE_COMMIT_HOME": str(home), "PRE_COMMIT_COLOR": "never"}
    selection = ["--files", *files] if files else ["--all-files"]
    return subprocess.run(
        [pre_commit(), "try-repo", str(ROOT), hook, *selection],
        cwd=consumer, capture_output=True, text=True, env=env, timeout=600,
    )


def test_check_hook_passes_on_good_code_and_skips_non_python(consumer: Path) -> None:
    result = try_repo(consumer, "asyncsafe", "good.py", "notes.txt")
    assert result.returncode == 0, result.stdout + result.stderr
    assert "Passed" in result.stdout


def test_check_hook_fails_on_a_blocking_call(consumer: Path) -> None:
    result = try_repo(consumer, "asyncsafe", "bad.py", "good.py")
    assert result.returncode == 1, result.stdout + result.stderr
    assert "Failed" in result.stdout
    assert "bad.py:5:5: ASF301 " in result.stdout
    assert "good.py:" not in result.stdout
    assert (consumer / "bad.py").read_text(encoding="utf-8") == BAD  # the check hook writes nothing


def test_fix_hook_rewrites_the_file(consumer: Path) -> None:
    result = try_repo(consumer, "asyncsafe-fix", "fixme.py")
    assert result.returncode == 1, result.stdout + result.stderr  # pre-commit fails a hook that edits files
    assert "files were modified by this hook" in result.stdout
    fixed = (consumer / "fixme.py").read_text(encoding="utf-8")
    assert fixed == "import time\nimport asyncio\n\n\nasync def view(request):\n    await asyncio.sleep(1)\n"


def test_file_names_that_look_like_options_stay_file_names(tmp_path: Path) -> None:
    """pre-commit appends staged file names to the hook's entry: a file named like an option must
    not switch findings off (``--exclude=*.py``) or aim the report at a source file
    (``--output-file=app/views.py``). The entries end with ``--``."""
    repo = tmp_path / "hostile"
    repo.mkdir()
    git("init", "-q", cwd=repo)
    (repo / "app").mkdir()
    (repo / "app" / "views.py").write_text(BAD, encoding="utf-8")
    (repo / "--exclude=*.py").write_text(BAD, encoding="utf-8")
    (repo / "--output-file=app").mkdir()
    (repo / "--output-file=app" / "views.py").write_text(BAD, encoding="utf-8")
    git("add", ".", cwd=repo)
    files = ["--exclude=*.py", "--output-file=app/views.py", "app/views.py"]
    for hook in ("asyncsafe", "asyncsafe-fix"):
        result = try_repo(repo, hook)  # --all-files: pre-commit's own --files would parse them
        assert result.returncode == 1, result.stdout + result.stderr
        if hook == "asyncsafe":
            for name in files:
                assert f"{name}:5:5: ASF301 " in result.stdout, result.stdout
        assert not (repo / "views.py").exists()
        for name in files:  # fixed (asyncsafe-fix) or untouched, never a report
            text = (repo / name).read_text(encoding="utf-8")
            assert "ASF301" not in text and "async def view" in text, text
    assert "await asyncio.sleep(1)" in (repo / "--output-file=app" / "views.py").read_text(encoding="utf-8")
