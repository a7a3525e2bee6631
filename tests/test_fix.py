"""--fix / --diff / --unsafe-fixes: the real console script on real files, and the splicing
mechanism other rule families attach their fixes to."""

from __future__ import annotations

import os
import stat
import textwrap
from pathlib import Path
from typing import TypeVar

import libcst as cst
import pytest
from conftest import run_cli

from asyncsafe.config import Settings
from asyncsafe.engine.input.source import Source, read_source
from asyncsafe.engine.tree.events import Fix
from asyncsafe.fix import FileChange, apply_fixes, fix_source, write_atomically
from asyncsafe.rules import rewrites

N = TypeVar("N", bound=cst.CSTNode)

SLEEPY = '''\
"""A view module."""
from __future__ import annotations

import time
import time as t
from time import sleep
from time import sleep as nap


async def view(request):
    time.sleep(1)
    t.sleep(2)
    sleep(3)
    x = (nap(0.5))  # keep this comment
    return x


def helper():
    time.sleep(1)
'''


def write(tmp_path: Path, name: str, text: str) -> Path:
    path = tmp_path / name
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(textwrap.dedent(text), encoding="utf-8")
    return path


def asf(result_stdout: str, code: str = "ASF301") -> list[str]:
    return [line for line in result_stdout.splitlines() if f" {code} " in line]


# --- the CLI ------------------------------------------------------------------------------------


def test_diff_prints_the_rewrite_and_writes_nothing(tmp_path: Path) -> None:
    path = write(tmp_path, "views.py", SLEEPY)
    before = path.read_bytes()
    result = run_cli("check", "--no-cache", "--diff", "views.py", cwd=tmp_path)
    assert result.returncode == 1, result.stderr
    assert path.read_bytes() == before
    assert result.stdout.startswith("--- views.py\n+++ views.py\n")
    assert "+import asyncio\n" in result.stdout
    assert "\n-    time.sleep(1)\n" in result.stdout
    assert "\n+    await asyncio.sleep(1)\n" in result.stdout
    assert "+    x = (await asyncio.sleep(0.5))  # keep this comment\n" in result.stdout
    assert "Would fix 4 findings in 1 file." in result.stderr


def test_diff_of_a_clean_file_is_empty_and_exits_0(tmp_path: Path) -> None:
    write(tmp_path, "ok.py", "import asyncio\n\nasync def f():\n    await asyncio.sleep(1)\n")
    result = run_cli("check", "--no-cache", "--diff", "ok.py", cwd=tmp_path)
    assert (result.returncode, result.stdout) == (0, ""), result.stderr


def test_fix_rewrites_every_sleep_adds_the_import_once_and_is_idempotent(tmp_path: Path) -> None:
    path = write(tmp_path, "views.py", SLEEPY)
    first = run_cli("check", "--no-cache", "--fix", "views.py", cwd=tmp_path)
    assert first.returncode == 0, first.stdout + first.stderr
    assert "Fixed 4 findings in 1 file." in first.stdout
    fixed = path.read_text(encoding="utf-8")
    assert fixed == SLEEPY.replace(
        "import time\n", "import time\n", 1
    ).replace(
        "from time import sleep as nap\n", "from time import sleep as nap\nimport asyncio\n"
    ).replace("    time.sleep(1)\n    t.sleep(2)\n    sleep(3)\n    x = (nap(0.5))", (
        "    await asyncio.sleep(1)\n    await asyncio.sleep(2)\n    await asyncio.sleep(3)\n"
        "    x = (await asyncio.sleep(0.5))"
    ))
    assert fixed.count("import asyncio") == 1
    assert "def helper():\n    time.sleep(1)\n" in fixed  # sync code is not async code
    second = run_cli("check", "--no-cache", "--fix", "views.py", cwd=tmp_path)
    assert second.returncode == 0 and "Fixed" not in second.stdout, second.stdout
    assert path.read_text(encoding="utf-8") == fixed
    assert run_cli("check", "--no-cache", "views.py", cwd=tmp_path).returncode == 0


def test_fix_reports_what_remains_and_exits_1(tmp_path: Path) -> None:
    write(tmp_path, "views.py", """\
        import subprocess
        import time

        async def view(request):
            time.sleep(1)
            subprocess.run(["ls"])
    """)
    result = run_cli("check", "--no-cache", "--fix", "views.py", cwd=tmp_path)
    assert result.returncode == 1
    assert asf(result.stdout, "ASF301") == []
    assert len(asf(result.stdout, "ASF302")) == 1
    assert "views.py:7:5: ASF302" in result.stdout  # positions after the fix (import added)
    assert "Fixed 1 finding in 1 file." in result.stdout


def test_fix_keeps_suppressed_ignored_and_unselected_findings(tmp_path: Path) -> None:
    (tmp_path / "pyproject.toml").write_text(
        '[tool.asyncsafe]\nper-file-ignores = { "legacy.py" = ["ASF301"] }\n', encoding="utf-8"
    )
    noqa = write(tmp_path, "noqa.py", "import time\n\nasync def f():\n    time.sleep(1)  # noqa: ASF301\n")
    legacy = write(tmp_path, "legacy.py", "import time\n\nasync def f():\n    time.sleep(1)\n")
    unselected = write(tmp_path, "other.py", "import time\n\nasync def f():\n    time.sleep(1)\n")
    before = {p: p.read_bytes() for p in (noqa, legacy, unselected)}
    result = run_cli("check", "--no-cache", "--fix", "--ignore", "ASF301", "other.py", cwd=tmp_path)
    assert result.returncode == 0, result.stdout + result.stderr
    result = run_cli("check", "--no-cache", "--fix", "noqa.py", "legacy.py", cwd=tmp_path)
    assert result.returncode == 0, result.stdout + result.stderr
    assert {p: p.read_bytes() for p in before} == before


def test_fix_never_puts_await_where_it_cannot_go(tmp_path: Path) -> None:
    source = """\
        import time

        async def view(items):
            lazy = any(time.sleep(1) for _ in items)
            callback = lambda: time.sleep(1)

            def inner():
                time.sleep(1)

            return lazy, callback, inner
    """
    path = write(tmp_path, "views.py", source)
    result = run_cli("check", "--no-cache", "--fix", "views.py", cwd=tmp_path)
    assert result.returncode == 1
    assert path.read_text(encoding="utf-8") == textwrap.dedent(source)
    assert len(asf(result.stdout)) == 1  # the generator expression: reported, not rewritten
    assert "fixable" not in result.stdout  # and not counted as fixable


def test_fix_uses_an_existing_import_under_its_alias(tmp_path: Path) -> None:
    path = write(tmp_path, "views.py", """\
        import asyncio as aio
        import time

        async def view():
            time.sleep(1)
    """)
    run_cli("check", "--no-cache", "--fix", "views.py", cwd=tmp_path)
    fixed = path.read_text(encoding="utf-8")
    assert "    await aio.sleep(1)\n" in fixed
    assert "import asyncio\n" not in fixed


def test_fix_does_not_import_a_name_the_code_already_uses(tmp_path: Path) -> None:
    source = """\
        import time

        async def assigned_later():
            time.sleep(1)
            asyncio = "not the module"
            return asyncio
    """
    path = write(tmp_path, "views.py", source)
    result = run_cli("check", "--no-cache", "--fix", "views.py", cwd=tmp_path)
    assert result.returncode == 1
    assert path.read_text(encoding="utf-8") == textwrap.dedent(source)
    assert len(asf(result.stdout)) == 1


def test_a_class_attribute_does_not_hide_the_module_import_from_methods(tmp_path: Path) -> None:
    path = write(tmp_path, "views.py", """\
        import time

        class Service:
            asyncio = None

            async def method(self):
                time.sleep(1)
    """)
    result = run_cli("check", "--no-cache", "--fix", "views.py", cwd=tmp_path)
    assert result.returncode == 0, result.stdout
    fixed = path.read_text(encoding="utf-8")
    assert fixed.startswith("import time\nimport asyncio\n")
    assert "        await asyncio.sleep(1)\n" in fixed


@pytest.mark.parametrize(
    ("header", "expected_prefix"),
    [
        ("", "import asyncio\n"),
        ('"""Docs."""\n', '"""Docs."""\n\nimport asyncio\n'),
        ("#!/usr/bin/env python\n# comment\n", "#!/usr/bin/env python\n# comment\nimport asyncio\n"),
    ],
)
def test_import_goes_after_the_docstring_in_a_file_without_imports(
    tmp_path: Path, header: str, expected_prefix: str
) -> None:
    path = tmp_path / "views.py"
    # The import of `time` comes last: nothing to insert after at the top of the file.
    path.write_text(header + "async def view():\n    time.sleep(1)\n\nimport time\n", encoding="utf-8")
    run_cli("check", "--no-cache", "--fix", "views.py", cwd=tmp_path)
    assert path.read_text(encoding="utf-8").startswith(expected_prefix)


def test_fix_keeps_encoding_bom_line_endings_and_mode(tmp_path: Path) -> None:
    latin = tmp_path / "latin.py"
    latin.write_bytes(
        b"# -*- coding: latin-1 -*-\r\nimport time\r\n\r\nasync def f():\r\n"
        b"    time.sleep(1)  # caf\xe9\r\n"
    )
    bom = tmp_path / "bom.py"
    bom.write_bytes(b"\xef\xbb\xbfimport time\n\nasync def f():\n    time.sleep(1)  # \xc3\xa9\n")
    latin.chmod(0o640)
    result = run_cli("check", "--no-cache", "--fix", "latin.py", "bom.py", cwd=tmp_path)
    assert result.returncode == 0, result.stdout + result.stderr
    assert latin.read_bytes() == (
        b"# -*- coding: latin-1 -*-\r\nimport time\r\nimport asyncio\r\n\r\nasync def f():\r\n"
        b"    await asyncio.sleep(1)  # caf\xe9\r\n"
    )
    assert stat.S_IMODE(latin.stat().st_mode) == 0o640
    assert bom.read_bytes() == (
        b"\xef\xbb\xbfimport time\nimport asyncio\n\nasync def f():\n"
        b"    await asyncio.sleep(1)  # \xc3\xa9\n"
    )
    assert sorted(p.name for p in tmp_path.iterdir()) == ["bom.py", "latin.py"]  # no temp files


def test_fix_through_a_symlink_rewrites_the_target(tmp_path: Path) -> None:
    target = write(tmp_path, "real.py", "import time\n\nasync def f():\n    time.sleep(1)\n")
    link = tmp_path / "link.py"
    link.symlink_to(target)
    run_cli("check", "--no-cache", "--fix", "link.py", cwd=tmp_path)
    assert link.is_symlink()
    assert "await asyncio.sleep(1)" in target.read_text(encoding="utf-8")


def test_fix_bypasses_the_cache_for_files_with_findings(tmp_path: Path) -> None:
    path = write(tmp_path, "views.py", "import time\n\nasync def f():\n    time.sleep(1)\n")
    assert run_cli("check", "views.py", cwd=tmp_path).returncode == 1  # fills the cache
    assert (tmp_path / ".asyncsafe_cache").is_dir()
    result = run_cli("check", "--fix", "views.py", cwd=tmp_path)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "await asyncio.sleep(1)" in path.read_text(encoding="utf-8")


def test_fix_in_parallel_over_many_files(tmp_path: Path) -> None:
    for number in range(12):
        write(tmp_path, f"m{number}.py", f"import time\n\nasync def f():\n    time.sleep({number})\n")
    result = run_cli("check", "--no-cache", "--fix", "--jobs", "2", ".", cwd=tmp_path)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "Fixed 12 findings in 12 files." in result.stdout
    for number in range(12):
        assert f"await asyncio.sleep({number})" in (tmp_path / f"m{number}.py").read_text(encoding="utf-8")


def test_unsafe_fixes_apply_only_when_asked(tmp_path: Path) -> None:
    source = """\
        import os

        async def cleanup(path):
            if os.path.exists(path):
                os.remove(path)
            os.chmod(path, 0o644)
    """
    path = write(tmp_path, "files.py", source)
    safe_only = run_cli("check", "--no-cache", "--extend-select", "ASF390", "--fix", "files.py", cwd=tmp_path)
    assert safe_only.returncode == 1
    assert path.read_text(encoding="utf-8") == textwrap.dedent(source)
    assert "2 fixable with --unsafe-fixes." in safe_only.stdout
    unsafe = run_cli(
        "check", "--no-cache", "--extend-select", "ASF390", "--fix", "--unsafe-fixes", "files.py", cwd=tmp_path
    )
    fixed = path.read_text(encoding="utf-8")
    assert "from aiofiles.ospath import exists\nfrom aiofiles.os import remove\n" in fixed
    assert "    if await exists(path):\n        await remove(path)\n    os.chmod(path, 0o644)\n" in fixed
    assert unsafe.returncode == 1 and len(asf(unsafe.stdout, "ASF390")) == 1  # os.chmod has no twin


def test_a_file_that_does_not_parse_is_left_alone(tmp_path: Path) -> None:
    path = write(tmp_path, "broken.py", "import time\nasync def f(:\n    time.sleep(1)\n")
    before = path.read_bytes()
    result = run_cli("check", "--no-cache", "--fix", "broken.py", cwd=tmp_path)
    assert result.returncode == 2
    assert "broken.py: error: syntax error" in result.stderr
    assert path.read_bytes() == before


# --- refusals: what the fixer verifies before it writes --------------------------------------------


def source_of(tmp_path: Path, text: str) -> Source:
    path = write(tmp_path, "views.py", text)
    found = read_source(str(path))
    assert isinstance(found, Source)
    return found


def test_a_rewrite_that_would_not_compile_is_refused(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    source = source_of(tmp_path, "import time\n\nasync def f():\n    time.sleep(1)\n")

    def await_in_sync_code(module: cst.Module, fixes: list[Fix]) -> tuple[cst.Module, list[Fix]]:
        return cst.parse_module("def f():\n    await g()\n"), list(fixes)

    monkeypatch.setattr("asyncsafe.fix.apply_fixes", await_in_sync_code)
    outcome = fix_source(source, Settings())
    assert outcome.change is None
    assert outcome.warning is not None and "would not compile at line 2" in outcome.warning
    assert [d.code for d in outcome.diagnostics] == ["ASF301"]


def test_a_rewrite_that_leaves_its_finding_is_refused(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    source = source_of(tmp_path, "import time\n\nasync def f():\n    time.sleep(1)\n")

    def cosmetic(module: cst.Module, fixes: list[Fix]) -> tuple[cst.Module, list[Fix]]:
        return cst.parse_module(module.code + "\n# touched\n"), list(fixes)

    monkeypatch.setattr("asyncsafe.fix.apply_fixes", cosmetic)
    outcome = fix_source(source, Settings())
    assert outcome.change is None
    assert outcome.warning is not None and "still holds the findings" in outcome.warning


def test_write_refuses_a_file_changed_since_it_was_read(tmp_path: Path) -> None:
    path = write(tmp_path, "views.py", "x = 1\n")
    change = FileChange(str(path), b"x = 0\n", b"x = 2\n", "utf-8", 1, ())
    error = write_atomically(change)
    assert error is not None and "changed on disk" in error.reason
    assert path.read_text(encoding="utf-8") == "x = 1\n"
    assert os.listdir(tmp_path) == ["views.py"]


# --- the mechanism other rule families attach fixes to ---------------------------------------------


def nodes(module: cst.Module, kind: type[N] | tuple[type[N], ...]) -> list[N]:
    """Every node of ``kind`` in ``module``, in source order."""
    found: list[N] = []

    class Finder(cst.CSTVisitor):
        def on_visit(self, node: cst.CSTNode) -> bool:
            if isinstance(node, kind):
                found.append(node)
            return True

    module.visit(Finder())
    return found


def calls_named(module: cst.Module, method: str) -> list[cst.Call]:
    return [
        call for call in nodes(module, cst.Call)
        if isinstance(call.func, cst.Attribute) and call.func.attr.value == method
    ]


def test_method_twin_is_parenthesized_where_await_binds_too_loosely() -> None:
    module = cst.parse_module(
        "async def f(qs):\n    name = qs.get(pk=1).name\n    first = qs.get()[0]\n    qs.get()\n"
    )
    # No parent given: the splicer itself parenthesizes where `await` binds too loosely.
    fixes = [rewrites.await_method_twin(call, "aget", None) for call in calls_named(module, "get")]
    fixed, applied = apply_fixes(module, [f for f in fixes if f is not None])
    assert len(applied) == 3
    assert fixed.code == (
        "async def f(qs):\n    name = (await qs.aget(pk=1)).name\n"
        "    first = (await qs.aget())[0]\n    await qs.aget()\n"
    )


def test_nested_fixes_compose_in_one_pass() -> None:
    module = cst.parse_module(
        "async def f(qs):\n    for book in qs:\n        book.save()\n    return [b async for b in qs]\n"
    )
    loop = nodes(module, cst.For)[0]
    save = calls_named(module, "save")[0]
    # The loop's replacement is built from the original loop, whose body holds the original
    # `book.save()`: the splicer grafts the rewritten call into it.
    fixes = [
        Fix(loop, loop.with_changes(asynchronous=cst.Asynchronous())),
        rewrites.await_method_twin(save, "asave", None),
    ]
    fixed, applied = apply_fixes(module, [f for f in fixes if f is not None])
    assert len(applied) == 2
    assert fixed.code == (
        "async def f(qs):\n    async for book in qs:\n        await book.asave()\n"
        "    return [b async for b in qs]\n"
    )


def test_missing_await_fix_and_imports_are_added_once() -> None:
    module = cst.parse_module('"""Doc."""\nimport os\n\nasync def f():\n    go()\n    go()\n')
    fixes = [
        Fix(call, cst.Await(call), ("from app import go",)) for call in nodes(module, cst.Call)
    ]
    fixed, applied = apply_fixes(module, fixes)
    assert len(applied) == 2
    assert fixed.code == (
        '"""Doc."""\nimport os\nfrom app import go\n\nasync def f():\n    await go()\n    await go()\n'
    )



# --- the Django rule family's fixes, through the same --fix --------------------------------------

MODELS = """\
from django.db import models


class Tag(models.Model):
    name = models.CharField(max_length=20)


class Book(models.Model):
    title = models.CharField(max_length=100)
    tags = models.ManyToManyField(Tag)
"""

ORM_VIEW = """\
import time

from .models import Book


async def view(pk, tag):
    book = Book.objects.get(pk=pk)
    title = Book.objects.get(pk=pk).title
    book.save(update_fields=["title"])
    book.tags.add(tag)
    for b in Book.objects.all():
        time.sleep(1)
    copy = list(Book.objects.all())
    lazy = any(b for b in Book.objects.all())
    return book, title, copy, lazy
"""

ORM_FIXED = """\
import time

from .models import Book
import asyncio


async def view(pk, tag):
    book = await Book.objects.aget(pk=pk)
    title = (await Book.objects.aget(pk=pk)).title
    await book.asave(update_fields=["title"])
    await book.tags.aadd(tag)
    async for b in Book.objects.all():
        await asyncio.sleep(1)
    copy = [row async for row in Book.objects.all()]
    lazy = any(b for b in Book.objects.all())
    return book, title, copy, lazy
"""


@pytest.mark.parametrize(("django", "fixed"), [("5.2", ORM_FIXED), ("4.0", None)])
def test_orm_fixes_compose_with_the_others_and_follow_the_django_version(
    tmp_path: Path, django: str, fixed: str | None
) -> None:
    write(tmp_path, "pyproject.toml", f'[tool.asyncsafe]\ndjango-version = "{django}"\n')
    write(tmp_path, "shop/__init__.py", "")
    write(tmp_path, "shop/models.py", MODELS)
    views = write(tmp_path, "shop/views.py", ORM_VIEW)
    result = run_cli("check", "--no-cache", "--fix", ".", cwd=tmp_path)
    assert result.returncode == 1, result.stdout + result.stderr  # the generator stays a finding
    if fixed is None:  # Django 4.0 has no QuerySet a* API: only the sleep is fixed
        assert views.read_text(encoding="utf-8") == ORM_VIEW.replace(
            "from .models import Book\n", "from .models import Book\nimport asyncio\n"
        ).replace("time.sleep(1)", "await asyncio.sleep(1)")
        return
    assert views.read_text(encoding="utf-8") == fixed
    assert [line.split(": ")[1].split()[0] for line in result.stdout.splitlines() if "shop/" in line] == ["ASF102"]
    again = run_cli("check", "--no-cache", "--fix", ".", cwd=tmp_path)
    assert views.read_text(encoding="utf-8") == fixed and "Fixed" not in again.stdout


# --- fixes as catalog data: method twins and `async for` -------------------------------------------

FEED_CATALOG = """
[[type]]
name = "feeds.Feed"
made_by = ["feeds.open_feed"]

[[block]]
code = "ASF304"
why = "net"
fix = "'await feed.afetch(...)'"
methods = { "feeds.Feed" = ["fetch", "close"] }
twin = "a{name}"

[[block]]
code = "ASF304"
why = "net"
fix = "'async for item in feed'"
protocols = { "feeds.Feed" = ["iterate"] }
twin = "async for"
twin-safe = false
"""


def test_catalog_entries_attach_method_and_loop_fixes() -> None:
    import tomllib

    from asyncsafe.catalog import Catalog, load_catalog_data
    from asyncsafe.docs import render
    from asyncsafe.run.analyze import analyze_source

    catalog = Catalog()
    load_catalog_data(catalog, [("feeds.toml", tomllib.loads(FEED_CATALOG))])
    text = (
        "from feeds import open_feed\n\n\nasync def pull():\n    feed = open_feed()\n"
        "    first = feed.fetch(1).body\n    for item in feed:\n        print(item)\n"
        "    return [i for i in feed], (i for i in feed)\n"
    )
    analysis = analyze_source(Source("pull.py", b"", text, "utf-8"), Settings(), catalog=catalog)
    assert analysis.module is not None
    by_line = {(d.line, d.fixable) for d in analysis.diagnostics}
    assert by_line == {(6, "safe"), (7, "unsafe"), (9, "unsafe"), (9, None)}  # a generator stays as is
    fixed, applied = apply_fixes(analysis.module, list(analysis.fixes.values()))
    assert len(applied) == 3
    assert fixed.code == text.replace("feed.fetch(1).body", "(await feed.afetch(1)).body").replace(
        "    for item", "    async for item"
    ).replace("[i for i in feed]", "[i async for i in feed]")
    docs = render(catalog=catalog)
    assert "| `x.fetch(...)` | `await x.afetch(...)` |  |" in docs
    assert "| `for x in ...` | `async for x in ...` | unsafe: `--unsafe-fixes` |" in docs
