"""ASF7xx, the ASGI deployment: fixture projects in tests/deploy_projects checked by the real
CLI and by flake8; every flagged line carries `# expect: CODE`, clean look-alikes carry none."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from collections import Counter
from pathlib import Path

import pytest

from conftest import run_cli
from markers import expected

PROJECTS = Path(__file__).resolve().parent / "deploy_projects"
NAMES = sorted(path.name for path in PROJECTS.iterdir() if path.is_dir())


def markers(root: Path) -> Counter[tuple[str, int, str]]:
    found: Counter[tuple[str, int, str]] = Counter()
    for path in sorted(root.rglob("*.py")):
        relative = path.relative_to(root).as_posix()
        for (line, code), count in expected(path.read_text(encoding="utf-8")).items():
            found[(relative, line, code)] += count
    return found


def copy_project(name: str, tmp_path: Path) -> Path:
    target = tmp_path / name
    shutil.copytree(PROJECTS / name, target)
    return target


@pytest.mark.parametrize("name", NAMES)
def test_cli_reports_exactly_the_marked_lines(name: str, tmp_path: Path) -> None:
    root = copy_project(name, tmp_path)
    result = run_cli("check", "--no-cache", "--format", "json", "--extend-select", "ASF790", ".", cwd=root)
    assert result.returncode in (0, 1), result.stderr
    got = Counter((d["path"], d["line"], d["code"]) for d in json.loads(result.stdout))
    want = markers(root)
    assert got == want, f"missing: {want - got}\nunexpected: {got - want}"


@pytest.mark.parametrize("name", ["split", "wrapped"])
def test_flake8_reports_the_same_lines(name: str, tmp_path: Path) -> None:
    root = copy_project(name, tmp_path)
    result = subprocess.run(
        [sys.executable, "-m", "flake8", "--select", "ASF7", "--format", "%(path)s:%(row)d:%(code)s", "."],
        cwd=root, capture_output=True, text=True, timeout=300,
    )
    got = Counter(tuple(line.removeprefix("./").split(":")) for line in result.stdout.splitlines())
    want = Counter((path, str(line), code) for (path, line, code), n in markers(root).items() for _ in range(n))
    assert got == want, result.stdout + result.stderr


def test_messages_name_the_evidence(tmp_path: Path) -> None:
    root = copy_project("split", tmp_path)
    result = run_cli("check", "--no-cache", "-q", ".", cwd=root)
    lines = result.stdout.splitlines()
    conn = next(line for line in lines if " ASF701 " in line)
    assert conn.startswith("config/settings/production.py:4:40: ASF701 database 'default' keeps its connection open for 600 seconds")
    assert "Procfile:2 runs gunicorn -k uvicorn.workers.UvicornWorker config.asgi:application" in conn
    ledger = next(line for line in lines if "LedgerMiddleware" in line)
    assert "a class with a sync __call__ and no async_capable = True" in ledger


def test_settings_override_picks_the_deployed_module(tmp_path: Path) -> None:
    """--settings (or settings-module) replaces what asgi.py names: dev's CONN_MAX_AGE = 60 is
    then the deployed value, and production's line is no longer the one served."""
    root = copy_project("split", tmp_path)
    result = run_cli("check", "--no-cache", "-q", "--select", "ASF701", "--settings", "config.settings.dev", ".", cwd=root)
    assert [line.split(": ")[0] for line in result.stdout.splitlines()] == ["config/settings/dev.py:5:40"]
    (root / "pyproject.toml").write_text('[tool.asyncsafe]\nsettings-module = "config.settings.dev"\n', encoding="utf-8")
    configured = run_cli("check", "--no-cache", "-q", "--select", "ASF701", ".", cwd=root)
    assert configured.stdout == result.stdout
    bad = run_cli("check", "--no-cache", "--settings", "config/settings.py", ".", cwd=root)
    assert bad.returncode == 2 and "dotted module name" in bad.stderr


def test_computed_values_are_never_guessed(tmp_path: Path) -> None:
    root = copy_project("split", tmp_path)
    production = root / "config/settings/production.py"
    text = production.read_text(encoding="utf-8")
    production.write_text(text.replace("= 600", "= int(os.environ.get('AGE', '600'))"), encoding="utf-8")
    result = run_cli("check", "--no-cache", "-q", "--select", "ASF701", ".", cwd=root)
    assert result.returncode == 0, result.stdout
    production.write_text(text.replace("DEBUG = False", "if DEBUG:\n    MIDDLEWARE = []"), encoding="utf-8")
    maybe = run_cli("check", "--no-cache", "-q", "--select", "ASF702", ".", cwd=root)
    # base.py's entries are gone when DEBUG is set; the one inserted afterwards is there either way.
    assert [line.split(": ")[0] for line in maybe.stdout.splitlines()] == ["config/settings/production.py:7:22"]


@pytest.mark.parametrize(
    ("caches", "sessions", "codes"),
    [
        ('{"default": {"BACKEND": "django.core.cache.backends.redis.RedisCache"}}', "signed_cookies", {"ASF230"}),
        ('{"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}', "cache", set()),
        ('{"default": {"BACKEND": "django.core.cache.backends.db.DatabaseCache"}}', "cache", {"ASF230", "ASF210"}),
        ("env.cache()", "db", {"ASF210"}),  # computed: ASF230 stays opt-in, unset
        (None, "signed_cookies", set()),  # no CACHES: Django's LocMemCache
    ],
)
def test_caches_and_session_engine_decide_asf230_and_asf210(
    caches: str | None, sessions: str, codes: set[str], tmp_path: Path
) -> None:
    root = copy_project("cached", tmp_path)
    settings = root / "blog/settings.py"
    lines = [line for line in settings.read_text(encoding="utf-8").splitlines() if not line.startswith(("CACHES", "SESSION_ENGINE"))]
    if caches is not None:
        lines.append(f"CACHES = {caches}")
    lines.append(f'SESSION_ENGINE = "django.contrib.sessions.backends.{sessions}"')
    settings.write_text("\n".join(lines) + "\n", encoding="utf-8")
    result = run_cli("check", "--no-cache", "--format", "json", "--select", "ASF2", ".", cwd=root)
    assert {d["code"] for d in json.loads(result.stdout)} == codes, result.stdout + result.stderr
    # ... and asking for ASF230 explicitly cannot turn it on for a cache that does no I/O.
    forced = run_cli("check", "--no-cache", "--format", "json", "--select", "ASF230", ".", cwd=root)
    assert ("ASF230" in {d["code"] for d in json.loads(forced.stdout)}) == ("locmem" not in (caches or "locmem")), forced.stdout


def test_cache_backend_setting_wins_over_the_deployment(tmp_path: Path) -> None:
    root = copy_project("cached", tmp_path)
    (root / "pyproject.toml").write_text('[tool.asyncsafe]\ncache-backend = "locmem"\n', encoding="utf-8")
    result = run_cli("check", "--no-cache", "--format", "json", ".", cwd=root)
    assert json.loads(result.stdout) == [], result.stdout


def write_project(root: Path, files: dict[str, str]) -> Path:
    for name, text in files.items():
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
    return root


ASGI = 'import os\nfrom django.core.asgi import get_asgi_application\nos.environ.setdefault("DJANGO_SETTINGS_MODULE", "site.settings")\napplication = get_asgi_application()\n'


def test_dj_database_url_and_daphne_are_certain(tmp_path: Path) -> None:
    root = write_project(tmp_path, {
        "site/__init__.py": "",
        "site/asgi.py": ASGI,
        "site/settings.py": (
            "import dj_database_url\n"
            'INSTALLED_APPS = ["daphne", "django.contrib.auth"]\n'
            'DATABASES = {"default": dj_database_url.config(conn_max_age=600)}\n'
        ),
    })
    result = run_cli("check", "--no-cache", "-q", ".", cwd=root)
    assert result.stdout.startswith("site/settings.py:3:61: ASF701 "), result.stdout
    assert "'daphne' is in INSTALLED_APPS" in result.stdout


def test_code_that_may_rebind_settings_makes_them_unknown(tmp_path: Path) -> None:
    """django-split-settings' include(), globals() and unresolved star imports can rebind any
    name: what was assigned before them is no longer certain, what is assigned after is."""
    root = write_project(tmp_path, {
        "site/__init__.py": "",
        "site/asgi.py": ASGI,
        "site/legacy.py": "class Sync:\n    def __call__(self, request):\n        return None\n",
        "site/settings.py": (
            'INSTALLED_APPS = ["channels"]\n'
            'MIDDLEWARE = ["site.legacy.Sync"]\n'
            'DATABASES = {"default": {"CONN_MAX_AGE": 60}}\n'
            "from split_settings.tools import include\n"
            'include("components/*.py")\n'
            'DATABASES["replica"] = {"CONN_MAX_AGE": 30}\n'
        ),
    })
    result = run_cli("check", "--no-cache", "-q", ".", cwd=root)
    assert result.returncode == 0, result.stdout  # DATABASES itself is unknown after include()
    settings = root / "site/settings.py"
    settings.write_text(settings.read_text(encoding="utf-8").replace('include("components/*.py")', "from thirdparty.defaults import *"), encoding="utf-8")
    assert run_cli("check", "--no-cache", "-q", ".", cwd=root).returncode == 0
    settings.write_text(settings.read_text(encoding="utf-8").replace("from thirdparty.defaults import *", "pass"), encoding="utf-8")
    known = run_cli("check", "--no-cache", "-q", ".", cwd=root).stdout.splitlines()
    assert [line.split(" ")[:2] for line in known] == [
        ["site/settings.py:2:15:", "ASF702"], ["site/settings.py:3:42:", "ASF701"], ["site/settings.py:6:41:", "ASF701"],
    ]


def test_cached_results_follow_the_deployment_files(tmp_path: Path) -> None:
    """The results of unchanged settings files are re-computed when what they depend on changes:
    the Procfile (not a Python module) and asgi.py (which names the settings module)."""
    root = copy_project("split", tmp_path)

    def conn_lines() -> list[str]:
        result = run_cli("check", "-q", "--select", "ASF701", ".", cwd=root)
        return [line.split(": ")[0] for line in result.stdout.splitlines()]

    assert conn_lines() == ["config/settings/production.py:4:40"]
    assert conn_lines() == ["config/settings/production.py:4:40"]  # warm: from the cache
    procfile = root / "Procfile"
    served = procfile.read_text(encoding="utf-8")
    procfile.write_text(served.replace(" -k uvicorn.workers.UvicornWorker", ""), encoding="utf-8")
    assert conn_lines() == []  # gunicorn's sync worker: WSGI, persistent connections are fine
    procfile.write_text(served, encoding="utf-8")
    assert conn_lines() == ["config/settings/production.py:4:40"]
    asgi = root / "config/asgi.py"
    asgi.write_text(asgi.read_text(encoding="utf-8").replace("settings.production", "settings.dev"), encoding="utf-8")
    assert conn_lines() == ["config/settings/dev.py:5:40"]


def test_conditional_settings_keep_what_both_branches_agree_on(tmp_path: Path) -> None:
    root = write_project(tmp_path, {
        "site/__init__.py": "",
        "site/asgi.py": ASGI,
        "site/legacy.py": "class Sync:\n    def __call__(self, request):\n        return None\n",
        "site/settings.py": (
            "import os\n"
            'INSTALLED_APPS = ["channels"]\n'
            'MIDDLEWARE = ["site.legacy.Sync"]\n'
            'if os.environ.get("AUDIT"):\n'
            '    MIDDLEWARE = ["site.legacy.Sync2"] + MIDDLEWARE\n'
            'DATABASES = {"default": {"CONN_MAX_AGE": 0}}\n'
            'if os.environ.get("PERSIST"):\n'
            '    DATABASES["default"]["CONN_MAX_AGE"] = 600\n'
        ),
    })
    result = run_cli("check", "--no-cache", "-q", ".", cwd=root)
    # Sync is in MIDDLEWARE either way; Sync2 and CONN_MAX_AGE = 600 only maybe.
    assert [line.split(" ")[:2] for line in result.stdout.splitlines()] == [["site/settings.py:3:15:", "ASF702"]], result.stdout


def test_settings_files_are_read_for_the_deployment_rules_without_a_tree(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # A file that passed the prefilter only for ASF7xx holds no async body: it is held to the
    # grammar, its placed findings are reported, and libcst never parses it (issue 15).
    import libcst

    from asyncsafe.config import load_settings
    from asyncsafe.run import runner

    root = copy_project("split", tmp_path)
    parsed: list[str] = []
    parse = libcst.parse_module

    def recording(source: str, *args: object, **kwargs: object) -> libcst.Module:
        parsed.append(source)
        return parse(source, *args, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(libcst, "parse_module", recording)
    monkeypatch.chdir(root)
    result = runner.run(["."], load_settings(root / "pyproject.toml") if (root / "pyproject.toml").exists()
                        else load_settings(None), use_cache=False, jobs=1)
    placed = {d.path for d in result.diagnostics if d.code.startswith("ASF7")}
    assert placed, result
    texts = {Path(path).read_text(encoding="utf-8") for path in placed}
    assert not [text for text in parsed if text in texts and "async def" not in text]

    broken = next(root.rglob("settings*.py"), None) or next(iter(placed))
    Path(broken).write_text(Path(broken).read_text(encoding="utf-8") + "\nMIDDLEWARE = [\n", encoding="utf-8")
    again = run_cli("check", "--no-cache", ".", cwd=root)
    assert again.returncode == 2 and "syntax error" in again.stderr, again.stderr
