"""The Django version comes from the project: a project pinned to Django 4.2 is never told (or
fixed) to use an async twin 4.2 lacks, whatever Django asyncsafe itself runs next to. Through the
real CLI; the unknown-version wording in-process."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from asyncsafe.config import Settings
from asyncsafe.engine.input.source import Source
from asyncsafe.run.analyze import analyze_source
from conftest import run_cli

VIEWS = '''from django.contrib.auth import authenticate, login


async def sign_in(request):
    user = authenticate(request, username="a", password="b")
    login(request, user)
    return user
'''

PINS = {
    "requirements.txt": "Django>=4.2,<5.0\nrequests==2.31.0\n",
    "requirements/base.txt": "django==4.2.11  # LTS\n",
    "poetry.lock": '[[package]]\nname = "django"\nversion = "4.2.11"\n\n[[package]]\nname = "asgiref"\nversion = "3.8.1"\n',
    "uv.lock": 'version = 1\n\n[[package]]\nname = "django"\nversion = "4.2.16"\nsource = { registry = "https://pypi.org/simple" }\n',
    "Pipfile.lock": json.dumps({"default": {"django": {"version": "==4.2.11"}}}),
    "pyproject.toml": '[project]\nname = "site"\ndependencies = ["django[argon2]~=4.2.0"]\n',
    "setup.cfg": "[options]\ninstall_requires =\n    Django>=4.2\n",
}


def site(root: Path, pin_file: str) -> None:
    (root / ".git").mkdir()
    pin = root / pin_file
    pin.parent.mkdir(parents=True, exist_ok=True)
    pin.write_text(PINS[pin_file], encoding="utf-8")
    (root / "accounts").mkdir()
    (root / "accounts/views.py").write_text(VIEWS, encoding="utf-8")


@pytest.mark.parametrize("pin_file", sorted(PINS))
def test_django_42_pins_get_no_50_twins(tmp_path: Path, pin_file: str) -> None:
    site(tmp_path, pin_file)
    result = run_cli("check", "--no-cache", "--format", "json", ".", cwd=tmp_path)
    assert result.returncode == 1, result.stderr
    messages = [d["message"] for d in json.loads(result.stdout)]
    assert len(messages) == 2
    assert all("sync_to_async" in m for m in messages), messages
    assert not any("alogin" in m or "aauthenticate" in m for m in messages), messages
    shown = run_cli("check", "--show-settings", ".", cwd=tmp_path).stdout
    assert "django-version: 4.2  (the lowest Django the " in shown, shown


@pytest.mark.parametrize("pin_file", ["requirements.txt", "poetry.lock", "uv.lock"])
def test_fix_makes_no_rewrite_42_lacks(tmp_path: Path, pin_file: str) -> None:
    site(tmp_path, pin_file)
    result = run_cli("check", "--no-cache", "--fix", ".", cwd=tmp_path)
    assert result.returncode == 1, result.stderr
    assert (tmp_path / "accounts/views.py").read_text(encoding="utf-8") == VIEWS
    # the same project on Django 5.0 gets the rewrite
    rewritten = run_cli("check", "--no-cache", "--fix", "--django-version", "5.0", ".", cwd=tmp_path)
    assert rewritten.returncode == 0, rewritten.stdout + rewritten.stderr
    assert "await alogin(request, user)" in (tmp_path / "accounts/views.py").read_text(encoding="utf-8")


def test_config_wins_over_pins(tmp_path: Path) -> None:
    site(tmp_path, "requirements.txt")
    (tmp_path / "pyproject.toml").write_text('[tool.asyncsafe]\ndjango-version = "5.0"\n', encoding="utf-8")
    result = run_cli("check", "--no-cache", "--format", "json", ".", cwd=tmp_path)
    assert any("'await alogin(...)'" in d["message"] for d in json.loads(result.stdout))


def test_django_installed_in_the_projects_virtualenv(tmp_path: Path) -> None:
    site(tmp_path, "requirements.txt")  # a range: the environment is more precise
    site_packages = tmp_path / ".venv/lib/python3.12/site-packages"
    (site_packages / "django-5.1.4.dist-info").mkdir(parents=True)
    (tmp_path / ".venv/pyvenv.cfg").write_text("home = /usr/bin\n", encoding="utf-8")
    shown = run_cli("check", "--show-settings", ".", cwd=tmp_path).stdout
    assert f"django-version: 5.1  (Django installed in {tmp_path / '.venv'})" in shown
    assert f"environment: {tmp_path / '.venv'}\n" in shown


def test_unknown_version_names_both_spellings_and_offers_no_rewrite() -> None:
    source = Source("views.py", VIEWS.encode(), VIEWS, "utf-8")
    analysis = analyze_source(source, Settings(django_version=None))
    login = next(d for d in analysis.diagnostics if d.line == 6)
    assert "'await alogin(...)' (Django 5.0+; before that: 'await sync_to_async(login)(...)')" in login.message
    assert login.fixable is None, login
    orm = "from django.contrib.auth.models import User\n\n\nasync def v():\n    return User.objects.get(pk=1)\n"
    [get] = analyze_source(Source("m.py", orm.encode(), orm, "utf-8"), Settings(django_version=None)).diagnostics
    assert "'await User.objects.aget(...)' (Django 4.1+; before that:" in get.message
    assert get.fixable is None


def test_flake8_reads_the_same_pins(tmp_path: Path) -> None:
    import os
    import shutil
    import subprocess
    import sys

    site(tmp_path, "uv.lock")
    beside = Path(sys.executable).parent / "flake8"
    flake8 = str(beside) if beside.exists() else shutil.which("flake8")
    assert flake8 is not None
    env = {**os.environ, "PYTHONDONTWRITEBYTECODE": "1"}
    result = subprocess.run(
        [flake8, "--select", "ASF", "accounts/views.py"], cwd=tmp_path, capture_output=True, text=True, env=env, timeout=300
    )
    lines = result.stdout.splitlines()
    assert len(lines) == 2 and all("sync_to_async" in line and "alogin" not in line for line in lines), result.stdout
