"""ASF7xx against real Django: `manage.py check --deploy` with the optional app reports the
deployment rules, and Django's own DEBUG log proves which middleware it adapts under ASGI."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from conftest import run_cli

pytest.importorskip("django")

PROJECTS = Path(__file__).resolve().parent / "deploy_projects"
ADAPTED = "Asynchronous handler adapted for middleware "

# Each sync-only middleware sits right above an async-only one (or the async view handler), so
# Django has to adapt the async handler below each of them. (Above a sync one there is nothing to
# adapt, and MiddlewareMixin classes follow the mode of what is below them.)
PROOF_SETTINGS = '''
from .base import *  # noqa: F403

DEBUG = True
ALLOWED_HOSTS = ["*"]
MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "audit.middleware.LedgerMiddleware",
    "audit.middleware.TraceMiddleware",
    "audit.middleware.wallclock",
    "audit.middleware.TraceMiddleware",
    "audit.middleware.RequestStampMiddleware",
    "audit.middleware.BareAsyncMiddleware",
    "audit.middleware.stopwatch",
    "django.contrib.sessions.middleware.SessionMiddleware",
]
'''

SERVE_ONE_REQUEST = '''
import asyncio, json, logging, os
os.environ["DJANGO_SETTINGS_MODULE"] = "config.settings.proof"
import django
django.setup()
seen = []
class Keep(logging.Handler):
    def emit(self, record):
        seen.append(record.getMessage())
log = logging.getLogger("django.request")
log.setLevel(logging.DEBUG)
log.addHandler(Keep())
from django.test import AsyncClient
async def main():
    response = await AsyncClient(raise_request_exception=False).get("/ping")
    return response.status_code
status = asyncio.run(main())
print(json.dumps({"status": status, "log": seen}))
'''


def django_run(root: Path, *args: str, settings: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "DJANGO_SETTINGS_MODULE": settings, "PYTHONDONTWRITEBYTECODE": "1"}
    return subprocess.run([sys.executable, *args], cwd=root, env=env, capture_output=True, text=True, timeout=300)


@pytest.fixture
def project(tmp_path: Path) -> Path:
    root = tmp_path / "split"
    shutil.copytree(PROJECTS / "split", root)
    return root


def test_manage_py_check_deploy_reports_the_rules(project: Path) -> None:
    production = project / "config/settings/production.py"
    production.write_text(
        production.read_text(encoding="utf-8") + 'INSTALLED_APPS += ["asyncsafe.django_checks"]\n', encoding="utf-8"
    )
    deploy = django_run(project, "manage.py", "check", "--deploy", settings="config.settings.production")
    assert deploy.returncode == 0, deploy.stderr
    out = deploy.stdout + deploy.stderr
    assert "config/settings/production.py:4: (asyncsafe.W001) ASF701 database 'default' keeps its connection open for 600 seconds" in out
    for line, name in ((9, "LedgerMiddleware"), (12, "wallclock"), (13, "BareAsyncMiddleware")):
        assert f"config/settings/base.py:{line}: (asyncsafe.W002) ASF702 middleware 'audit.middleware.{name}' is sync-only" in out
    assert "config/settings/production.py:6: (asyncsafe.W002) ASF702 middleware 'whitenoise.middleware.WhiteNoiseMiddleware'" in out
    assert "config/wsgi.py:5: (asyncsafe.W003) ASF703" in out
    assert "HINT: set CONN_MAX_AGE = 0" in out
    assert out.count("(asyncsafe.") == 6, out
    # Registered with deploy=True: a plain `check` does not run them.
    plain = django_run(project, "manage.py", "check", settings="config.settings.production")
    assert plain.returncode == 0 and "asyncsafe." not in plain.stdout + plain.stderr


def test_noqa_and_config_apply_to_the_django_checks(project: Path) -> None:
    production = project / "config/settings/production.py"
    text = production.read_text(encoding="utf-8").replace("# expect: ASF701", "# noqa: ASF701")
    production.write_text(text + 'INSTALLED_APPS += ["asyncsafe.django_checks"]\n', encoding="utf-8")
    (project / "pyproject.toml").write_text('[tool.asyncsafe]\nignore = ["ASF703"]\n', encoding="utf-8")
    out = django_run(project, "manage.py", "check", "--deploy", settings="config.settings.production")
    text = out.stdout + out.stderr
    assert "asyncsafe.W002" in text and "asyncsafe.W001" not in text and "asyncsafe.W003" not in text, text


def test_django_adapts_exactly_the_middleware_asf702_flags(project: Path) -> None:
    """Django's DEBUG log line 'Asynchronous handler adapted for middleware X' appears for X
    exactly when asyncsafe reports X as sync-only (ASF702)."""
    (project / "config/settings/proof.py").write_text(PROOF_SETTINGS, encoding="utf-8")
    served = django_run(project, "-c", SERVE_ONE_REQUEST, settings="config.settings.proof")
    assert served.returncode == 0, served.stderr
    log = json.loads(served.stdout.splitlines()[-1])["log"]
    adapted = {line.removeprefix(ADAPTED).rstrip(".") for line in log if line.startswith(ADAPTED)}

    checked = run_cli(
        "check", "--no-cache", "--format", "json", "--select", "ASF702", "--settings", "config.settings.proof", ".",
        cwd=project,
    )
    flagged = {
        d["message"].split("'")[1]
        for d in json.loads(checked.stdout)
        if d["path"] == "config/settings/proof.py"
    }
    assert flagged == {
        "audit.middleware.LedgerMiddleware", "audit.middleware.wallclock", "audit.middleware.BareAsyncMiddleware",
    }
    assert adapted == flagged, log


INSPECT_DJANGO = """
import importlib, json
import django
from django.conf import settings
settings.configure(INSTALLED_APPS=[
    "django.contrib.auth", "django.contrib.contenttypes", "django.contrib.sessions",
    "django.contrib.messages", "django.contrib.sites", "django.contrib.flatpages",
    "django.contrib.redirects", "django.contrib.admindocs",
])
django.setup()
from pathlib import Path
base = Path(django.__file__).parent
found = {}
for path in [*base.glob("middleware/*.py"), *base.glob("contrib/*/middleware.py")]:
    name = ".".join(("django", *path.relative_to(base).with_suffix("").parts))
    module = importlib.import_module(name)
    for attribute, value in vars(module).items():
        if attribute.endswith("Middleware") and isinstance(value, type) and value.__module__ == name:
            found[f"{name}.{attribute}"] = getattr(value, "async_capable", False)
print(json.dumps(found))
"""


def test_the_catalog_matches_the_installed_django() -> None:
    """Every middleware the installed Django ships is in deploy/middleware.toml, and has
    async_capable = True (the attribute load_middleware reads), as the catalog says."""
    from asyncsafe.deploy.middleware import catalog

    inspected = subprocess.run([sys.executable, "-c", INSPECT_DJANGO], capture_output=True, text=True, timeout=120)
    assert inspected.returncode == 0, inspected.stderr
    shipped: dict[str, bool] = json.loads(inspected.stdout)
    listed = {name for name, entry in catalog().items() if entry.package == "django"}
    assert len(shipped) > 15 and set(shipped) <= listed, set(shipped) - listed
    assert all(shipped.values()), [name for name, capable in shipped.items() if not capable]
