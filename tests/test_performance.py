"""Issue 15's cost rules, each observable: the collector is off during analysis and restored,
nothing is recorded without a cache, every file is parsed at most once per run, and the number of
worker processes follows the work, not only ``--jobs``."""

from __future__ import annotations

import concurrent.futures
import gc
import shutil
from collections import Counter
from dataclasses import replace
from pathlib import Path
from typing import Any

import libcst
import pytest
from conftest import run_cli

from asyncsafe.config import Settings, load_settings
from asyncsafe.engine.cache.reads import NullRecorder, Reads, Recorder
from asyncsafe.engine.cache.store import open_store
from asyncsafe.engine.facts.project import Project
from asyncsafe.run import runner

FIXTURES = Path(__file__).resolve().parent / "fixtures"
VIEW = "from .services import build_context\n\n\nasync def view_{n}(pk):\n    build_context(pk)\n"


def project_copy(tmp_path: Path, extra_views: int = 0) -> Path:
    root = tmp_path / "proj"
    shutil.copytree(FIXTURES / "transitive_project", root / "transitive_project")
    (root / "pyproject.toml").write_text("[tool.asyncsafe]\n", encoding="utf-8")
    for number in range(extra_views):
        (root / "transitive_project" / f"extra_view_{number}.py").write_text(VIEW.format(n=number), encoding="utf-8")
    return root


def run_project(
    root: Path, monkeypatch: pytest.MonkeyPatch, package: str = "transitive_project", **options: Any
) -> runner.RunResult:
    monkeypatch.chdir(root)
    settings = replace(load_settings(root / "pyproject.toml"), root=str(root))
    return runner.run([package], settings, **options)


def test_each_file_is_parsed_once_per_run(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    # views.py reaches services.py and models.py, which are checked files too: one tree each.
    parsed: Counter[str] = Counter()
    parse = libcst.parse_module

    def counting(source: str, *args: Any, **kwargs: Any) -> libcst.Module:
        parsed[source] += 1
        return parse(source, *args, **kwargs)

    monkeypatch.setattr(libcst, "parse_module", counting)
    result = run_project(project_copy(tmp_path), monkeypatch, use_cache=False, jobs=1)
    assert any(d.code == "ASF601" for d in result.diagnostics), "the helpers were reached"
    assert parsed and max(parsed.values()) == 1, [text[:40] for text, n in parsed.items() if n > 1]


def test_the_collector_is_off_during_analysis_and_restored(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    seen: list[bool] = []
    check = runner._check_bytes_unguarded

    def observing(*args: Any) -> runner.Checked:
        seen.append(gc.isenabled())
        return check(*args)

    monkeypatch.setattr(runner, "_check_bytes_unguarded", observing)
    assert gc.isenabled()
    run_project(project_copy(tmp_path), monkeypatch, use_cache=False, jobs=1)
    assert seen and not any(seen)
    assert gc.isenabled() and gc.get_freeze_count() == 0


def test_nothing_is_recorded_without_a_cache(tmp_path: Path) -> None:
    assert isinstance(Project(str(tmp_path), Settings()).recorder, NullRecorder)
    store, refused = open_store(str(tmp_path), None)
    assert store is not None, refused
    assert type(Project(str(tmp_path), Settings(), cache=store).recorder) is Recorder


@pytest.mark.parametrize(
    ("jobs", "files", "workers"),
    [(300, 10, 2), (None, 3, 1), (2, 7, 1), (2, 100, 2), (1, 100, 1), (8, 16, 4), (0, 50, 1)],
)
def test_workers_follow_the_work(jobs: int | None, files: int, workers: int) -> None:
    assert runner.worker_count(jobs, files) == workers


def test_jobs_300_starts_a_pool_sized_by_the_files(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    sizes: list[int] = []
    pool = concurrent.futures.ProcessPoolExecutor

    def sized(*args: Any, max_workers: int, **kwargs: Any) -> concurrent.futures.ProcessPoolExecutor:
        sizes.append(max_workers)
        return pool(*args, max_workers=max_workers, **kwargs)

    monkeypatch.setattr(concurrent.futures, "ProcessPoolExecutor", sized)
    run_project(project_copy(tmp_path, extra_views=6), monkeypatch, use_cache=False, jobs=300)
    assert sizes == [2]  # 10 files with async code


def test_cli_jobs_300_gives_the_serial_result(tmp_path: Path) -> None:
    root = project_copy(tmp_path, extra_views=6)
    serial = run_cli("check", "--no-cache", "--jobs", "1", "transitive_project", cwd=root)
    many = run_cli("check", "--no-cache", "--jobs", "300", "transitive_project", cwd=root)
    assert serial.returncode == 1, serial.stderr
    assert (many.returncode, many.stdout, many.stderr) == (serial.returncode, serial.stdout, serial.stderr)


def test_results_do_not_depend_on_how_many_trees_are_kept(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Memory is bounded by dropping trees; whatever is dropped and needed again is parsed and
    # walked again, with the same findings and the same chains.
    from asyncsafe.engine.facts import callgraph, project

    root = project_copy(tmp_path, extra_views=2)
    kept = run_project(root, monkeypatch, use_cache=False, jobs=1).diagnostics
    monkeypatch.setattr(project, "TREES_KEPT", 1)
    monkeypatch.setattr(callgraph, "NODES_KEPT", 1)
    monkeypatch.setattr(callgraph, "EXTRACTIONS_KEPT", 0)  # no walk stays open for later
    dropped = run_project(root, monkeypatch, use_cache=False, jobs=1).diagnostics
    assert sum(d.code == "ASF601" for d in kept) >= 3
    assert dropped == kept


WARM_PROBE = """
import sys
from asyncsafe.cli import main
code = main(sys.argv[1:])
print("libcst" in sys.modules, code)
"""


@pytest.mark.parametrize("output_format", ["full", "concise", "github", "pylint"])
def test_a_warm_run_imports_no_libcst(tmp_path: Path, output_format: str) -> None:
    # Every result comes from the cache: parsing nothing, it must not pay libcst's import (about
    # a tenth of a second, more than ruff's whole run on Django). JSON and SARIF carry fix edits
    # and may import it.
    import subprocess
    import sys

    root = project_copy(tmp_path)
    command = [sys.executable, "-c", WARM_PROBE, "check", "--output-format", output_format, "transitive_project"]
    cold = subprocess.run(command, cwd=root, capture_output=True, text=True, check=False)
    warm = subprocess.run(command, cwd=root, capture_output=True, text=True, check=False)
    assert cold.stdout.splitlines()[-1] == "True 1", cold.stderr
    assert warm.stdout.splitlines()[-1] == "False 1", warm.stderr


def test_credited_reads_are_merged_again_only_when_they_grew() -> None:
    recorder = Recorder()
    with recorder.recording() as memo:
        recorder.read("app.models")
    with recorder.recording() as result:
        for _ in range(3):
            recorder.credit(memo)
        assert result.modules == {"app.models"}
        memo.add(Reads({"app.helpers"}))  # a memo that goes on growing (a walk in progress)
        recorder.credit(memo)
    assert result.modules == {"app.models", "app.helpers"}


def app_project(tmp_path: Path) -> Path:
    """An empty project with one package, ``app``."""
    root = tmp_path / "proj"
    (root / "app").mkdir(parents=True)
    (root / "pyproject.toml").write_text("[tool.asyncsafe]\n", encoding="utf-8")
    (root / "app" / "__init__.py").write_text("", encoding="utf-8")
    return root


def test_a_dependency_is_walked_for_its_sync_helpers_only(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Calling an async function runs nothing, so no chain goes through its body: a module walked
    # as a dependency (not checked) has only its sync functions walked. Chains are unchanged.
    from asyncsafe.engine.tree import walker as walker_module

    root = app_project(tmp_path)
    (root / "app" / "helpers.py").write_text(
        "import requests\nimport time\n\n\ndef fetch(url):\n    return requests.get(url)\n\n\n"
        "async def pause():\n    time.sleep(1)\n",
        encoding="utf-8",
    )
    (root / "app" / "views.py").write_text(
        "from app.helpers import fetch\n\n\nasync def view(request):\n    return fetch('https://example.com')\n",
        encoding="utf-8",
    )
    walked: list[tuple[str, bool]] = []
    visit = walker_module.Walker.visit_Call

    def recording(self: walker_module.Walker, node: libcst.Call) -> bool:
        function = self.resolver.function()
        walked.append((function.qualname if function else "<module>", self.ctx.helpers_only))
        return visit(self, node)

    monkeypatch.setattr(walker_module.Walker, "visit_Call", recording)
    monkeypatch.chdir(root)
    settings = replace(load_settings(root / "pyproject.toml"), root=str(root))
    result = runner.run(["app/views.py"], settings, use_cache=False, jobs=1)
    assert [d.code for d in result.diagnostics] == ["ASF601"], result.diagnostics
    assert ("app.helpers.fetch", True) in walked
    assert not [name for name, dependency in walked if dependency and name.endswith("pause")]


def helper_project(tmp_path: Path) -> Path:
    """A dependency with a reached helper and an unreached one, and a checked file whose own
    sync helpers are reached, unreached, or hold an async body."""
    root = app_project(tmp_path)
    (root / "app" / "helpers.py").write_text(
        "import requests\nimport time\n\n\ndef fetch(url):\n    return requests.get(url)\n\n\n"
        "def idle():\n    time.sleep(1)\n\n\nclass Client:\n    def load(self):\n        return fetch('x')\n\n"
        "    def unused(self):\n        time.sleep(2)\n",
        encoding="utf-8",
    )
    (root / "app" / "views.py").write_text(
        "import time\n\nfrom app.helpers import Client, fetch\n\n\n"
        "def local_helper():\n    return fetch('https://example.com')\n\n\n"
        "def never_called():\n    time.sleep(3)\n\n\n"
        "def decorate(view):\n    async def wrapper(request):\n        time.sleep(4)\n        return await view(request)\n"
        "    return wrapper\n\n\n"
        "async def view(request):\n    local_helper()\n    return Client().load()\n",
        encoding="utf-8",
    )
    return root


def walked_functions(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    from asyncsafe.engine.tree import walker as walker_module

    walked: list[str] = []
    walk_function = walker_module.Walker._walk_function

    def recording(self: walker_module.Walker, node: libcst.FunctionDef, decorators: list[Any]) -> None:
        walked.append(f"{self.ctx.module}.{node.name.value}")
        walk_function(self, node, decorators)

    monkeypatch.setattr(walker_module.Walker, "_walk_function", recording)
    return walked


def test_functions_are_walked_only_when_a_chain_reaches_them(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # A sync body matters only if a chain from an async body reaches it: a dependency's and a
    # checked file's module- and class-level sync functions wait until one does. A sync function
    # that holds an async body is walked with the file.
    root = helper_project(tmp_path)
    walked = walked_functions(monkeypatch)
    result = run_project(root, monkeypatch, "app", use_cache=False, jobs=1)
    found = sorted((d.line, d.code, d.message.split(" blocks")[0]) for d in result.diagnostics)
    assert [(line, code) for line, code, _ in found] == [(16, "ASF301"), (22, "ASF601"), (23, "ASF601")]
    assert [message for _, code, message in found if code == "ASF601"] == [
        "local_helper() -> fetch() -> requests.get() (app/helpers.py:6)",
        "Client.load() -> fetch() -> requests.get() (app/helpers.py:6)",
    ]
    assert {"app.views.local_helper", "app.views.decorate", "app.views.wrapper"} <= set(walked)
    assert {"app.helpers.fetch", "app.helpers.load"} <= set(walked)
    assert not {"app.views.never_called", "app.helpers.idle", "app.helpers.unused"} & set(walked), walked


def test_facts_cached_with_pending_functions_are_completed_by_a_later_run(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # The cache stores a dependency's facts with the functions no chain reached yet; a later run
    # whose code reaches one of them walks it then, and reports what a run without a cache does.
    root = helper_project(tmp_path)
    later = root / "app" / "later.py"
    later.write_text("async def later():\n    pass\n", encoding="utf-8")
    run_project(root, monkeypatch, "app", use_cache=True, jobs=1)
    later.write_text(
        "from app.helpers import Client, idle\n\n\nasync def later():\n    idle()\n    Client().unused()\n",
        encoding="utf-8",
    )
    walked = walked_functions(monkeypatch)
    cached = run_project(root, monkeypatch, "app", use_cache=True, jobs=1)
    assert {"app.helpers.idle", "app.helpers.unused"} <= set(walked)
    assert "app.helpers.fetch" not in walked, "facts already walked come from the cache"
    fresh = run_project(root, monkeypatch, "app", use_cache=False, jobs=1)
    assert cached.diagnostics == fresh.diagnostics
    assert [d.message.split(" blocks")[0] for d in fresh.diagnostics if d.path.endswith("later.py")] == [
        "idle() -> time.sleep() (app/helpers.py:10)",
        "Client.unused() -> time.sleep() (app/helpers.py:18)",
    ]


def test_a_closed_walk_is_freed_without_the_collector(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Walks kept open for their pending functions outlive a file; once dropped they must be
    # freed by reference counting alone (the collector no longer visits old objects during a run).
    import weakref

    from asyncsafe.engine.facts import callgraph
    from asyncsafe.engine.tree import walker as walker_module

    monkeypatch.setattr(callgraph, "EXTRACTIONS_KEPT", 0)
    closed: list[weakref.ref[walker_module.Walker]] = []
    close = walker_module.Walker.close

    def recording(self: walker_module.Walker) -> None:
        closed.append(weakref.ref(self))
        close(self)

    monkeypatch.setattr(walker_module.Walker, "close", recording)
    monkeypatch.setattr(runner, "after_file", lambda: None)  # as if the walks were old objects
    root = helper_project(tmp_path)
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        run_project(root, monkeypatch, "app", use_cache=False, jobs=1)
        assert closed
        assert [ref for ref in closed if ref() is not None] == []
    finally:
        if was_enabled:
            gc.enable()
