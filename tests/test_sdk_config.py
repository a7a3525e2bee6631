"""[tool.asyncsafe] blocking-calls / safe-calls and `rules --catalog`, through the real CLI."""

from __future__ import annotations

import json
import pickle
import textwrap
from pathlib import Path

import pytest
from conftest import run_cli

from asyncsafe.config import Settings, load_settings

VIEWS = """
    import legacy_client
    import redis
    from mycompany import billing
    from mycompany.billing import aio

    r = redis.Redis()


    async def view(order, client: legacy_client.Client):
        billing.charge(order)
        client.fetch(order)
        await aio.charge(order)
        r.get("k")
        r.ping()
"""


def project(tmp_path: Path, options: str, source: str = VIEWS) -> Path:
    (tmp_path / "pyproject.toml").write_text(
        "[tool.asyncsafe]\n" + textwrap.dedent(options), encoding="utf-8"
    )
    (tmp_path / "views.py").write_text(textwrap.dedent(source), encoding="utf-8")
    return tmp_path


def findings(tmp_path: Path, *extra: str) -> list[dict[str, object]]:
    result = run_cli("check", "--format", "json", *extra, ".", cwd=tmp_path)
    assert result.returncode in (0, 1), result.stderr
    found: list[dict[str, object]] = json.loads(result.stdout)
    return found


def test_blocking_calls_are_reported_with_the_configured_suggestion(tmp_path: Path) -> None:
    project(tmp_path, """
        blocking-calls = { "mycompany.billing.*" = "use mycompany.billing.aio", "legacy_client.Client.fetch" = "wrap in sync_to_async" }
    """)
    found = {(d["line"], d["code"]): d for d in findings(tmp_path, "--no-cache")}
    assert sorted(found) == [(11, "ASF400"), (12, "ASF400"), (14, "ASF401"), (15, "ASF401")]
    assert found[(11, "ASF400")]["suggestion"] == "use mycompany.billing.aio"
    assert found[(12, "ASF400")]["message"] == (
        "legacy_client.Client.fetch() is declared blocking ([tool.asyncsafe] blocking-calls); "
        "wrap in sync_to_async"
    )


def test_safe_calls_silence_catalog_and_configured_matches(tmp_path: Path) -> None:
    project(tmp_path, """
        blocking-calls = { "mycompany.billing.*" = "use mycompany.billing.aio" }
        safe-calls = ["mycompany.billing.charge", "redis.Redis.ping"]
    """)
    assert [(d["line"], d["code"]) for d in findings(tmp_path, "--no-cache")] == [(14, "ASF401")]


def test_changing_the_options_invalidates_the_cache(tmp_path: Path) -> None:
    project(tmp_path, 'safe-calls = ["redis.Redis.*"]\n')
    assert findings(tmp_path) == []
    project(tmp_path, 'safe-calls = ["redis.Redis.ping"]\n')
    assert [d["line"] for d in findings(tmp_path)] == [14]


@pytest.mark.parametrize(
    ("options", "expected"),
    [
        ('blocking-calls = ["a.b"]\n', 'expected a table of "name pattern" = "suggestion"'),
        ('blocking-calls = { "*.fetch" = "x" }\n', "'*.fetch' is not a pattern of dotted names"),
        ('blocking-calls = { "a..b" = "x" }\n', "'a..b' is not a pattern of dotted names"),
        ('blocking-calls = { "a.[bc" = "x" }\n', "'a.[bc' is not a pattern of dotted names"),
        ('blocking-calls = { "a.b" = "" }\n', "the suggestion for 'a.b' must be a non-empty one-line string"),
        ('blocking-calls = { "a.b" = 3 }\n', "the suggestion for 'a.b' must be a non-empty one-line string"),
        ('safe-calls = "a.b"\n', "expected a list of name patterns (strings)"),
        ('safe-calls = ["a.b", 7]\n', "expected a name pattern (string), got 7"),
        ('safe-calls = ["my app.x"]\n', "'my app.x' is not a pattern of dotted names"),
    ],
)
def test_bad_options_exit_2_with_one_line_naming_file_and_key(
    tmp_path: Path, options: str, expected: str
) -> None:
    project(tmp_path, options)
    key = options.split(" =")[0]
    for command in (["check", "."], ["rules", "--catalog"]):
        result = run_cli(*command, cwd=tmp_path)
        assert result.returncode == 2, result.stdout
        lines = result.stderr.splitlines()
        assert len(lines) == 1, result.stderr
        assert lines[0].startswith(f"{tmp_path / 'pyproject.toml'}: error: [tool.asyncsafe] {key}: ")
        assert expected in lines[0]


def test_settings_with_patterns_pickle_and_fingerprint(tmp_path: Path) -> None:
    project(tmp_path, """
        blocking-calls = { "legacy_client.Client.fetch" = "wrap in sync_to_async" }
        safe-calls = ["myapp.helpers.*"]
    """)
    settings = load_settings(tmp_path / "pyproject.toml")
    assert pickle.loads(pickle.dumps(settings)) == settings
    assert settings.fingerprint() != Settings(django_version=settings.django_version).fingerprint()
    assert settings.is_safe_call("myapp.helpers.format_price")
    assert not settings.is_safe_call("myapp.views.index")


def test_rules_catalog_lists_entries_and_configuration(tmp_path: Path) -> None:
    project(tmp_path, """
        blocking-calls = { "legacy_client.Client.fetch" = "wrap in sync_to_async" }
        safe-calls = ["redis.Redis.ping"]
    """)
    result = run_cli("rules", "--catalog", cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    lines = result.stdout.splitlines()
    assert "ASF400  legacy_client.Client.fetch()  ->  wrap in sync_to_async" in lines
    assert "ASF301  time.sleep()  ->  'await asyncio.sleep(...)'" in lines
    assert any(line.startswith("ASF401  redis.Redis.*()  ->  ") for line in lines)
    assert any(line.startswith("ASF413  stripe.*.create()  ->  ") for line in lines)
    assert any(line.startswith("ASF491 (opt-in)  celery.app.task.Task.delay()") for line in lines)
    assert any(line.startswith("ASF403  iterating pymongo.cursor.Cursor  ->  ") for line in lines)
    assert lines[-1] == "safe-calls (never reported): redis.Redis.ping"
