"""The tree stays a tree and one bad input never aborts the run (issue 14, items 2 and 11).

Through the real CLI: symlinked directories are not descended into (for checking, for project
facts, for ``--fix``), a symlinked file counts only when it resolves inside the checked tree,
a directory chain 1,000 deep is walked, an oversized file or a too-deep config is one line.
"""

from __future__ import annotations

import os
import time
from pathlib import Path

from conftest import run_cli

BAD = "import time\n\n\nasync def view(request):\n    time.sleep(1)\n"
HELPER = "import time\n\n\ndef slow():\n    time.sleep(1)\n"


def write(path: Path, text: str) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
    return path


def project(tmp_path: Path) -> Path:
    root = tmp_path / "proj"
    write(root / "pyproject.toml", "")
    return root


def test_fix_never_rewrites_through_a_directory_link(tmp_path: Path) -> None:
    root = project(tmp_path)
    write(root / "app" / "views.py", BAD)
    elsewhere = write(tmp_path / "elsewhere" / "other.py", BAD)
    (root / "app" / "linked").symlink_to(elsewhere.parent, target_is_directory=True)
    result = run_cli("check", "--no-cache", "--fix", cwd=root)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "1 file checked" in result.stdout
    assert elsewhere.read_text(encoding="utf-8") == BAD
    assert "await asyncio.sleep(1)" in (root / "app" / "views.py").read_text(encoding="utf-8")


def test_a_link_to_the_filesystem_root_is_not_walked(tmp_path: Path) -> None:
    root = project(tmp_path)
    write(root / "views.py", BAD)
    (root / "everything").symlink_to("/", target_is_directory=True)
    started = time.monotonic()
    result = run_cli("check", "--no-cache", "-q", cwd=root)
    assert result.returncode == 1, result.stderr
    assert result.stdout.splitlines() == [line for line in result.stdout.splitlines() if line.startswith("views.py:")]
    assert result.stderr == ""
    assert time.monotonic() - started < 60  # walking / took minutes


def test_file_links_count_only_inside_the_tree(tmp_path: Path) -> None:
    root = project(tmp_path)
    write(root / "app" / "views.py", BAD)
    outside = write(tmp_path / "elsewhere" / "outside.py", BAD)
    (root / "app" / "out_link.py").symlink_to(outside)
    (root / "app" / "in_link.py").symlink_to(root / "app" / "views.py")  # the same file, once
    result = run_cli("check", "--no-cache", "-q", cwd=root)
    assert result.returncode == 1, result.stderr
    reported = {line.split(":")[0] for line in result.stdout.splitlines()}
    assert reported in ({"app/views.py"}, {"app/in_link.py"})
    fixed = run_cli("check", "--no-cache", "--fix", cwd=root)
    assert fixed.returncode == 0, fixed.stdout + fixed.stderr
    assert outside.read_text(encoding="utf-8") == BAD


def test_a_named_file_link_is_checked(tmp_path: Path) -> None:
    root = project(tmp_path)
    outside = write(tmp_path / "elsewhere" / "outside.py", BAD)
    (root / "named.py").symlink_to(outside)
    result = run_cli("check", "--no-cache", "-q", "named.py", cwd=root)
    assert result.returncode == 1, result.stderr
    assert result.stdout.startswith("named.py:5:5: ASF301 ")


def test_project_facts_are_not_read_through_a_directory_link(tmp_path: Path) -> None:
    """A sync helper reached through a linked package gives no transitive finding; the same
    helper in a real package of the project does (the control)."""
    root = project(tmp_path)
    shared = write(tmp_path / "elsewhere" / "shared" / "helpers.py", HELPER).parent
    write(shared / "__init__.py", "")
    write(root / "realshared" / "__init__.py", "")
    write(root / "realshared" / "helpers.py", HELPER)
    (root / "shared").symlink_to(shared, target_is_directory=True)
    call = "\n\n\nasync def view():\n    slow()\n"
    write(root / "app" / "linked.py", "from shared.helpers import slow" + call)
    write(root / "app" / "real.py", "from realshared.helpers import slow" + call)
    result = run_cli("check", "--no-cache", "-q", cwd=root)
    assert result.returncode == 1, result.stderr
    assert [line.split(" ")[:2] for line in result.stdout.splitlines()] == [["app/real.py:5:5:", "ASF601"]]


def test_a_directory_chain_1000_deep_is_walked(tmp_path: Path) -> None:
    root = project(tmp_path)
    deep = root
    for _ in range(1000):
        deep = deep / "d"
        write(deep / "__init__.py", "")  # packages all the way: module names 1,000 parts long
    write(deep / "views.py", BAD)
    try:
        for cache in ([], ["--no-cache"]):
            result = run_cli("check", *cache, "-q", cwd=root)
            assert result.returncode == 1, result.stderr
            assert result.stdout.startswith("d/d/d/") and ":5:5: ASF301 " in result.stdout
            assert result.stderr == ""
    finally:
        remove_chain(root, deep)


def remove_chain(root: Path, deepest: Path) -> None:
    """Delete the chain bottom-up: pytest's recursive clean-up of old temp dirs overflows on it."""
    level = deepest
    while level != root:
        for child in level.iterdir():
            if child.is_dir() and not child.is_symlink():
                os.rmdir(child)
            else:
                child.unlink()
        level = level.parent
    for child in level.iterdir():
        if child.name == "d":
            os.rmdir(child)


def test_a_file_over_max_file_size_is_one_line_and_the_run_goes_on(tmp_path: Path) -> None:
    root = project(tmp_path)
    write(root / "pyproject.toml", '[tool.asyncsafe]\nmax-file-size = "2KB"\n')
    big = write(root / "big.py", BAD + "x = 1\n" * 400)
    size = big.stat().st_size
    write(root / "views.py", BAD)
    for cache in ([], ["--no-cache"]):
        result = run_cli("check", *cache, "-q", cwd=root)
        assert result.returncode == 2, result.stdout + result.stderr
        assert result.stdout.startswith("views.py:5:5: ASF301 ")
        assert result.stderr == f"big.py: error: file is larger than max-file-size ({size} bytes > 2000 bytes); skipped\n"


def test_the_default_size_limit_refuses_a_huge_file(tmp_path: Path) -> None:
    root = project(tmp_path)
    with open(root / "huge.py", "wb") as handle:  # sparse: 6 GB on the size, nothing on disk
        handle.truncate(6_000_000_000)
    write(root / "views.py", BAD)
    result = run_cli("check", "--no-cache", "-q", cwd=root)
    assert result.returncode == 2, result.stdout + result.stderr
    assert result.stderr == "huge.py: error: file is larger than max-file-size (6000.0 MB > 10.0 MB); skipped\n"
    assert result.stdout.startswith("views.py:5:5: ASF301 ")


def test_a_deeply_nested_config_is_one_line_naming_it(tmp_path: Path) -> None:
    root = project(tmp_path)
    config = write(root / "pyproject.toml", "[tool.asyncsafe]\nselect = " + "[" * 5000 + "]" * 5000 + "\n")
    write(root / "views.py", BAD)
    result = run_cli("check", "--no-cache", cwd=root)
    assert result.returncode == 2
    assert result.stderr == f"{config}: error: invalid TOML: arrays or tables nested too deeply\n"


def test_max_file_size_must_be_a_size(tmp_path: Path) -> None:
    root = project(tmp_path)
    config = write(root / "pyproject.toml", '[tool.asyncsafe]\nmax-file-size = "big"\n')
    result = run_cli("check", "--no-cache", cwd=root)
    assert result.returncode == 2
    assert result.stderr.startswith(f"{config}: error: [tool.asyncsafe] max-file-size: expected a positive size")
    assert os.path.exists(config)


def test_everything_after_double_dash_is_a_path(tmp_path: Path) -> None:
    root = project(tmp_path)
    write(root / "--exclude=*.py", BAD)
    write(root / "--output-file=app" / "views.py", BAD)
    result = run_cli("check", "--no-cache", "-q", "--", "--exclude=*.py", "--output-file=app/views.py", "--", cwd=root)
    assert result.returncode == 2, result.stdout + result.stderr  # `--` (the second) is no file
    assert [line.split(" ")[0] for line in result.stdout.splitlines()] == [
        "--exclude=*.py:5:5:", "--output-file=app/views.py:5:5:",
    ]
    assert result.stderr == "--: error: no such file or directory\n"
    assert (root / "--output-file=app" / "views.py").read_text(encoding="utf-8") == BAD
