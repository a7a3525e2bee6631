"""The installed console script, end to end: exit codes, bad input, noqa, config, output formats."""

from __future__ import annotations

import gc
import json
import os
import subprocess
from pathlib import Path

import pytest
from conftest import console_script, run_cli

BAD = "import time\n\n\nasync def view(request):\n    time.sleep(1)\n"
CLEAN = "import asyncio\n\n\nasync def view(request):\n    await asyncio.sleep(1)\n"


def write(root: Path, name: str, text: str | bytes) -> Path:
    path = root / name
    path.parent.mkdir(parents=True, exist_ok=True)
    if isinstance(text, bytes):
        path.write_bytes(text)
    else:
        path.write_text(text, encoding="utf-8")
    return path


def check(root: Path, *args: str):
    return run_cli("check", "--no-cache", *args, cwd=root)


def test_clean_tree_exits_0(tmp_path: Path) -> None:
    write(tmp_path, "app/views.py", CLEAN)
    result = check(tmp_path)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "All checks passed" in result.stdout


def test_findings_exit_1_with_sorted_path_line_col_lines(tmp_path: Path) -> None:
    write(tmp_path, "b.py", BAD)
    write(tmp_path, "a.py", BAD + "    time.sleep(2)\n")
    result = check(tmp_path, "--quiet")
    assert result.returncode == 1
    lines = result.stdout.splitlines()
    assert [line.split(" ")[0] for line in lines] == ["a.py:5:5:", "a.py:6:5:", "b.py:5:5:"]
    assert all(" ASF301 time.sleep() " in line and "asyncio.sleep" in line for line in lines)


def test_default_path_is_current_directory(tmp_path: Path) -> None:
    write(tmp_path, "pkg/mod.py", BAD)
    result = run_cli("check", "--no-cache", "-q", cwd=tmp_path)
    assert result.returncode == 1
    assert result.stdout.startswith("pkg/mod.py:5:5: ASF301")


def test_noqa_variants(tmp_path: Path) -> None:
    body = (
        "import time\n\nasync def v():\n"
        "    time.sleep(1)  # noqa\n"
        "    time.sleep(2)  # noqa: ASF301\n"
        "    time.sleep(3)  # noqa:ASF304,ASF301\n"
        "    time.sleep(4)  # noqa: ASF304\n"
        "    time.sleep(5)  # NOQA: ASF3\n"
        "    time.sleep(6)  # noqa : ASF304\n"
        "    time.sleep(7)  # noqa: ASF304 because vendored\n"
    )
    write(tmp_path, "m.py", body)
    result = check(tmp_path, "-q")
    reported = [line.split(":")[1] for line in result.stdout.splitlines()]
    # flake8 semantics: prefixes suppress; "# noqa :" (space before the colon) is a bare noqa
    assert reported == ["7", "10"], result.stdout


def test_json_output_parses_back(tmp_path: Path) -> None:
    write(tmp_path, "m.py", BAD)
    result = check(tmp_path, "--format", "json")
    assert result.returncode == 1
    data = json.loads(result.stdout)
    assert data == [
        {
            "path": "m.py",
            "line": 5,
            "column": 5,
            "end_line": 5,
            "end_column": 18,
            "code": "ASF301",
            "message": data[0]["message"],
            "suggestion": "'await asyncio.sleep(...)'",
            "fixable": "safe",
            "url": "docs/rules.md#asf301-blocking-sleep",
            "fix": data[0]["fix"],
        }
    ]
    assert data[0]["fix"]["edits"]
    assert "time.sleep()" in data[0]["message"]


def test_statistics_and_output_file(tmp_path: Path) -> None:
    write(tmp_path, "m.py", BAD + "    import requests\n    requests.get('u')\n    time.sleep(3)\n")
    result = check(tmp_path, "--statistics", "-q")
    assert result.stdout.splitlines() == [
        "2  ASF301  [2 fixable]  time.sleep() inside async code",
        "1  ASF304               a sync HTTP client call inside async code",
    ]
    out = tmp_path / "report.json"
    result = check(tmp_path, "--format", "json", "--output-file", str(out))
    assert result.returncode == 1 and result.stdout == ""
    assert len(json.loads(out.read_text())) == 3


def test_select_ignore_extend_select(tmp_path: Path) -> None:
    body = BAD + "    import os\n    os.path.exists('x')\n    open('f')\n"
    write(tmp_path, "m.py", body)
    codes = lambda *a: sorted({l.split()[1] for l in check(tmp_path, "-q", *a).stdout.splitlines()})  # noqa: E731
    assert codes() == ["ASF301", "ASF303"]
    assert codes("--extend-select", "ASF390") == ["ASF301", "ASF303", "ASF390"]
    assert codes("--select", "ASF303") == ["ASF303"]
    assert codes("--ignore", "ASF3") == []
    assert codes("--ignore", "ASF3", "--select", "ASF301") == ["ASF301"]  # more specific wins
    assert codes("--select", "ALL", "--ignore", "ASF303") == ["ASF301", "ASF390"]


def test_rules_and_explain() -> None:
    rules = run_cli("rules")
    assert rules.returncode == 0
    assert any(line.startswith("ASF301  blocking-sleep") for line in rules.stdout.splitlines())
    explain = run_cli("explain", "asf301")
    assert explain.returncode == 0
    for part in ("time.sleep", "every request", "Example:", "Use instead:", "await asyncio.sleep"):
        assert part in explain.stdout
    unknown = run_cli("explain", "ASF999")
    assert unknown.returncode == 2 and "unknown rule code" in unknown.stderr


def test_version_and_help() -> None:
    version = run_cli("--version")
    assert version.returncode == 0 and version.stdout.startswith("asyncsafe ")
    helptext = run_cli("check", "--help")
    assert helptext.returncode == 0
    for option in ("--select", "--ignore", "--extend-select", "--exclude", "--format", "--statistics", "--quiet"):
        assert option in helptext.stdout
    assert run_cli().returncode == 2


@pytest.mark.parametrize(
    ("name", "content", "reason"),
    [
        ("syntax.py", "async def f(:\n    pass\n", "syntax error at line 1"),
        ("latin.py", b"x = '\xff\xfe'\nasync def f(): pass\n", "line 1 is not valid utf-8"),
        ("declared.py", b"# -*- coding: ascii -*-\nx = '\xc3\xa9'\nasync def f(): pass\n", "line 2 is not valid ascii"),
        ("nul.py", b"async def f():\n    pass\x00\n", "contains a NUL byte"),
        ("cookie.py", b"# -*- coding: nonsense -*-\nasync def f(): pass\n", "invalid encoding declaration"),
    ],
)
def test_bad_input_is_one_line_and_the_run_goes_on(tmp_path: Path, name: str, content: str | bytes, reason: str) -> None:
    write(tmp_path, name, content)
    write(tmp_path, "zz_good.py", BAD)
    before = (tmp_path / name).read_bytes()
    result = check(tmp_path, "-q")
    assert result.returncode == 2
    errors = result.stderr.strip().splitlines()
    assert len(errors) == 1 and errors[0].startswith(f"{name}: error: ") and reason in errors[0], errors
    assert "zz_good.py:5:5: ASF301" in result.stdout  # the other file was still checked
    assert (tmp_path / name).read_bytes() == before  # check never writes to a checked file


def test_missing_path_and_unreadable_file(tmp_path: Path) -> None:
    write(tmp_path, "ok.py", CLEAN)
    result = check(tmp_path, "missing.py", "ok.py")
    assert result.returncode == 2
    assert result.stderr.strip() == "missing.py: error: no such file or directory"
    if os.geteuid() != 0:  # root reads anything
        locked = write(tmp_path, "locked.py", BAD)
        locked.chmod(0)
        result = check(tmp_path, "locked.py")
        assert result.returncode == 2 and "locked.py: error: cannot read" in result.stderr


def test_directory_given_as_file_argument_is_walked(tmp_path: Path) -> None:
    write(tmp_path, "sub/x.py", BAD)
    assert check(tmp_path, "sub").returncode == 1


def test_empty_file_is_clean(tmp_path: Path) -> None:
    write(tmp_path, "empty.py", "")
    result = check(tmp_path)
    assert result.returncode == 0, result.stderr


def test_discovery_skips_vendored_and_never_loops(tmp_path: Path) -> None:
    for skipped in (".git/x.py", ".venv/lib/x.py", "node_modules/x.py", "__pycache__/x.py", "build/x.py",
                    "env2/lib/x.py", "pkg.egg-info/x.py"):
        write(tmp_path, skipped, BAD)
    write(tmp_path, "env2/pyvenv.cfg", "home = /usr\n")
    write(tmp_path, "src/app.py", BAD)
    (tmp_path / "src" / "loop").symlink_to(tmp_path / "src", target_is_directory=True)
    (tmp_path / "src" / "alias.py").symlink_to(tmp_path / "src" / "app.py")
    result = check(tmp_path, "-q")
    assert result.returncode == 1
    assert result.stdout.splitlines() == [line for line in result.stdout.splitlines() if line.startswith("src/")]
    assert len(result.stdout.splitlines()) == 1, result.stdout  # app.py once, not via loop/ or alias.py


def test_explicit_file_in_default_excluded_dir_is_checked(tmp_path: Path) -> None:
    write(tmp_path, "build/gen.py", BAD)
    assert check(tmp_path, "build/gen.py").returncode == 1
    assert check(tmp_path, "build/gen.py", "--extend-exclude", "gen.py").returncode == 0


def test_pyproject_config_is_applied(tmp_path: Path) -> None:
    write(
        tmp_path,
        "pyproject.toml",
        '[project]\nname = "x"\n\n[tool.asyncsafe]\nextend-select = ["ASF390"]\nignore = ["ASF303"]\n'
        'extend-exclude = ["legacy"]\nper-file-ignores = { "scripts/*" = ["ASF301"] }\n',
    )
    body = BAD + "    import os\n    os.path.exists('x')\n    open('f')\n"
    write(tmp_path, "app/m.py", body)
    write(tmp_path, "legacy/old.py", BAD)
    write(tmp_path, "scripts/s.py", BAD)
    result = run_cli("check", "--no-cache", "-q", "app", "legacy", "scripts", cwd=tmp_path)
    found = sorted(line.split(": ")[1].split()[0] + "@" + line.split(":")[0] for line in result.stdout.splitlines())
    assert found == ["ASF301@app/m.py", "ASF390@app/m.py"], result.stdout
    # run from a subdirectory: the nearest pyproject above the checked path still applies
    sub = run_cli("check", "--no-cache", "-q", ".", cwd=tmp_path / "app")
    assert sorted(l.split()[1] for l in sub.stdout.splitlines()) == ["ASF301", "ASF390"]


@pytest.mark.parametrize(
    ("toml", "expected"),
    [
        ('selec = ["ASF"]', "unknown key 'selec'"),
        ('select = "ASF301"', "select: expected a list of rule codes"),
        ('ignore = ["ASF999"]', "unknown rule code or prefix 'ASF999'"),
        ('django-version = "9.9"', "django-version: expected a Django version"),
        ('per-file-ignores = ["x"]', "per-file-ignores: expected a table"),
        ('exclude = [1]', "exclude: expected a list of glob patterns"),
        ("select = [", "invalid TOML"),
    ],
)
def test_config_errors_exit_2_with_one_line(tmp_path: Path, toml: str, expected: str) -> None:
    write(tmp_path, "pyproject.toml", f"[tool.asyncsafe]\n{toml}\n")
    write(tmp_path, "m.py", BAD)
    result = check(tmp_path)
    assert result.returncode == 2
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and "pyproject.toml" in lines[0] and expected in lines[0], lines
    assert result.stdout == ""


def test_explicit_config_file(tmp_path: Path) -> None:
    write(tmp_path, "custom.toml", '[tool.asyncsafe]\nignore = ["ASF301"]\n')
    write(tmp_path, "m.py", BAD)
    assert check(tmp_path, "--config", "custom.toml").returncode == 0
    missing = check(tmp_path, "--config", "nope.toml")
    assert missing.returncode == 2 and "nope.toml: error: config file does not exist" in missing.stderr


def test_usage_errors_exit_2(tmp_path: Path) -> None:
    assert check(tmp_path, "--select", "NOPE").returncode == 2
    assert check(tmp_path, "--format", "xml").returncode == 2
    assert check(tmp_path, "--django-version", "1.0").returncode == 2


def test_cache_reuses_and_invalidates(tmp_path: Path) -> None:
    target = write(tmp_path, "m.py", BAD)
    first = run_cli("check", "-q", cwd=tmp_path)
    assert (tmp_path / ".asyncsafe_cache").is_dir()
    second = run_cli("check", "-q", cwd=tmp_path)
    assert first.stdout == second.stdout and second.returncode == 1
    target.write_text(CLEAN, encoding="utf-8")
    third = run_cli("check", "-q", cwd=tmp_path)
    assert third.returncode == 0 and third.stdout == ""


def test_parallel_run_matches_serial(tmp_path: Path) -> None:
    for index in range(12):
        write(tmp_path, f"pkg/m{index:02}.py", BAD)
    serial = check(tmp_path, "-q", "--jobs", "1")
    parallel = check(tmp_path, "-q", "--jobs", "2")
    assert serial.stdout == parallel.stdout and len(serial.stdout.splitlines()) == 12


def test_closed_pipe_is_not_a_crash() -> None:
    import subprocess

    from conftest import console_script

    pipeline = subprocess.run(
        f"'{console_script()}' rules --catalog | head -1", shell=True, capture_output=True, text=True
    )
    assert pipeline.stdout.strip() and "Traceback" not in pipeline.stderr, pipeline.stderr


def test_the_command_exits_with_all_its_output_flushed(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    # The console script skips the interpreter's teardown (os._exit): every byte a long report
    # buffered must still reach the reader, with the exit code main() returns.
    from asyncsafe.cli import main

    for number in range(300):
        (tmp_path / f"view_{number}.py").write_text(BAD, encoding="utf-8")
    process = run_cli("check", ".", "--no-cache", "--output-format", "json", cwd=tmp_path)
    monkeypatch.chdir(tmp_path)
    assert gc.isenabled()
    code = main(["check", ".", "--no-cache", "--output-format", "json"])
    assert gc.isenabled(), "only the console script turns the collector off for good"
    assert (process.returncode, process.stdout) == (code, capsys.readouterr().out)
    assert code == 1 and len(json.loads(process.stdout)) == 300
    # Printed, not written through the report's file; and block-buffered, as in a user's shell.
    buffered = {k: v for k, v in os.environ.items() if k != "PYTHONUNBUFFERED"}
    listed = subprocess.run(
        [console_script(), "rules"], cwd=tmp_path, capture_output=True, text=True, env=buffered, timeout=300
    )
    assert (listed.returncode, listed.stdout) == (main(["rules"]), capsys.readouterr().out)


def test_a_reader_that_goes_away_gets_no_traceback(tmp_path: Path) -> None:
    for number in range(300):
        (tmp_path / f"view_{number}.py").write_text(BAD, encoding="utf-8")
    process = subprocess.run(
        f"'{console_script()}' check . --no-cache --output-format full | head -n 1",
        shell=True, cwd=tmp_path, capture_output=True, text=True, timeout=300,
    )
    assert process.stdout.count("\n") == 1 and "ASF301" in process.stdout
    assert process.stderr == ""
