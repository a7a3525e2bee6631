"""An internal error in one rule (or in the engine) on one file costs that rule on that file only.

The CLI tests inject the failure with ``ASYNCSAFE_TEST_FAIL`` (see ``run/guard.py``), which goes
through the installed console script, the process pool and the real checker dispatch; the
in-process tests make a real checker method (or the walker) raise.
"""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import pytest
from conftest import run_cli

from asyncsafe import __version__
from asyncsafe.config import load_settings
from asyncsafe.engine.tree import walker
from asyncsafe.rules.django_orm import DjangoOrmChecker
from asyncsafe.run.runner import FixMode, run

MODELS = "from django.db import models\n\n\nclass Book(models.Model):\n    title = models.CharField(max_length=10)\n"
VIEW = (
    "import time\nfrom app.models import Book\n\n\n"
    "async def view(request):\n    time.sleep(1)\n    return Book.objects.get(pk=1)\n"
)
OTHER = "import time\n\n\nasync def other():\n    time.sleep(2)\n"
LINE = re.compile(
    r"^(?P<path>\S+): error: internal error in (?P<where>.+) \(asyncsafe (?P<version>[^)]+)\): "
    r"(?P<exception>\w+): .+; please report it$"
)


def project(root: Path, others: int = 1) -> Path:
    (root / "app").mkdir()
    (root / "app" / "__init__.py").write_text("", encoding="utf-8")
    (root / "app" / "models.py").write_text(MODELS, encoding="utf-8")
    (root / "app" / "views.py").write_text(VIEW, encoding="utf-8")
    for index in range(others):
        (root / "app" / f"other{index:02}.py").write_text(OTHER, encoding="utf-8")
    return root


def check(root: Path, monkeypatch: pytest.MonkeyPatch, fail: str | None, *args: str) -> subprocess.CompletedProcess[str]:
    if fail is None:
        monkeypatch.delenv("ASYNCSAFE_TEST_FAIL", raising=False)
    else:
        monkeypatch.setenv("ASYNCSAFE_TEST_FAIL", fail)
    return run_cli("check", "-q", *args, cwd=root)


def codes(stdout: str) -> list[str]:
    return sorted(f"{line.split(':')[0]}:{line.split()[1]}" for line in stdout.splitlines())


@pytest.mark.parametrize("jobs", ["1", "2"])
def test_a_failing_rule_is_one_line_and_the_other_rules_and_files_still_report(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, jobs: str
) -> None:
    root = project(tmp_path, others=9)  # enough files for the process pool with --jobs 2
    result = check(root, monkeypatch, "DjangoOrmChecker:views.py", "--no-cache", "--jobs", jobs)
    assert result.returncode == 2
    errors = result.stderr.splitlines()
    assert len(errors) == 1, result.stderr
    match = LINE.match(errors[0])
    assert match is not None, errors[0]
    assert match["path"] == "app/views.py"
    assert match["where"] == "ASF1xx checker DjangoOrmChecker"
    assert match["version"] == __version__ and match["exception"] == "InjectedFailure"
    # views.py keeps its ASF301 (another rule), loses only the ORM finding; the other files are whole.
    assert codes(result.stdout) == [f"app/other{i:02}.py:ASF301" for i in range(9)] + ["app/views.py:ASF301"]
    assert "Traceback" not in result.stderr


def test_verbose_prints_the_traceback(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    result = check(project(tmp_path), monkeypatch, "DjangoOrmChecker", "--no-cache", "--verbose")
    assert result.returncode == 2
    assert LINE.match(result.stderr.splitlines()[0])
    assert "Traceback (most recent call last)" in result.stderr
    assert "InjectedFailure: failure injected into on_call" in result.stderr


def test_an_engine_failure_on_one_file_leaves_the_others(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    result = check(project(tmp_path), monkeypatch, "engine:views.py", "--no-cache")
    assert result.returncode == 2
    errors = result.stderr.splitlines()
    assert len(errors) == 1 and LINE.match(errors[0]), result.stderr
    assert errors[0].startswith("app/views.py: error: internal error in the engine (asyncsafe ")
    assert codes(result.stdout) == ["app/other00.py:ASF301"]


def test_an_internal_error_is_not_cached(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    root = project(tmp_path)
    for _ in range(2):  # the second run must not serve a cached "clean" (or the error) for views.py
        assert check(root, monkeypatch, "DjangoOrmChecker:views.py").returncode == 2
    healthy = check(root, monkeypatch, None)
    assert healthy.returncode == 1 and healthy.stderr == ""
    assert codes(healthy.stdout) == ["app/other00.py:ASF301", "app/views.py:ASF101", "app/views.py:ASF301"]


def test_fix_leaves_a_file_alone_when_a_rule_failed_on_it(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    root = project(tmp_path)
    result = check(root, monkeypatch, "DjangoOrmChecker:views.py", "--no-cache", "--fix")
    assert result.returncode == 2
    assert (root / "app" / "views.py").read_text(encoding="utf-8") == VIEW
    assert "await asyncio.sleep(2)" in (root / "app" / "other00.py").read_text(encoding="utf-8")


def test_flake8_reports_asf000_and_goes_on(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    root = project(tmp_path)
    monkeypatch.setenv("ASYNCSAFE_TEST_FAIL", "DjangoOrmChecker:views.py")
    result = subprocess.run(
        [sys.executable, "-m", "flake8", "--select", "ASF", "app"],
        cwd=root, capture_output=True, text=True, timeout=300,
    )
    assert result.returncode == 1, result.stderr
    lines = sorted(result.stdout.splitlines())
    assert [line.split(": ")[0] + " " + line.split(": ")[1].split()[0] for line in lines] == [
        "app/other00.py:5:5 ASF301",
        "app/views.py:1:1 ASF000",
        "app/views.py:6:5 ASF301",
    ]
    assert "internal error in ASF1xx checker DjangoOrmChecker" in result.stdout
    assert "Traceback" not in result.stderr


# --- in process: a real checker method and the real walker raise -------------------------------


def run_inprocess(root: Path, fix: FixMode | None = None):
    settings = load_settings(None)
    return run([str(root / "app")], settings, use_cache=False, jobs=1, fix=fix)


def test_a_real_checker_bug_is_isolated(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    original = DjangoOrmChecker.on_call

    def broken(self: DjangoOrmChecker, site: object) -> None:
        if self.ctx.path.endswith("views.py"):
            raise ValueError("receiver went missing")
        original(self, site)  # type: ignore[arg-type]

    monkeypatch.setattr(DjangoOrmChecker, "on_call", broken)
    result = run_inprocess(project(tmp_path))
    assert [str(error) for error in result.errors] == [
        f"{tmp_path}/app/views.py: error: internal error in ASF1xx checker DjangoOrmChecker "
        f"(asyncsafe {__version__}): ValueError: receiver went missing; please report it"
    ]
    assert "raise ValueError" in result.errors[0].traceback
    assert sorted(d.code for d in result.diagnostics) == ["ASF301", "ASF301"]


def test_a_walker_bug_is_one_error_for_that_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    original = walker.Walker.visit_Call

    def broken(self: walker.Walker, node: object) -> None:
        if self.ctx.path.endswith("views.py"):
            raise KeyError("scope")
        original(self, node)  # type: ignore[arg-type]

    monkeypatch.setattr(walker.Walker, "visit_Call", broken)
    result = run_inprocess(project(tmp_path))
    assert len(result.errors) == 1
    assert "views.py: error: internal error in the engine" in str(result.errors[0])
    assert "KeyError: 'scope'" in str(result.errors[0])
    assert [d.code for d in result.diagnostics] == ["ASF301"]  # other00.py


def test_stack_exhaustion_in_a_rule_is_a_limit_not_a_bug(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    def deep(self: DjangoOrmChecker, site: object) -> None:
        if self.ctx.path.endswith("views.py"):
            raise RecursionError("maximum recursion depth exceeded")

    monkeypatch.setattr(DjangoOrmChecker, "on_call", deep)
    result = run_inprocess(project(tmp_path))
    assert [(Path(e.path).name, e.reason) for e in result.errors] == [
        ("views.py", "too deeply nested to analyze")
    ]
