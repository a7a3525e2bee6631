"""The summaries shipped in the wheel (src/asyncsafe/library/shipped.json): what
scripts/build_library_summaries.py produces, and used when the environment lacks the library."""

from __future__ import annotations

import importlib.util
import json
import os
import subprocess
import sys
import textwrap
from pathlib import Path
from types import ModuleType

from conftest import FIXTURES, ROOT, console_script

POLIB_WHEEL = FIXTURES / "library_wheels" / "polib-1.2.0-py2.py3-none-any.whl"
SHIPPED = ROOT / "src" / "asyncsafe" / "library" / "shipped.json"


def build_script() -> ModuleType:
    spec = importlib.util.spec_from_file_location("build_library_summaries", ROOT / "scripts" / "build_library_summaries.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_shipped_entries_equal_what_the_script_builds_from_the_pinned_wheel() -> None:
    script = build_script()
    assert "polib==1.2.0" in script.PINNED
    built = script.build([POLIB_WHEEL], {"polib"})["distributions"]["polib"]
    shipped = json.loads(SHIPPED.read_text(encoding="utf-8"))["distributions"]["polib"]
    assert built == shipped
    assert built["version"] == "1.2.0" and "polib.pofile" in built["functions"]
    tops = SHIPPED.with_name("shipped_top_level.txt").read_text(encoding="utf-8").split()
    assert set(built["top_level"]) <= set(tops) and tops == sorted(tops)


def test_shipped_summaries_apply_without_the_library_installed(tmp_path: Path) -> None:
    (tmp_path / "views.py").write_text(
        textwrap.dedent(
            """
            import polib


            async def translations(request):
                return polib.pofile("de.po")
            """
        ),
        encoding="utf-8",
    )
    env = {**os.environ, "ASYNCSAFE_USER_CACHE": str(tmp_path / "cache")}
    env.pop("VIRTUAL_ENV", None)
    result = subprocess.run(
        [console_script(), "check", "--no-cache", "--python", sys.executable, "--select", "ASF890", "views.py"],
        cwd=tmp_path, capture_output=True, text=True, env=env, timeout=300,
    )
    assert result.returncode == 1, result.stdout + result.stderr
    assert (
        "views.py:6:12: ASF890 polib.pofile() -> _pofile_or_mofile() -> detect_encoding() -> open() "
        "(polib.py:215 in polib 1.2.0) may block the event loop"
    ) in result.stdout
    default = subprocess.run(
        [console_script(), "check", "--no-cache", "--python", sys.executable, "views.py"],
        cwd=tmp_path, capture_output=True, text=True, env=env, timeout=300,
    )
    assert default.returncode == 0, default.stdout  # "may block" is opt-in
