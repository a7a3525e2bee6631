"""--fix leaves code ruff has nothing new to say about: added imports join their module's
``from`` import or their isort section, imports the fix left unused go, and a file libcst does
not reproduce byte for byte is never rewritten. Judged by the real ``ruff`` (F401, I001)."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
import textwrap
from collections import Counter
from pathlib import Path

from conftest import FIXTURES, run_cli


def ruff_findings(directory: Path) -> Counter[tuple[str, str]]:
    """(file, code) -> count of ruff's F401/I001 findings under ``directory``."""
    result = subprocess.run(
        [sys.executable, "-m", "ruff", "check", "--isolated", "--no-cache", "--select", "F401,I001",
         "--output-format", "json", "--exit-zero", "."],
        cwd=directory, capture_output=True, text=True, timeout=300, check=True,
    )
    return Counter(
        (str(Path(item["filename"]).relative_to(directory)), item["code"]) for item in json.loads(result.stdout)
    )


def test_fix_on_every_fixture_leaves_nothing_new_for_ruff(tmp_path: Path) -> None:
    tree = tmp_path / "fixtures"
    shutil.copytree(FIXTURES, tree)
    before = ruff_findings(tree)
    fixed = run_cli("check", "--no-cache", "--fix", "--unsafe-fixes", "--extend-select", "ASF390", ".", cwd=tree)
    assert "Fixed " in fixed.stdout, fixed.stdout + fixed.stderr
    after = ruff_findings(tree)
    assert after - before == Counter(), after - before


def fix(tmp_path: Path, text: str, *options: str) -> str:
    path = tmp_path / "views.py"
    path.write_text(textwrap.dedent(text), encoding="utf-8")
    run_cli("check", "--no-cache", "--fix", *options, "views.py", cwd=tmp_path)
    fixed = path.read_text(encoding="utf-8")
    assert ruff_findings(tmp_path) == Counter(), fixed
    return fixed


def test_an_added_name_joins_the_existing_from_import_of_its_module(tmp_path: Path) -> None:
    fixed = fix(tmp_path, """\
        import os

        from aiofiles.os import rename


        async def cleanup(path):
            os.remove(path)
            await rename(path, path + ".bak")
    """, "--extend-select", "ASF390", "--unsafe-fixes")
    assert fixed.startswith("from aiofiles.os import remove, rename\n\n\nasync def cleanup(path):\n"), fixed
    assert "    await remove(path)\n" in fixed


def test_a_joined_import_over_the_line_length_is_wrapped_as_ruff_wraps_it(tmp_path: Path) -> None:
    long_names = ", ".join(f"rename{i}" for i in range(10))
    fixed = fix(tmp_path, f"""\
        import os

        from aiofiles.os import {long_names}


        async def cleanup(path):
            os.remove(path)
            return {long_names}
    """, "--extend-select", "ASF390", "--unsafe-fixes")
    assert fixed.startswith("from aiofiles.os import (\n    remove,\n    rename0,\n"), fixed
    assert "    rename9,\n)\n" in fixed


def test_an_added_stdlib_import_goes_into_the_stdlib_group_in_order(tmp_path: Path) -> None:
    fixed = fix(tmp_path, """\
        import json
        import time

        from django.http import JsonResponse

        from .models import Book


        async def view(request):
            time.sleep(1)
            return JsonResponse(json.loads(Book.__name__), extra=time.time())
    """)
    assert fixed.startswith(
        "import asyncio\nimport json\nimport time\n\nfrom django.http import JsonResponse\n\nfrom .models import Book\n"
    ), fixed


def test_an_import_the_fix_left_unused_is_removed_and_one_still_used_is_kept(tmp_path: Path) -> None:
    fixed = fix(tmp_path, """\
        \"\"\"Sleeps (the word time in a docstring is not a use).\"\"\"

        import time
        from time import sleep

        from django.http import HttpResponse


        async def view(request):
            time.sleep(1)
            sleep(2)
            return HttpResponse()


        def helper():
            def inner(sleep):
                return sleep
            return inner
    """)
    assert "import time" not in fixed and "from time import" not in fixed, fixed
    assert '"""Sleeps (the word time in a docstring is not a use)."""\n\nimport asyncio\n\nfrom django' in fixed
    kept = fix(tmp_path, """\
        import time


        async def view(request):
            time.sleep(1)
            return time.monotonic()
    """)
    assert kept.startswith("import asyncio\nimport time\n\n\nasync def view"), kept


def test_a_file_libcst_does_not_reproduce_byte_for_byte_is_never_rewritten(tmp_path: Path) -> None:
    path = tmp_path / "views.py"
    data = b"import time\n\n\nasync def view(request):\n    time.sleep(1)\n\n\n   "
    path.write_bytes(data)
    result = run_cli("check", "--no-cache", "--fix", "views.py", cwd=tmp_path)
    assert path.read_bytes() == data
    assert result.returncode == 1
    assert "views.py: warning: fixes not applied, libcst does not reproduce this file byte for byte" in result.stderr
    assert "ASF301" in result.stdout
