"""The project asyncsafe checks, known before any file is walked: its root, its configuration
per directory, what it declares about itself (--show-settings, --show-files). Through the real
CLI and real flake8."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from conftest import run_cli

MODELS = "from django.db import models\n\n\nclass Book(models.Model):\n    title = models.CharField(max_length=10)\n"
HELPERS = "import requests\n\n\ndef fetch(url):\n    return requests.get(url)\n"
VIEWS = (
    "from shop.models import Book\nfrom shop.helpers import fetch\n\n\n"
    "async def view(request):\n    book = Book.objects.get(pk=1)\n    fetch('x')\n    return book\n"
)


def write(root: Path, name: str, text: str) -> Path:
    path = root / name
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
    return path


def shop(root: Path, marker: str = "pyproject.toml") -> Path:
    write(root, marker, "[project]\nname = 'shop'\n" if marker == "pyproject.toml" else "")
    write(root, "shop/__init__.py", "")
    write(root, "shop/models.py", MODELS)
    write(root, "shop/helpers.py", HELPERS)
    return write(root, "shop/views.py", VIEWS)


def findings(result: subprocess.CompletedProcess[str]) -> list[tuple[str, int, str, str]]:
    assert result.returncode in (0, 1), result.stderr
    return [(d["path"], d["line"], d["code"], d["message"]) for d in json.loads(result.stdout)]


@pytest.mark.parametrize("marker", ["pyproject.toml", "setup.cfg", "setup.py", "manage.py", ".git"])
def test_same_findings_from_any_working_directory(tmp_path: Path, marker: str) -> None:
    project = tmp_path / "project"
    views = shop(project, marker)
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    inside = findings(run_cli("check", "--no-cache", "--format", "json", str(views), cwd=project))
    assert {code for _, _, code, _ in inside} == {"ASF101", "ASF601"}
    for cwd in (elsewhere, Path("/")):
        assert findings(run_cli("check", "--no-cache", "--format", "json", str(views), cwd=cwd)) == inside


def test_cache_lives_in_the_project_root_not_the_working_directory(tmp_path: Path) -> None:
    project = tmp_path / "project"
    views = shop(project)
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    first = run_cli("check", "--format", "json", str(views), cwd=elsewhere)
    assert {d["code"] for d in json.loads(first.stdout)} == {"ASF101", "ASF601"}
    assert not (elsewhere / ".asyncsafe_cache").exists()
    assert (project / ".asyncsafe_cache").is_dir()


def test_show_settings_names_root_config_and_sources(tmp_path: Path) -> None:
    project = tmp_path / "project"
    views = shop(project)
    write(project, "pyproject.toml", "[project]\nname = 'shop'\nrequires-python = '>=3.12'\n"
          "[tool.asyncsafe]\ndjango-version = \"4.2\"\n")
    result = run_cli("check", "--show-settings", str(views), cwd="/")
    assert result.returncode == 0, result.stderr
    rows = dict(line.split(": ", 1) for line in result.stdout.splitlines())
    assert rows["project root"].startswith(f"{project}  (the nearest folder holding pyproject.toml")
    assert rows["config file"] == str(project / "pyproject.toml")
    assert rows["target-version"] == f"py312  (requires-python in {project / 'pyproject.toml'})"
    assert rows["django-version"] == f"4.2  (django-version in {project / 'pyproject.toml'})"
    assert "ASF301" in rows["selected codes"]


def test_show_files_lists_what_would_be_checked(tmp_path: Path) -> None:
    shop(tmp_path)
    write(tmp_path, "build/generated.py", "x = 1\n")
    result = run_cli("check", "--show-files", ".", cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    assert result.stdout.splitlines() == [
        "shop/__init__.py", "shop/helpers.py", "shop/models.py", "shop/views.py",
    ]


# --- per-directory configuration --------------------------------------------------------------
SLEEPS = "import os\nimport time\n\n\nasync def view(p):\n    time.sleep(1)\n    os.path.exists(p)\n"


def two_configs(root: Path) -> None:
    write(root, "pyproject.toml", '[project]\nname = "mono"\n[tool.asyncsafe]\nignore = ["ASF301"]\n')
    write(root, "a/views.py", SLEEPS)
    write(root, "b/asyncsafe.toml", 'extend = "../pyproject.toml"\nextend-select = ["ASF390"]\n')
    write(root, "b/views.py", SLEEPS)


def codes_by_file(result: subprocess.CompletedProcess[str]) -> dict[str, list[str]]:
    found: dict[str, list[str]] = {}
    for path, _, code, _ in findings(result):
        found.setdefault(path, []).append(code)
    return found


def test_each_file_uses_its_nearest_config_together_or_apart(tmp_path: Path) -> None:
    two_configs(tmp_path)
    together = codes_by_file(run_cli("check", "--no-cache", "--format", "json", "a/views.py", "b/views.py", cwd=tmp_path))
    assert together == {"b/views.py": ["ASF390"]}  # a: ASF301 ignored; b: extends that, adds ASF390
    apart = {}
    for name in ("a/views.py", "b/views.py"):
        apart.update(codes_by_file(run_cli("check", "--no-cache", "--format", "json", name, cwd=tmp_path)))
    assert apart == together
    assert codes_by_file(run_cli("check", "--no-cache", "--format", "json", ".", cwd=tmp_path)) == together
    reversed_order = run_cli("check", "--no-cache", "--format", "json", "b/views.py", "a/views.py", cwd=tmp_path)
    assert codes_by_file(reversed_order) == together


def test_isolated_ignores_every_config_file(tmp_path: Path) -> None:
    two_configs(tmp_path)
    result = run_cli("check", "--no-cache", "--isolated", "--format", "json", ".", cwd=tmp_path)
    assert codes_by_file(result) == {"a/views.py": ["ASF301"], "b/views.py": ["ASF301"]}


def run_flake8(*args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    beside = Path(sys.executable).parent / "flake8"
    executable = str(beside) if beside.exists() else shutil.which("flake8")
    assert executable is not None
    env = {**os.environ, "PYTHONDONTWRITEBYTECODE": "1"}
    return subprocess.run([executable, *args], cwd=cwd, capture_output=True, text=True, env=env, timeout=300)


def test_flake8_uses_each_files_config_and_isolated(tmp_path: Path) -> None:
    two_configs(tmp_path)
    result = run_flake8("--select", "ASF", ".", cwd=tmp_path)
    lines = sorted(line.split(" ")[0:2] for line in result.stdout.splitlines())
    assert lines == [["./b/views.py:7:5:", "ASF390"]], result.stdout + result.stderr
    isolated = run_flake8("--isolated", "--select", "ASF", ".", cwd=tmp_path)
    assert sorted(line.split(" ")[1] for line in isolated.stdout.splitlines()) == ["ASF301", "ASF301"]


# --- someone else's pyproject.toml -----------------------------------------------------------
def test_invalid_pyproject_above_the_project_never_breaks_flake8(tmp_path: Path) -> None:
    write(tmp_path, "pyproject.toml", "[tool.black\nline-length = = 3\n")  # not ours, invalid
    project = tmp_path / "project"
    write(project, ".git/HEAD", "ref: refs/heads/main\n")
    write(project, "views.py", SLEEPS)
    for args in (("--select", "E,W,F"), ("--select", "ASF"), ()):
        result = run_flake8(*args, "views.py", cwd=project)
        assert "Traceback" not in result.stderr and "asyncsafe:" not in result.stdout, result.stdout + result.stderr
        assert result.returncode == (1 if "E,W,F" not in args else 0), result.stdout + result.stderr
    cli = run_cli("check", "--no-cache", "-q", "views.py", cwd=project)
    assert cli.returncode == 1 and cli.stderr == ""


def test_invalid_pyproject_in_the_checked_folder_without_asf_selected(tmp_path: Path) -> None:
    write(tmp_path, "pyproject.toml", "[tool.black\nline-length = = 3\n")
    write(tmp_path, "views.py", "import os\n")
    result = run_flake8("--select", "E,W,F", "views.py", cwd=tmp_path)
    assert result.returncode == 1 and "F401" in result.stdout and "asyncsafe" not in result.stdout
    assert "Traceback" not in result.stderr
    # ...and with ASF selected, a pyproject.toml without [tool.asyncsafe] is not ours either
    result = run_flake8("views.py", cwd=tmp_path)
    assert result.returncode == 1 and "F401" in result.stdout and "asyncsafe" not in result.stdout


def test_broken_asyncsafe_table_fails_only_when_asf_is_selected(tmp_path: Path) -> None:
    write(tmp_path, "pyproject.toml", "[tool.asyncsafe]\nselect = [\n")
    write(tmp_path, "views.py", "import os\n")
    assert "asyncsafe" not in run_flake8("--select", "F", "views.py", cwd=tmp_path).stdout
    failed = run_flake8("--select", "ASF", "views.py", cwd=tmp_path)
    assert failed.returncode == 1 and f"{tmp_path / 'pyproject.toml'}: error: invalid TOML" in failed.stdout


# --- config errors: one clear line naming the file, exit 2 ----------------------------------
@pytest.mark.parametrize(
    ("text", "says"),
    [
        ("tool = 1\n", "'tool' must be a table"),
        ('tool = "x"\n', "'tool' must be a table"),
        ("[tool]\nasyncsafe = 1\n", "[tool.asyncsafe] must be a table of settings"),
        ('[tool.asyncsafe]\nselect = [""]\n', "an empty rule code selects nothing"),
        ("[tool.asyncsafe]\ndjango-version = 5.10\n", "the number 5.1 loses digits"),
        ('[tool.asyncsafe]\ntarget-version = "py39"\n', "expected a Python version"),
        ('[tool.asyncsafe]\nextend = "missing.toml"\n', "does not exist"),
    ],
)
def test_config_errors_are_one_line_naming_the_file(tmp_path: Path, text: str, says: str) -> None:
    write(tmp_path, "pyproject.toml", text)
    write(tmp_path, "views.py", SLEEPS)
    for args in (("--config", "pyproject.toml"), ()):
        result = run_cli("check", "--no-cache", *args, ".", cwd=tmp_path)
        assert result.returncode == 2, result.stdout + result.stderr
        [line] = result.stderr.splitlines()
        assert line.startswith(str(tmp_path / "pyproject.toml") if not args else "pyproject.toml"), line
        assert says in line and "internal error" not in line


def test_empty_select_on_the_command_line(tmp_path: Path) -> None:
    write(tmp_path, "views.py", SLEEPS)
    result = run_cli("check", "--no-cache", "--select", "", ".", cwd=tmp_path)
    assert result.returncode == 2 and "Traceback" not in result.stderr
    assert "--select" in result.stderr


# --- import roots ----------------------------------------------------------------------------
JUMPSERVER = Path(__file__).resolve().parent / "fixtures" / "jumpserver_layout"


def marked(root: Path) -> set[tuple[str, int, str]]:
    from markers import expected

    return {
        (str(path.relative_to(root)), line, code)
        for path in sorted(root.rglob("*.py"))
        for (line, code) in expected(path.read_text(encoding="utf-8"))
    }


def test_root_package_with_manage_py_resolves_short_and_long_imports(tmp_path: Path) -> None:
    """jumpserver's apps/ holds __init__.py and manage.py; its code imports rbac.models (and
    sometimes apps.rbac.models): models, helpers and coroutines resolve across modules."""
    project = tmp_path / "jumpserver"
    shutil.copytree(JUMPSERVER, project)
    want = marked(project)
    assert {code for *_, code in want} == {"ASF101", "ASF505", "ASF601"}
    for cwd, target in ((project, "."), (tmp_path, str(project))):
        result = run_cli("check", "--no-cache", "--format", "json", target, cwd=cwd)
        got = {(os.path.relpath(os.path.join(cwd, d["path"]), project), d["line"], d["code"])
               for d in json.loads(result.stdout)}
        assert got == want, result.stderr
    result = run_cli("check", "--no-cache", "--format", "json", "apps/users/views.py", cwd=project)
    assert {(d["line"], d["code"]) for d in json.loads(result.stdout)} == {
        (line, code) for path, line, code in want if path == "apps/users/views.py"
    }


def test_src_setting_replaces_the_default_roots(tmp_path: Path) -> None:
    project = tmp_path / "jumpserver"
    shutil.copytree(JUMPSERVER, project)
    (project / "apps" / "manage.py").unlink()  # no manage.py: apps/ is no default root
    blind = run_cli("check", "--no-cache", "--format", "json", "apps/users/views.py", cwd=project)
    assert {d["code"] for d in json.loads(blind.stdout)} == set()
    with (project / "pyproject.toml").open("a", encoding="utf-8") as handle:
        handle.write('\n[tool.asyncsafe]\nsrc = [".", "apps"]\n')
    configured = run_cli("check", "--no-cache", "--format", "json", "apps/users/views.py", cwd=project)
    assert {d["code"] for d in json.loads(configured.stdout)} == {"ASF101", "ASF505", "ASF601"}
    shown = run_cli("check", "--show-settings", "apps/users/views.py", cwd=project).stdout
    assert f"src: {project}, {project / 'apps'}  (src in {project / 'pyproject.toml'})" in shown


# --- star imports --------------------------------------------------------------------------------
STAR_MODELS = (
    "from django.db import models\n\nfrom shop.helpers import fetch\n\n__all__ = [{names}]\n\n\n"
    "class Book(models.Model):\n    title = models.CharField(max_length=10)\n"
)
STAR_VIEWS = (
    "from .models import *\n\n\nasync def view(request):\n"
    "    book = Book.objects.get(pk=1)\n    fetch('x')\n    return book\n"
)


def test_star_import_from_a_project_module_brings_its_names(tmp_path: Path) -> None:
    write(tmp_path, "setup.py", "")
    write(tmp_path, "shop/__init__.py", "")
    write(tmp_path, "shop/helpers.py", HELPERS)
    write(tmp_path, "shop/models.py", STAR_MODELS.format(names='"Book", "fetch"'))
    write(tmp_path, "shop/views.py", STAR_VIEWS)
    for _ in range(2):  # cold, then from the cache
        result = run_cli("check", "--format", "json", "shop/views.py", cwd=tmp_path)
        assert [(d["line"], d["code"]) for d in json.loads(result.stdout)] == [(5, "ASF101"), (6, "ASF601")]
    # __all__ decides what a star import brings; the cached result follows the edit
    write(tmp_path, "shop/models.py", STAR_MODELS.format(names='"Book"'))
    result = run_cli("check", "--format", "json", "shop/views.py", cwd=tmp_path)
    assert [(d["line"], d["code"]) for d in json.loads(result.stdout)] == [(5, "ASF101")]


def test_unparsable_star_imported_module_is_reported(tmp_path: Path) -> None:
    write(tmp_path, "setup.py", "")
    write(tmp_path, "shop/__init__.py", "")
    write(tmp_path, "shop/models.py", "class Book(:\n    pass\n")
    write(tmp_path, "shop/views.py", STAR_VIEWS)
    result = run_cli("check", "--no-cache", "-q", "shop/views.py", cwd=tmp_path)
    assert result.stderr.startswith("shop/models.py: warning: syntax error at line 1"), result.stderr


def test_explicit_config_names_a_project_without_markers(tmp_path: Path) -> None:
    """An unpacked library (no pyproject.toml of its own) inside another project, checked with
    --config: the config's folder is the project, not the enclosing repository."""
    write(tmp_path, "pyproject.toml", "[project]\nname = 'outer'\n")
    library = tmp_path / "vendor" / "lib"
    write(library, "checked.toml", "[tool.asyncsafe]\n")
    write(library, "views.py", SLEEPS)
    shown = run_cli("check", "--config", "checked.toml", "--show-settings", ".", cwd=library).stdout
    assert f"project root: {library}  (" in shown
    shown = run_cli("check", "--show-settings", ".", cwd=library).stdout
    assert f"project root: {tmp_path}  (the nearest folder holding pyproject.toml)" in shown


def test_tree_without_markers_is_one_project(tmp_path: Path) -> None:
    """No pyproject.toml, setup.py, .git or manage.py anywhere: the checked folder is the project,
    not each file's own folder (helpers in other folders still resolve, paths name from it)."""
    write(tmp_path, "shop/__init__.py", "")
    write(tmp_path, "shop/models.py", MODELS)
    write(tmp_path, "shop/helpers.py", HELPERS)
    write(tmp_path, "shop/web/__init__.py", "")
    write(tmp_path, "shop/web/views.py", VIEWS)
    result = run_cli("check", "--no-cache", "--format", "json", ".", cwd=tmp_path)
    [chain] = [d["message"] for d in json.loads(result.stdout) if d["code"] == "ASF601"]
    assert "(shop/helpers.py:5)" in chain
