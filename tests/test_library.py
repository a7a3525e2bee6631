"""ASF801/ASF890 through the real front ends: a fake library (tests/fixtures/library_env) installed
in a real virtualenv, summarized from its source, cached in a user cache directory."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from conftest import FIXTURES, console_script
from markers import expected

PROJECT = FIXTURES / "library_project"
SITE = FIXTURES / "library_env" / "site-packages"
VIEWS = PROJECT / "app" / "views.py"


@pytest.fixture(scope="module")
def venv(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A real virtualenv whose site-packages holds (a copy of) the fake library."""
    root = tmp_path_factory.mktemp("env")
    subprocess.run([sys.executable, "-m", "venv", "--without-pip", str(root / "venv")], check=True)
    site = next((root / "venv").glob("lib/python*/site-packages"), None) or root / "venv" / "Lib" / "site-packages"
    shutil.copytree(SITE, site, dirs_exist_ok=True)
    return root / "venv"


def python_of(venv: Path) -> str:
    return str(venv / ("Scripts/python.exe" if os.name == "nt" else "bin/python"))


def check(cwd: Path, *args: str, cache: Path, virtual_env: str | None = None) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if k != "VIRTUAL_ENV"}
    env.update({"ASYNCSAFE_USER_CACHE": str(cache), "PYTHONDONTWRITEBYTECODE": "1"})
    if virtual_env is not None:
        env["VIRTUAL_ENV"] = virtual_env
    return subprocess.run(
        [console_script(), "check", "--no-cache", "--format", "json", *args, "."],
        cwd=cwd, capture_output=True, text=True, env=env, timeout=300,
    )


def findings(result: subprocess.CompletedProcess[str]) -> list[tuple[str, int, str]]:
    assert result.returncode in (0, 1), result.stderr
    return sorted((Path(d["path"]).name, d["line"], d["code"]) for d in json.loads(result.stdout))


def project_copy(tmp_path: Path) -> Path:
    shutil.copytree(PROJECT, tmp_path / "project")
    return tmp_path / "project"


def test_findings_and_silences_match_the_policy(tmp_path: Path, venv: Path) -> None:
    root = project_copy(tmp_path)
    result = check(root, "--python", python_of(venv), "--extend-select", "ASF890", cache=tmp_path / "cache")
    want = sorted(("views.py", line, code) for (line, code), n in expected(VIEWS.read_text()).items())
    assert findings(result) == want


def test_messages_name_the_chain_into_the_library(tmp_path: Path, venv: Path) -> None:
    root = project_copy(tmp_path)
    result = check(root, "--python", python_of(venv), cache=tmp_path / "cache")
    messages = {d["line"]: d["message"] for d in json.loads(result.stdout)}
    assert messages[11].startswith(
        "fakelib.load() -> read_file() -> open() (fakelib/store.py:22 in fakelib 1.0) blocks the event loop"
    )
    assert "ASF890" not in result.stdout  # may-block findings are opt-in
    assert "build_index() -> fakelib.load()" in messages[27]


def test_a_second_run_reads_no_library_source(tmp_path: Path, venv: Path) -> None:
    """The summaries come from the user cache: with the library's source gone, nothing changes."""
    private = tmp_path / "venv"
    shutil.copytree(venv, private, symlinks=True)
    root = project_copy(tmp_path)
    cache = tmp_path / "cache"
    first = check(root, "--python", python_of(private), "--extend-select", "ASF890", cache=cache)
    assert [p.name.split("-asyncsafe-")[0] for p in (cache / "library").iterdir()] == ["fakelib-1.0"]
    for source in private.rglob("fakelib/**/*.py"):
        source.unlink()
    second = check(root, "--python", python_of(private), "--extend-select", "ASF890", cache=cache)
    assert findings(second) == findings(first) and len(findings(first)) >= 9
    fresh = check(root, "--python", python_of(private), cache=tmp_path / "empty")
    assert not [f for f in findings(fresh) if f[2] in ("ASF801", "ASF890")]  # the source is really gone


def test_environment_found_from_virtual_env_and_dot_venv(tmp_path: Path, venv: Path) -> None:
    root = project_copy(tmp_path)
    (root / "pyproject.toml").write_text("[tool.asyncsafe]\n", encoding="utf-8")
    by_variable = check(root, cache=tmp_path / "c1", virtual_env=str(venv))
    assert ("views.py", 11, "ASF801") in findings(by_variable)
    os.symlink(venv, root / ".venv")
    beside_config = check(root, cache=tmp_path / "c2")
    assert ("views.py", 11, "ASF801") in findings(beside_config)


def test_python_setting_in_pyproject_is_relative_to_it(tmp_path: Path, venv: Path) -> None:
    root = project_copy(tmp_path)
    os.symlink(venv, root / "env")
    (root / "pyproject.toml").write_text('[tool.asyncsafe]\npython = "env/bin/python"\n', encoding="utf-8")
    assert ("views.py", 12, "ASF801") in findings(check(root, cache=tmp_path / "cache"))


def test_without_the_library_installed_nothing_is_inferred(tmp_path: Path) -> None:
    root = project_copy(tmp_path)
    result = check(root, "--python", sys.executable, cache=tmp_path / "cache")
    assert [f for f in findings(result) if f[2].startswith("ASF8")] == []


def test_flake8_python_option(tmp_path: Path, venv: Path) -> None:
    root = project_copy(tmp_path)
    env = {**os.environ, "ASYNCSAFE_USER_CACHE": str(tmp_path / "cache")}
    result = subprocess.run(
        [sys.executable, "-m", "flake8", "--select", "ASF", "--asyncsafe-python", python_of(venv), "app"],
        cwd=root, capture_output=True, text=True, env=env, timeout=300,
    )
    assert "app/views.py:11:13: ASF801 fakelib.load() -> read_file() -> open()" in result.stdout, result.stderr
