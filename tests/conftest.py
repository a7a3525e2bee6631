from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
FIXTURES = Path(__file__).resolve().parent / "fixtures"


def console_script() -> str:
    """The installed `asyncsafe` entry point, next to the running interpreter."""
    beside = Path(sys.executable).parent / "asyncsafe"
    found = str(beside) if beside.exists() else shutil.which("asyncsafe")
    if found is None:
        pytest.fail("the asyncsafe console script is not installed (pip install -e .)")
    return found


def run_cli(*args: str, cwd: Path | str | None = None, stdin: str | None = None) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "PYTHONDONTWRITEBYTECODE": "1"}
    return subprocess.run(
        [console_script(), *args],
        cwd=cwd,
        capture_output=True,
        text=True,
        input=stdin,
        env=env,
        timeout=300,
    )


@pytest.fixture(autouse=True, scope="session")
def private_user_cache(tmp_path_factory: pytest.TempPathFactory) -> None:
    """Every run in the suite signs its cache with a key kept here, never in ~/.cache."""
    os.environ["ASYNCSAFE_USER_CACHE_DIR"] = str(tmp_path_factory.mktemp("user-cache"))
    os.environ.pop("ASYNCSAFE_CACHE_DIR", None)


@pytest.fixture
def cli():
    return run_cli
