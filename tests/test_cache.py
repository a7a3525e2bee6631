"""The cache returns exactly what a cold run returns, and re-checks only what a change can affect.

Every step runs the real CLI twice, with the cache and with ``--no-cache``, and the two outputs
must be equal. Which results the manifest reused is read from the manifest itself: a result keeps
the generation it was computed at.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import textwrap
from pathlib import Path

import pytest
from conftest import run_cli

MODELS = """\
from django.db import models


class Book(models.Model):
    title = models.CharField(max_length=100)
"""
VIEWS = """\
from app.helpers import load


async def view(request):
    return load()
"""
ORM_VIEW = """\
from app.models import Book


async def detail(request, pk):
    return Book.objects.get(pk=pk)
"""
SLEEPY = """\
import time


async def nap():
    time.sleep(1)
"""
CLEAN_HELPER = "def load():\n    return 1\n"
BLOCKING_HELPER = "import time\n\n\ndef load():\n    time.sleep(1)\n"


def project(root: Path) -> None:
    files = {
        "pyproject.toml": "[tool.asyncsafe]\n",
        "app/__init__.py": "",
        "app/models.py": MODELS,
        "app/helpers.py": CLEAN_HELPER,
        "app/views.py": VIEWS,
        "app/orm_views.py": ORM_VIEW,
        "app/sleepy.py": SLEEPY,
    }
    for name, text in files.items():
        (root / name).parent.mkdir(parents=True, exist_ok=True)
        (root / name).write_text(text, encoding="utf-8")


def cached_equals_cold(root: Path) -> str:
    cached = run_cli("check", "-q", "--jobs", "1", cwd=root)
    cold = run_cli("check", "-q", "--no-cache", "--jobs", "1", cwd=root)
    assert cached.returncode in (0, 1), cached.stderr
    assert (cached.stdout, cached.returncode) == (cold.stdout, cold.returncode)
    return cached.stdout


def generations(root: Path) -> dict[str, int]:
    """Checked file (relative) -> the generation its stored result was computed at."""
    (manifest,) = (root / ".asyncsafe_cache").glob("*/manifest-*.json")
    signature, body = manifest.read_bytes().split(b"\n", 1)
    assert signature.startswith(b"asyncsafe-cache-1 ")
    results = json.loads(body)["results"]
    return {os.path.relpath(path, root).replace(os.sep, "/"): entry[1] for path, entry in results.items()}


def edit(path: Path, text: str) -> None:
    path.write_text(text, encoding="utf-8")
    stat = path.stat()  # a same-size edit within the clock's resolution must still count
    os.utime(path, ns=(stat.st_atime_ns, stat.st_mtime_ns + 1_000_000_000))


def test_warm_run_reuses_every_result(tmp_path: Path) -> None:
    project(tmp_path)
    first = cached_equals_cold(tmp_path)
    assert "ASF301" in first and "ASF101" in first
    before = generations(tmp_path)
    assert set(before) == {"app/views.py", "app/orm_views.py", "app/sleepy.py"}
    assert cached_equals_cold(tmp_path) == first
    assert generations(tmp_path) == before


def test_a_changed_helper_invalidates_its_dependents_only(tmp_path: Path) -> None:
    project(tmp_path)
    assert "app/views.py" not in cached_equals_cold(tmp_path)
    before = generations(tmp_path)
    edit(tmp_path / "app/helpers.py", BLOCKING_HELPER)
    output = cached_equals_cold(tmp_path)
    assert "app/views.py:5:12: ASF601" in output
    after = generations(tmp_path)
    assert after["app/views.py"] > before["app/views.py"]
    assert after["app/sleepy.py"] == before["app/sleepy.py"]  # never read helpers.py
    edit(tmp_path / "app/helpers.py", CLEAN_HELPER)
    assert "app/views.py" not in cached_equals_cold(tmp_path)


def test_own_content_change_invalidates(tmp_path: Path) -> None:
    project(tmp_path)
    cached_equals_cold(tmp_path)
    edit(tmp_path / "app/sleepy.py", SLEEPY.replace("time.sleep(1)", "await asyncio.sleep(1)"))
    assert "app/sleepy.py" not in cached_equals_cold(tmp_path)


def test_a_touched_but_unchanged_file_is_not_rechecked(tmp_path: Path) -> None:
    project(tmp_path)
    cached_equals_cold(tmp_path)
    before = generations(tmp_path)
    for name in ("app/helpers.py", "app/sleepy.py"):
        edit(tmp_path / name, (tmp_path / name).read_text(encoding="utf-8"))
    cached_equals_cold(tmp_path)
    assert generations(tmp_path) == before


def test_model_scans_invalidate_only_when_what_they_extract_changes(tmp_path: Path) -> None:
    """The model index scans every file's class names as text: a body edit elsewhere keeps the
    ORM view's result; a new class named like the view's model does not."""
    project(tmp_path)
    cached_equals_cold(tmp_path)
    before = generations(tmp_path)
    edit(tmp_path / "app/sleepy.py", SLEEPY + "\n\ndef unrelated():\n    return 2\n")
    cached_equals_cold(tmp_path)
    assert generations(tmp_path)["app/orm_views.py"] == before["app/orm_views.py"]
    edit(tmp_path / "app/sleepy.py", SLEEPY + "\n\nclass Book:\n    pass\n")
    cached_equals_cold(tmp_path)
    assert generations(tmp_path)["app/orm_views.py"] > before["app/orm_views.py"]


def test_config_change_invalidates(tmp_path: Path) -> None:
    project(tmp_path)
    assert "ASF301" in cached_equals_cold(tmp_path)
    (tmp_path / "pyproject.toml").write_text(
        textwrap.dedent("""\
            [tool.asyncsafe]
            ignore = ["ASF301"]
            """),
        encoding="utf-8",
    )
    assert "ASF301" not in cached_equals_cold(tmp_path)


def test_a_new_file_is_checked(tmp_path: Path) -> None:
    project(tmp_path)
    cached_equals_cold(tmp_path)
    (tmp_path / "app/late.py").write_text(SLEEPY, encoding="utf-8")
    assert "app/late.py:5:5: ASF301" in cached_equals_cold(tmp_path)


def test_a_corrupt_manifest_is_a_cold_run(tmp_path: Path) -> None:
    project(tmp_path)
    first = cached_equals_cold(tmp_path)
    for manifest in (tmp_path / ".asyncsafe_cache").glob("*/manifest-*.json"):
        manifest.write_text("{not json", encoding="utf-8")
    assert cached_equals_cold(tmp_path) == first


def test_cached_paths_follow_the_working_directory(tmp_path: Path) -> None:
    """Results are stored per file, not per spelling: run from elsewhere, paths are as given."""
    project(tmp_path)
    cached_equals_cold(tmp_path)
    from_parent = run_cli("check", "-q", "--jobs", "1", tmp_path.name, cwd=tmp_path.parent)
    assert f"{tmp_path.name}/app/sleepy.py:5:5: ASF301" in from_parent.stdout


def test_two_concurrent_runs_agree_and_leave_a_usable_cache(tmp_path: Path) -> None:
    import subprocess

    from conftest import console_script

    project(tmp_path)
    for index in range(10):  # enough files for the process pool
        (tmp_path / f"app/extra{index}.py").write_text(SLEEPY, encoding="utf-8")
    command = [console_script(), "check", "-q"]
    runs = [subprocess.Popen(command, cwd=tmp_path, stdout=subprocess.PIPE, text=True) for _ in range(2)]
    outputs = [run.communicate(timeout=300)[0] for run in runs]
    cold = run_cli("check", "-q", "--no-cache", cwd=tmp_path).stdout
    assert outputs == [cold, cold]
    assert cached_equals_cold(tmp_path) == cold
    assert not list((tmp_path / ".asyncsafe_cache").rglob(".tmp-*"))  # no torn writes left behind


FIXTURES = Path(__file__).parent / "fixtures"
RETURN = re.compile(r"^(?P<indent>[ \t]+)return\b", re.MULTILINE)


def make_blocking(text: str) -> str:
    """Every ``return`` now sleeps first: sync helpers start to block, async bodies too."""
    return "import time as _bench_time\n" + RETURN.sub(r"\g<indent>_bench_time.sleep(0)\n\g<0>", text)


CLASS = re.compile(r"^class (\w+)", re.MULTILINE)


def rename_classes(text: str) -> str:
    """Every top-level class gets another name: what other modules import from it is gone."""
    return CLASS.sub(r"class \1Renamed", text)


@pytest.mark.parametrize("package", ["transitive_project", "cl", "django_orm"])
def test_cached_results_track_every_edit_of_a_real_project(tmp_path: Path, package: str) -> None:
    """Differential: edit each module in turn (helpers start blocking, then are restored), and
    after every edit the cached run must equal a cold run."""
    root = tmp_path / "proj"
    shutil.copytree(FIXTURES / package, root / package)
    (root / "pyproject.toml").write_text("[tool.asyncsafe]\n", encoding="utf-8")
    before = cached_equals_cold(root)
    spread = 0  # edits that changed what another file reports: the dependency cases
    for module in sorted((root / package).rglob("*.py")):
        original = module.read_text(encoding="utf-8")
        mine = str(module.relative_to(root))
        # Renaming classes matters where models live; sleeping helpers matter everywhere.
        for mutate in (make_blocking, rename_classes) if module.stem == "models" else (make_blocking,):
            if mutate(original) == original:
                continue
            edit(module, mutate(original))
            after = cached_equals_cold(root)
            spread += _others(after, mine) != _others(before, mine)
            edit(module, original)
            assert cached_equals_cold(root) == before
    assert spread, "no edit reached another file: the test would not see a missed dependency"


def _others(output: str, path: str) -> list[str]:
    return [line for line in output.splitlines() if not line.startswith(path)]
