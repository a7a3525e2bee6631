"""ASF2xx beyond the fixtures: version-dependent advice, fixes, cache-backend, cross-module views."""

from __future__ import annotations

import textwrap
from pathlib import Path

import libcst as cst
import pytest

from asyncsafe.catalog import builtin_catalog
from asyncsafe.config import ConfigError, Settings, load_settings
from asyncsafe.engine.facts.context import build_context
from asyncsafe.engine.input.source import Source
from asyncsafe.engine.tree.events import Finding
from asyncsafe.engine.tree.walker import Walker
from asyncsafe.rules import ruleset
from asyncsafe.run.analyze import analyze_source
from asyncsafe.run.runner import run

CODE = cst.Module(body=[])


def findings(text: str, version: str = "6.1", **options: object) -> list[Finding]:
    """Every finding (async and sync) with its fix, straight from one walk."""
    module = cst.parse_module(textwrap.dedent(text))
    settings = Settings(select=("ALL",), django_version=version, **options)  # type: ignore[arg-type]
    ctx = build_context("views.py", settings, builtin_catalog(), ruleset())
    Walker(ctx, ruleset().instantiate(ctx)).run(module)
    return [f for f in ctx.findings if f.function is not None and f.function.is_async]


def messages(text: str, version: str = "6.1", path: str = "views.py", **options: object) -> list[str]:
    settings = Settings(django_version=version, **options)  # type: ignore[arg-type]
    text = textwrap.dedent(text)
    analysis = analyze_source(Source(path, text.encode(), text, "utf-8"), settings)
    return [f"{d.code} {d.message}" for d in analysis.diagnostics]


def rewrites(text: str, version: str = "6.1") -> list[tuple[str, str, tuple[str, ...], bool]]:
    return [
        (CODE.code_for_node(f.fix.target), CODE.code_for_node(f.fix.replacement), f.fix.imports, f.fix.safe)
        for f in findings(text, version)
        if f.fix is not None
    ]


LOGIN = """
    from django.contrib.auth import login
    from django.contrib import auth

    async def sign_in(request, user):
        login(request, user)
        auth.logout(request)
"""


def test_advice_follows_the_configured_django_version() -> None:
    old = messages(LOGIN, "4.2")
    new = messages(LOGIN, "5.0")
    assert "use 'await sync_to_async(login)(...)'" in old[0]
    assert "use 'await sync_to_async(auth.logout)(...)'" in old[1]
    assert "use 'await alogin(...)'" in new[0]
    assert "use 'await auth.alogout(...)'" in new[1]


def test_twin_fixes_exist_only_where_the_twin_does() -> None:
    assert rewrites(LOGIN, "4.2") == []
    assert rewrites(LOGIN, "5.0") == [
        ("login(request, user)", "await auth.alogin(request, user)", (), True),
        ("auth.logout(request)", "await auth.alogout(request)", (), True),
    ]
    only_login = "from django.contrib.auth import login\n\nasync def view(request, user):\n    login(request, user)\n"
    assert rewrites(only_login, "5.0") == [
        ("login(request, user)", "await alogin(request, user)", ("from django.contrib.auth import alogin",), True),
    ]


def test_session_twins_arrive_in_5_1() -> None:
    code = """
        from django.http import HttpResponse

        async def view(request):
            request.session.save()
    """
    assert rewrites(code, "5.0") == []
    assert rewrites(code, "5.1") == [("request.session.save()", "await request.session.asave()", (), True)]
    assert "'await sync_to_async(request.session.save)(...)'" in messages(code, "5.0")[0]


def test_fix_keeps_aliases_imports_and_precedence_right() -> None:
    code = """
        from django.contrib.auth import login as django_login, alogin
        from django.core.cache import cache

        async def view(request, user):
            django_login(request, user)
            size = len(cache.get("k").items)
            first = cache.get_many(["a"])["a"]
    """
    assert rewrites(code) == [
        ("django_login(request, user)", "await alogin(request, user)", (), True),
        ('cache.get("k")', '(await cache.aget("k"))', (), True),
        ('cache.get_many(["a"])', '(await cache.aget_many(["a"]))', (), True),
    ]


def test_no_fix_where_await_would_be_wrong_or_the_name_is_taken() -> None:
    code = """
        from django.contrib.auth import login
        from django.core.cache import cache

        async def view(request, user, keys):
            alogin = None
            login(request, user)
            found = any(cache.get(k) for k in keys)
            values = [cache.get(k) for k in keys]
    """
    assert rewrites(code) == [("cache.get(k)", "await cache.aget(k)", (), True)]
    assert [f.code for f in findings(code)] == ["ASF202", "ASF230", "ASF230"]


def test_lazy_user_fix_is_offered_but_marked_unsafe() -> None:
    code = """
        from django.http import HttpResponse

        async def view(request):
            return request.user.username
    """
    assert rewrites(code, "5.0") == [("request.user", "(await request.auser())", (), False)]
    assert rewrites(code, "4.2") == []
    assert "sync_to_async(auth.get_user)(request)" in messages(code, "4.2")[0]


CACHED = """
    from django.core.cache import cache

    async def view(request):
        return cache.get("k")
"""


def _settings_from(tmp_path: Path, table: str) -> Settings:
    config = tmp_path / "pyproject.toml"
    config.write_text(f"[tool.asyncsafe]\n{table}\n", encoding="utf-8")
    return load_settings(config)


def test_cache_rule_is_opt_in_until_a_backend_with_io_is_named(tmp_path: Path) -> None:
    assert messages(CACHED) == []
    assert [m[:6] for m in messages(CACHED, extend_select=("ASF230",))] == ["ASF230"]
    redis = _settings_from(tmp_path, 'cache-backend = "redis"')
    assert redis.is_enabled("ASF230")
    assert not _settings_from(tmp_path, 'cache-backend = "redis"\nignore = ["ASF230"]').is_enabled("ASF230")
    locmem = _settings_from(tmp_path, 'cache-backend = "locmem"\nselect = ["ALL"]')
    assert not locmem.is_enabled("ASF230") and locmem.is_enabled("ASF201")


def test_cache_backend_must_be_known(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match=r"cache-backend: expected one of .*\"redis\".*got 'mongo'"):
        _settings_from(tmp_path, 'cache-backend = "mongo"')


def _project(tmp_path: Path, files: dict[str, str]) -> list[str]:
    for name, text in files.items():
        path = tmp_path / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(textwrap.dedent(text), encoding="utf-8")
    result = run([str(tmp_path)], Settings(root=str(tmp_path)), use_cache=False, jobs=1)
    assert not result.errors
    return [f"{Path(d.path).name}:{d.line} {d.code}" for d in result.diagnostics]


def test_view_bases_are_followed_across_modules(tmp_path: Path) -> None:
    found = _project(tmp_path, {
        "app/__init__.py": "",
        "app/bases/__init__.py": "from .django import ProjectView\nfrom .drf import ProjectApi\n",
        "app/bases/django.py": """
            from django.views import View

            class ProjectView(View):
                pass
        """,
        "app/bases/drf.py": """
            from rest_framework.views import APIView

            class ProjectApi(APIView):
                pass
        """,
        "app/views.py": """
            from django.http import JsonResponse
            from app.bases import ProjectApi, ProjectView

            class Page(ProjectView):
                async def get(self, request):
                    return JsonResponse({"name": request.user.username})

            class Api(ProjectApi):
                async def get(self, request):
                    return JsonResponse({"name": request.user.username})
        """,
    })
    assert found == ["views.py:7 ASF201"]


def test_unknown_third_party_base_keeps_request_user_silent(tmp_path: Path) -> None:
    found = _project(tmp_path, {
        "views.py": """
            from django.http import JsonResponse
            from rest_framework_simplejwt.views import TokenObtainPairView

            class Token(TokenObtainPairView):
                async def post(self, request):
                    request.session["x"] = 1
                    return JsonResponse({"name": request.user.username})
        """,
    })
    assert found == ["views.py:7 ASF210"]


def test_request_is_not_assumed_outside_django_modules() -> None:
    starlette = """
        from django.conf import settings
        from starlette.responses import JSONResponse

        async def homepage(request):
            return JSONResponse({"user": request.user.display_name})
    """
    plain = """
        async def homepage(request):
            return request.user.display_name
    """
    pytest_request = """
        import pytest
        from django.test import Client

        @pytest.fixture
        async def logged_in(request):
            return request.session.get("x")

        async def test_view(request):
            assert request.user.username
    """
    view_named_test = """
        from django.http import HttpResponse

        async def testimonials(request):
            return HttpResponse(request.user.username)
    """
    annotated_otherwise = """
        from django.http import HttpResponse

        async def handler(request: dict):
            return HttpResponse(request.user.name)
    """
    assert messages(starlette) == []
    assert messages(plain) == []
    assert messages(annotated_otherwise) == []
    assert messages(pytest_request, path="tests/test_views.py") == []
    assert [m[:6] for m in messages(view_named_test)] == ["ASF201"]
