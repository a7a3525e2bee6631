"""Issue 17 item 3 through the real front ends: models from third-party bases, `model-bases`,
Django file storage (ASF260)."""

from __future__ import annotations

import json
import textwrap
from pathlib import Path

from conftest import run_cli

MODELS = """
    from django.db import models
    from plugins.base import Entity


    class Plugin(Entity):
        pass
"""
VIEWS = """
    from app.models import Plugin


    async def listing(request):
        return Plugin.objects.get(pk=1)
"""


def _project(tmp_path: Path, config: str) -> Path:
    (tmp_path / "pyproject.toml").write_text(f"[tool.asyncsafe]\n{config}\n", encoding="utf-8")
    package = tmp_path / "app"
    package.mkdir()
    (package / "__init__.py").write_text("", encoding="utf-8")
    (package / "models.py").write_text(textwrap.dedent(MODELS), encoding="utf-8")
    (package / "views.py").write_text(textwrap.dedent(VIEWS), encoding="utf-8")
    return tmp_path


def _codes(result_stdout: str) -> list[tuple[str, int, str]]:
    return [(Path(d["path"]).name, d["line"], d["code"]) for d in json.loads(result_stdout)]


def test_model_bases_makes_subclasses_models(tmp_path: Path) -> None:
    root = _project(tmp_path, 'model-bases = ["plugins.base.Entity"]')
    result = run_cli("check", "--no-cache", "--format", "json", ".", cwd=root)
    assert result.returncode == 1, result.stderr
    assert _codes(result.stdout) == [("views.py", 6, "ASF101")]


def test_without_model_bases_an_unreadable_base_without_fields_is_no_model(tmp_path: Path) -> None:
    root = _project(tmp_path, "")
    result = run_cli("check", "--no-cache", "--format", "json", ".", cwd=root)
    assert result.returncode == 0, result.stdout + result.stderr
    assert _codes(result.stdout) == []


def test_model_bases_must_be_a_list_of_names(tmp_path: Path) -> None:
    root = _project(tmp_path, 'model-bases = "plugins.base.Entity"')
    result = run_cli("check", "--no-cache", ".", cwd=root)
    assert result.returncode == 2
    assert "model-bases" in result.stderr and "expected a list" in result.stderr


def test_flake8_reads_model_bases_option(tmp_path: Path) -> None:
    import subprocess
    import sys

    root = _project(tmp_path, "")
    result = subprocess.run(
        [sys.executable, "-m", "flake8", "--select", "ASF", "--asyncsafe-model-bases", "plugins.base.Entity", "app"],
        cwd=root, capture_output=True, text=True, timeout=300,
    )
    assert "app/views.py:6:12: ASF101" in result.stdout, result.stdout + result.stderr


def test_storage_findings_through_the_cli(tmp_path: Path) -> None:
    (tmp_path / "views.py").write_text(
        textwrap.dedent(
            """
            from django.core.files.storage import default_storage


            async def upload(request):
                default_storage.save("a.txt", request.FILES["f"])
                default_storage.path("a.txt")
            """
        ),
        encoding="utf-8",
    )
    result = run_cli("check", "--no-cache", "views.py", cwd=tmp_path)
    assert result.returncode == 1
    assert "views.py:6:5: ASF260 default_storage.save() waits on the file storage" in result.stdout
    assert "Django has no async storage API" in result.stdout
    assert ":7:" not in result.stdout
