"""The cache can only spare work: it never runs code, never changes a result, never writes through a
link, and is refused when it came with the tree (issue 14, items 1, 6, 9, 13, 15).

Every attack is played through the real CLI. An "attacker" is another user cache directory: the
key that signs entries lives there, as it would on the attacker's machine.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import os
import shutil
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from conftest import console_script, run_cli
from test_cache import ORM_VIEW, SLEEPY, cached_equals_cold, generations, project

HEADER = b"asyncsafe-cache-1 "
FINDING = "app/sleepy.py:5:5: ASF301"


def run_with(root: Path, *args: str, user_cache: Path | None = None, **env: str) -> subprocess.CompletedProcess[str]:
    """The CLI with a different environment: another user's key, a cache directory variable."""
    environment = {**os.environ, "PYTHONDONTWRITEBYTECODE": "1", **env}
    if user_cache is not None:
        environment["ASYNCSAFE_USER_CACHE_DIR"] = str(user_cache)
    return subprocess.run(
        [console_script(), "check", "-q", "--jobs", "1", *args], cwd=root, capture_output=True,
        text=True, env=environment, timeout=300,
    )


def entries(root: Path) -> Iterator[Path]:
    """Every signed entry of the project's cache (manifest and call-graph facts)."""
    for path in (root / ".asyncsafe_cache").rglob("*"):
        if path.is_file() and path.read_bytes().startswith(HEADER):
            yield path


def resign(path: Path, body: bytes, key_directory: Path) -> None:
    """What someone holding the key in ``key_directory`` can write as the entry at ``path``."""
    key = (key_directory / "cache-key").read_bytes()
    engine = next(p for p in path.parents if p.parent.name == ".asyncsafe_cache")
    name = path.relative_to(engine).as_posix()
    signer = hmac.new(key, f"{engine.name}/{name}\0".encode() + body, hashlib.sha256)
    path.write_bytes(HEADER + signer.hexdigest().encode() + b"\n" + body)


def body_of(path: Path) -> bytes:
    return path.read_bytes().split(b"\n", 1)[1]


PAYLOAD = """\
import pathlib

pathlib.Path({marker!r}).write_text("the cache ran project code")
"""


ORM_HELPER = """\
from app.models import Book


def fetch(pk):
    return Book.objects.get(pk=pk)
"""
USES_PAYLOAD = """\
from app import payload
from app.orm_helpers import fetch


async def view(pk):
    return fetch(pk)
"""


def test_a_shipped_cache_naming_exec_runs_nothing(tmp_path: Path) -> None:
    """The old cache named its text scans ``module:qualname`` and called them on every module's
    text: ``builtins:exec`` ran the project's code. A project module here would create a file if it
    were ever executed; a cache made on the attacker's machine names ``exec`` everywhere a scan
    kind goes, signed with the attacker's key, and then again signed with the victim's own key
    (as if the key had leaked): neither runs anything or changes the output."""
    root, attacker = tmp_path / "proj", tmp_path / "attacker"
    root.mkdir()
    project(root)
    marker = tmp_path / "executed"
    (root / "app/payload.py").write_text(PAYLOAD.format(marker=str(marker)), encoding="utf-8")
    (root / "app/orm_helpers.py").write_text(ORM_HELPER, encoding="utf-8")
    (root / "app/uses_payload.py").write_text(USES_PAYLOAD, encoding="utf-8")
    assert run_with(root, user_cache=attacker).returncode == 1
    cold = run_cli("check", "-q", "--no-cache", "--jobs", "1", cwd=root)
    victim = Path(os.environ["ASYNCSAFE_USER_CACHE_DIR"])
    for signer in (attacker, victim):
        forged = 0
        for entry in entries(root):
            body = body_of(entry)
            if b'"django-classes"' in body:
                resign(entry, body.replace(b'"django-classes"', b'"builtins:exec"'), signer)
                forged += 1
        assert forged >= 2  # the manifest and at least one module's facts name a scan
        # A changed file makes the manifest re-run its scans over the new text.
        (root / "app/models.py").write_text(
            (root / "app/models.py").read_text(encoding="utf-8") + "\n\nclass Extra:\n    pass\n",
            encoding="utf-8",
        )
        cold = run_cli("check", "-q", "--no-cache", "--jobs", "1", cwd=root)
        cached = run_cli("check", "-q", "--jobs", "1", cwd=root)
        assert not marker.exists(), "a cache entry executed project code"
        assert (cached.stdout, cached.returncode, cached.stderr) == (cold.stdout, cold.returncode, "")
    assert FINDING in cold.stdout


def test_a_forged_result_that_hides_a_finding_is_ignored(tmp_path: Path) -> None:
    """A manifest whose results were emptied (unsigned, or signed by another user) is ignored and
    rewritten: the finding is reported, and the next run reuses the victim's own results."""
    project(tmp_path)
    attacker = tmp_path.parent / f"{tmp_path.name}-attacker"
    assert FINDING in run_with(tmp_path, user_cache=attacker).stdout
    (manifest,) = (tmp_path / ".asyncsafe_cache").glob("*/manifest-*.json")
    payload = json.loads(body_of(manifest))
    for result in payload["results"].values():
        result[2] = []  # no diagnostics
    forged = json.dumps(payload).encode()
    resign(manifest, forged, attacker)
    assert run_with(tmp_path, user_cache=attacker).stdout == ""  # the attacker's own runs believe it
    for tampered in (forged, body_of(manifest)):  # signed by the attacker; edited after signing
        manifest.write_bytes(manifest.read_bytes().split(b"\n", 1)[0] + b"\n" + tampered)
        assert FINDING in cached_equals_cold(tmp_path)
        before = generations(tmp_path)  # rewritten with the victim's key: now reused
        assert FINDING in cached_equals_cold(tmp_path)
        assert generations(tmp_path) == before


def test_a_symlinked_cache_directory_is_refused_once(tmp_path: Path) -> None:
    root, elsewhere = tmp_path / "proj", tmp_path / "elsewhere"
    root.mkdir()
    elsewhere.mkdir()
    project(root)
    (root / ".asyncsafe_cache").symlink_to(elsewhere, target_is_directory=True)
    result = run_with(root)
    assert FINDING in result.stdout and result.returncode == 1
    assert result.stderr.splitlines() == [
        f"warning: the cache directory {root / '.asyncsafe_cache'} is a symbolic link; running without the cache"
    ]
    assert list(elsewhere.iterdir()) == []


def test_a_cache_directory_tracked_by_git_is_refused(tmp_path: Path) -> None:
    """A cache committed to the repository came with the tree: never read. The check asks git
    again whenever the index changed (here: ``git add`` after a trusted run)."""
    project(tmp_path)
    git = ["git", "-c", "user.name=t", "-c", "user.email=t@t"]
    subprocess.run([*git, "init", "-q"], cwd=tmp_path, check=True)
    first = run_with(tmp_path)
    assert first.stderr == "" and FINDING in first.stdout
    assert run_with(tmp_path).stderr == ""  # the index is unchanged: git is not asked again
    subprocess.run([*git, "add", "-f", ".asyncsafe_cache"], cwd=tmp_path, check=True)
    refused = run_with(tmp_path)
    assert refused.stderr.splitlines() == [
        f"warning: the cache directory {tmp_path / '.asyncsafe_cache'} is tracked by git; running without the cache"
    ]
    assert FINDING in refused.stdout and refused.returncode == 1


def test_a_dangling_gitignore_link_is_not_followed(tmp_path: Path) -> None:
    root, target = tmp_path / "proj", tmp_path / "created-through-the-link"
    root.mkdir()
    project(root)
    (root / ".asyncsafe_cache").mkdir()
    (root / ".asyncsafe_cache/.gitignore").symlink_to(target)
    assert FINDING in run_with(root).stdout
    assert not target.exists() and not os.path.lexists(target)
    assert (root / ".asyncsafe_cache/.gitignore").is_symlink()
    assert list((root / ".asyncsafe_cache").glob("*/manifest-*.json"))  # the cache still works


def test_an_entry_replaced_by_a_link_is_replaced_not_written_through(tmp_path: Path) -> None:
    root, outside = tmp_path / "proj", tmp_path / "outside.txt"
    root.mkdir()
    project(root)
    cached_equals_cold(root)
    outside.write_text("keep me\n", encoding="utf-8")
    (manifest,) = (root / ".asyncsafe_cache").glob("*/manifest-*.json")
    manifest.unlink()
    manifest.symlink_to(outside)
    (root / "app/sleepy.py").write_text(SLEEPY + "\n", encoding="utf-8")  # the manifest is written
    assert FINDING in cached_equals_cold(root)
    assert outside.read_text(encoding="utf-8") == "keep me\n"
    assert not manifest.is_symlink() and manifest.read_bytes().startswith(HEADER)


@pytest.mark.skipif(not hasattr(os, "geteuid") or os.geteuid() != 0, reason="needs root to chown")
def test_a_cache_directory_of_another_user_is_refused(tmp_path: Path) -> None:
    project(tmp_path)
    (tmp_path / ".asyncsafe_cache").mkdir()
    os.chown(tmp_path / ".asyncsafe_cache", 65534, 65534)
    result = run_with(tmp_path)
    assert result.stderr.splitlines() == [
        f"warning: the cache directory {tmp_path / '.asyncsafe_cache'} belongs to another user; "
        "running without the cache"
    ]
    assert FINDING in result.stdout and list((tmp_path / ".asyncsafe_cache").iterdir()) == []


def test_cache_location_follows_config_then_environment_then_project_root(tmp_path: Path) -> None:
    root, elsewhere = tmp_path / "proj", tmp_path / "env-cache"
    root.mkdir()
    project(root)
    from_parent = run_with(tmp_path, "proj")  # run from outside the project: never the cwd
    assert "proj/app/sleepy.py:5:5: ASF301" in from_parent.stdout
    assert (root / ".asyncsafe_cache").is_dir() and not (tmp_path / ".asyncsafe_cache").exists()
    shutil.rmtree(root / ".asyncsafe_cache")
    assert FINDING in run_with(root, ASYNCSAFE_CACHE_DIR=str(elsewhere)).stdout
    assert list(elsewhere.glob("*/manifest-*.json")) and not (root / ".asyncsafe_cache").exists()
    (root / "pyproject.toml").write_text('[tool.asyncsafe]\ncache-dir = "build/lint-cache"\n', encoding="utf-8")
    assert FINDING in run_with(root, ASYNCSAFE_CACHE_DIR=str(elsewhere)).stdout
    assert list((root / "build/lint-cache").glob("*/manifest-*.json"))
    (root / "pyproject.toml").write_text("[tool.asyncsafe]\ncache-dir = 3\n", encoding="utf-8")
    bad = run_with(root)
    assert bad.returncode == 2 and "cache-dir: expected a directory path (string), got 3" in bad.stderr


def test_an_unwritable_key_directory_runs_without_cache(tmp_path: Path) -> None:
    project(tmp_path)
    blocker = tmp_path.parent / f"{tmp_path.name}-not-a-dir"
    blocker.write_text("", encoding="utf-8")
    result = run_with(tmp_path, user_cache=blocker / "sub")
    assert FINDING in result.stdout and result.returncode == 1
    assert len(result.stderr.splitlines()) == 1 and "the cache key" in result.stderr
    assert not (tmp_path / ".asyncsafe_cache").exists()


def test_the_key_is_private(tmp_path: Path) -> None:
    project(tmp_path)
    keys = tmp_path.parent / f"{tmp_path.name}-keys"
    run_with(tmp_path, user_cache=keys)
    assert (keys / "cache-key").stat().st_mode & 0o777 == 0o600
    (keys / "cache-key").chmod(0o644)
    result = run_with(tmp_path, user_cache=keys)
    assert "is not a private file of the current user; running without the cache" in result.stderr


def test_leftovers_of_killed_runs_and_old_manifests_are_removed(tmp_path: Path) -> None:
    project(tmp_path)
    cached_equals_cold(tmp_path)
    (current,) = (tmp_path / ".asyncsafe_cache").glob("*/manifest-*.json")
    engine = current.parent
    cache = engine.parent
    old = time.time() - 30 * 24 * 3600
    killed, in_flight = engine / ".tmp-killed", engine / ".tmp-in-flight"
    for path in (killed, in_flight):
        path.write_bytes(b"half a manifest")
    os.utime(killed, (old, old))
    stale_manifests = [engine / f"manifest-{index:020d}.json" for index in range(12)]
    for path in stale_manifests:
        path.write_bytes(b"x")
        os.utime(path, (old, old))
    old_engine, unknown = cache / "0123456789abcdef", cache / "not-ours"
    for directory in (old_engine, unknown):
        (directory / "ab").mkdir(parents=True)
        (directory / "ab/entry").write_bytes(b"x")
        os.utime(directory, (old, old))
    cached_equals_cold(tmp_path)
    assert not killed.exists() and in_flight.exists()  # a concurrent run's file is left alone
    assert len(list(engine.glob("manifest-*.json"))) == 8 and current.read_bytes().startswith(HEADER)
    assert not old_engine.exists() and (unknown / "ab/entry").exists()


def test_adding_files_keeps_one_manifest(tmp_path: Path) -> None:
    project(tmp_path)
    cached_equals_cold(tmp_path)
    for index in range(3):
        (tmp_path / f"app/late{index}.py").write_text(ORM_VIEW, encoding="utf-8")
        assert f"app/late{index}.py:5:12: ASF" in cached_equals_cold(tmp_path)
        assert len(list((tmp_path / ".asyncsafe_cache").glob("*/manifest-*.json"))) == 1
    (tmp_path / "app/late0.py").unlink()
    assert "app/late0.py" not in cached_equals_cold(tmp_path)
    assert "app/late0.py" not in generations(tmp_path)


def settle(root: Path) -> None:
    """Past the racily-clean window: the next run trusts every ``stat`` it recorded (so what follows
    tests the stat key itself, not the re-hash of recently modified files)."""
    cached_equals_cold(root)
    time.sleep(2.1)
    cached_equals_cold(root)


def test_an_equal_size_edit_with_the_mtime_restored_is_seen(tmp_path: Path) -> None:
    project(tmp_path)
    sleepy = tmp_path / "app/sleepy.py"
    settle(tmp_path)
    stat = sleepy.stat()
    edited = SLEEPY.replace("time.sleep(1)", "time.sleep(2)")
    assert len(edited) == len(SLEEPY)
    sleepy.write_text(edited, encoding="utf-8")
    os.utime(sleepy, ns=(stat.st_atime_ns, stat.st_mtime_ns))  # touch -r, cp -p, rsync -t
    assert sleepy.stat().st_mtime_ns == stat.st_mtime_ns
    before = generations(tmp_path)
    assert FINDING in cached_equals_cold(tmp_path)
    assert generations(tmp_path)["app/sleepy.py"] > before["app/sleepy.py"]


def test_a_symlink_swap_between_same_mtime_releases_is_seen(tmp_path: Path) -> None:
    project(tmp_path)
    helpers = tmp_path / "app/helpers.py"
    releases = tmp_path / "releases"  # inside the project: a link may only point there
    blocking = "import time\n\n\ndef load():\n    time.sleep(9)\n"
    clean = "import time\n\n\ndef load():\n    return 123456\n"
    assert len(blocking) == len(clean)
    for name, text in (("v1", clean), ("v2", blocking)):
        (releases / name).mkdir(parents=True)
        (releases / name / "helpers.py").write_text(text, encoding="utf-8")
        os.utime(releases / name / "helpers.py", ns=(1_600_000_000_000_000_000,) * 2)
    helpers.unlink()
    helpers.symlink_to(releases / "v1/helpers.py")
    settle(tmp_path)
    assert "app/views.py" not in cached_equals_cold(tmp_path)
    swap = tmp_path / "app/helpers.tmp"
    swap.symlink_to(releases / "v2/helpers.py")
    os.replace(swap, helpers)
    assert "app/views.py:5:12: ASF601" in cached_equals_cold(tmp_path)


def _cannot_read_everything() -> list[str]:
    """A command prefix under which a mode-000 file is unreadable: root keeps its uid (the
    interpreter lives in its home) but loses the capabilities that read anything."""
    if not hasattr(os, "geteuid") or os.geteuid() != 0:
        return []
    setpriv = shutil.which("setpriv")
    if setpriv is None:
        pytest.skip("root reads any file, and setpriv is not there to drop that")
    drop = "-dac_override,-dac_read_search"
    return [setpriv, f"--bounding-set={drop}", f"--inh-caps={drop}"]


def test_a_file_made_unreadable_is_not_answered_from_the_cache(tmp_path: Path) -> None:
    """chmod 000 changes only the ctime: the run must say the file cannot be read, not print what
    it said before."""
    prefix = _cannot_read_everything()
    project(tmp_path)

    def check() -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [*prefix, console_script(), "check", "-q", "--jobs", "1"], cwd=tmp_path,
            capture_output=True, text=True, timeout=300,
            env={**os.environ, "PYTHONDONTWRITEBYTECODE": "1"},
        )

    settle(tmp_path)
    sleepy = tmp_path / "app/sleepy.py"
    sleepy.chmod(0)
    try:
        locked = check()
    finally:
        sleepy.chmod(0o644)
    assert locked.returncode == 2 and FINDING not in locked.stdout
    assert locked.stderr.splitlines() == ["app/sleepy.py: error: cannot read: Permission denied"]
    assert FINDING in check().stdout


@pytest.mark.skipif(sys.platform in ("darwin", "win32"), reason="the file system requires UTF-8 names")
def test_a_file_name_that_is_not_utf8_keeps_cached_runs_working(tmp_path: Path) -> None:
    """Manifest keys are file names as the OS gives them (surrogate escapes): one undecodable
    name once made every cached run fail. Its result is stored and reused like any other."""
    project(tmp_path)
    odd = os.path.join(os.fsencode(tmp_path), b"app", b"caf\xe9.py")
    with open(odd, "w", encoding="utf-8") as out:
        out.write("from app.helpers import load\n\n\nasync def view():\n    return load()\n")
    first = cached_equals_cold(tmp_path)
    assert FINDING in first
    name = os.path.relpath(os.fsdecode(odd), tmp_path)
    before = generations(tmp_path)
    assert name in before
    assert cached_equals_cold(tmp_path) == first
    assert generations(tmp_path) == before


def test_an_engine_directory_replaced_by_a_link_is_neither_written_nor_tidied(tmp_path: Path) -> None:
    root, outside = tmp_path / "proj", tmp_path / "outside"
    root.mkdir()
    outside.mkdir()
    project(root)
    cached_equals_cold(root)
    (manifest,) = (root / ".asyncsafe_cache").glob("*/manifest-*.json")
    engine = manifest.parent
    old = time.time() - 30 * 24 * 3600
    planted = [outside / ".tmp-precious", *(outside / f"manifest-{i:020d}.json" for i in range(12))]
    for path in planted:
        path.write_bytes(b"precious")
        os.utime(path, (old, old))
    shutil.rmtree(engine)
    engine.symlink_to(outside, target_is_directory=True)
    (root / "app/sleepy.py").write_text(SLEEPY + "\n", encoding="utf-8")  # something to write
    assert FINDING in cached_equals_cold(root)
    assert sorted(outside.iterdir()) == sorted(planted)
    assert all(path.read_bytes() == b"precious" for path in planted)
