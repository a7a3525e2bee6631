"""Issue 15: an unchanged tree's files come from the cache (one ``stat`` per directory, no
listing), and any change a listing would see (a file added, removed or renamed, at any depth) is
seen; trees that could hide a change (touched within the timestamp granularity, symlinked files)
are never stored."""

from __future__ import annotations

import os
import time
from pathlib import Path

import pytest
from conftest import run_cli

from asyncsafe.engine.cache import discovery
from asyncsafe.engine.input import discover as walk_module
from asyncsafe.projectinfo.resolve import Resolver, grouped_files

VIEW = "import time\n\n\nasync def view(request):\n    time.sleep(1)\n"


def make_tree(root: Path) -> Path:
    (root / "pyproject.toml").write_text("[tool.asyncsafe]\n", encoding="utf-8")
    for folder in ("app", "app/api", "app/api/v1", "other"):
        (root / folder).mkdir(parents=True)
        (root / folder / "__init__.py").write_text("", encoding="utf-8")
    (root / "app" / "api" / "v1" / "views.py").write_text(VIEW, encoding="utf-8")
    return root


def files_of(root: Path) -> tuple[list[str], int]:
    """The files found, and how many directories the walk listed to find them. (The first run
    with a cache makes the cache folder in the root: its walk is stale at once, the next one's
    is kept.)"""
    listed = 0
    entries = walk_module._Walk._entries

    def counting(self: walk_module._Walk, directory: str) -> object:
        nonlocal listed
        listed += 1
        return entries(self, directory)

    walk_module._Walk._entries = counting  # type: ignore[method-assign, assignment]
    try:
        groups, errors = grouped_files(Resolver(), [str(root)], use_cache=True)
    finally:
        walk_module._Walk._entries = entries  # type: ignore[method-assign]
    assert not errors
    return sorted(os.path.relpath(f, root) for group in groups for f in group.files), listed


@pytest.fixture
def settled(monkeypatch: pytest.MonkeyPatch) -> None:
    """Directories written by the test count as settled (not within the racy window)."""
    monkeypatch.setattr(discovery, "RACY_WINDOW_NS", -(10**18))


@pytest.mark.usefixtures("settled")
def test_an_unchanged_tree_is_not_listed_again(tmp_path: Path) -> None:
    root = make_tree(tmp_path)
    files_of(root)
    first, listed = files_of(root)
    assert listed >= 5
    again, listed_again = files_of(root)
    assert (again, listed_again) == (first, 0)


@pytest.mark.usefixtures("settled")
@pytest.mark.parametrize("change", ["add deep", "remove", "rename", "add folder"])
def test_a_change_at_any_depth_is_seen(tmp_path: Path, change: str) -> None:
    root = make_tree(tmp_path)
    files_of(root)
    assert files_of(root)[1] > 0 and files_of(root)[1] == 0
    deep = root / "app" / "api" / "v1"
    if change == "add deep":
        (deep / "more.py").write_text(VIEW, encoding="utf-8")
    elif change == "remove":
        (deep / "views.py").unlink()
    elif change == "rename":
        (deep / "views.py").rename(deep / "handlers.py")
    else:
        (root / "other" / "new").mkdir()
        (root / "other" / "new" / "mod.py").write_text(VIEW, encoding="utf-8")
    found, listed = files_of(root)
    walked, _ = files_of_uncached(root)
    assert found == walked and listed > 0


def files_of_uncached(root: Path) -> tuple[list[str], list[object]]:
    groups, errors = grouped_files(Resolver(), [str(root)], use_cache=False)
    return sorted(os.path.relpath(f, root) for group in groups for f in group.files), list(errors)


def test_a_tree_touched_just_now_is_not_stored(tmp_path: Path) -> None:
    # Within the timestamp granularity, a second change could leave the same stat.
    root = make_tree(tmp_path)
    files_of(root)
    files_of(root)
    _, listed = files_of(root)
    assert listed > 0


@pytest.mark.usefixtures("settled")
def test_a_tree_with_a_symlinked_file_is_not_stored(tmp_path: Path) -> None:
    root = make_tree(tmp_path)
    (root / "other" / "linked.py").symlink_to(root / "app" / "api" / "v1" / "views.py")
    files_of(root)
    files_of(root)
    _, listed = files_of(root)
    assert listed > 0


def test_the_cli_finds_a_file_added_after_a_warm_run(tmp_path: Path) -> None:
    root = make_tree(tmp_path)
    time.sleep(2.1)  # past the racy window: the first run stores its walk
    run_cli("check", ".", cwd=root)  # makes the cache folder: the root changed
    first = run_cli("check", ".", cwd=root)
    assert list((root / ".asyncsafe_cache").glob("*/discovery-*.json"))
    added = root / "app" / "api" / "v1" / "extra.py"
    added.write_text(VIEW, encoding="utf-8")
    second = run_cli("check", ".", cwd=root)
    assert first.stdout.count("ASF301") == 1, first.stdout + first.stderr
    assert second.stdout.count("ASF301") == 2, second.stdout + second.stderr
