"""Property tests over generated sources (see tests/generated.py for the strategies).

- ``check`` never fails internally on a source CPython accepts, and on one it rejects it reports
  exactly one ``path: error: reason`` line (a source without async code is skipped unparsed, by design);
- ``--fix`` output compiles, is idempotent and touches only the fixed lines.

The suite runs a bounded number of examples; the campaign runs many more:

    ASYNCSAFE_FUZZ=campaign ASYNCSAFE_FUZZ_EXAMPLES=20000 python -m pytest tests/test_fuzz.py -p no:cacheprovider
"""

from __future__ import annotations

import ast
import re
import warnings
from pathlib import Path

import pytest
from conftest import run_cli
from generated import PROFILE, examples, grammar_modules, snippet_modules
from hypothesis import example, given, settings
from hypothesis import strategies as st
from roundtrip import roundtrip_problems

from asyncsafe.config import load_settings
from asyncsafe.engine.input.prefilter import might_hold_async
from asyncsafe.engine.input.source import Source
from asyncsafe.run.guard import is_internal
from asyncsafe.run.runner import _check_bytes

settings.load_profile(PROFILE)
SETTINGS = load_settings(None)
ERROR_LINE = re.compile(r"^gen\.py: error: [^\n]+$")
# Valid Python that asyncsafe may still decline, each with one honest line (not an internal error).
DECLINED = ("too deeply nested to analyze", "could not parse (Python accepts this file, libcst does not)")


def python_accepts(text: str) -> bool:
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            ast.parse(text)
    except (SyntaxError, ValueError, RecursionError, MemoryError):
        return False
    return True


def check_text(text: str):
    """The function the CLI's workers run for one file."""
    return _check_bytes("gen.py", text.encode("utf-8", "surrogatepass"), SETTINGS).outcome


def assert_checked_cleanly(text: str) -> None:
    outcome = check_text(text)
    assert not is_internal(outcome.error), f"{outcome.error}\n{outcome.error.traceback if outcome.error else ''}"
    if not might_hold_async(text):  # by design, never parsed: no async code, nothing to check
        assert outcome.error is None and outcome.diagnostics == []
    elif python_accepts(text):
        assert outcome.error is None or outcome.error.reason.startswith(DECLINED), outcome.error
    else:
        assert outcome.error is not None and outcome.diagnostics == [], text
        assert ERROR_LINE.match(str(outcome.error)), str(outcome.error)


@examples(15)  # hypothesmith's generation dominates: about 0.7 s an example
@given(grammar_modules())
def test_grammar_generated_sources_never_fail_internally(text: str) -> None:
    assert_checked_cleanly(text)


@examples(150)
@given(snippet_modules())
def test_snippet_sources_never_fail_internally(text: str) -> None:
    assert_checked_cleanly(text)


@st.composite
def damaged(draw: st.DrawFn) -> str:
    """A generated module with a slice cut out or a few characters put in."""
    text = draw(snippet_modules())
    start = draw(st.integers(0, len(text)))
    end = draw(st.integers(start, min(len(text), start + 12)))
    noise = draw(st.text(alphabet="()[]{}:;,.=+-*@'\"\\#\t\n\r\x0c async await def lambda", max_size=4))
    return text[:start] + noise + text[end:]


@examples(150)
@given(damaged())
def test_damaged_sources_get_one_line_or_a_result(text: str) -> None:
    assert_checked_cleanly(text)


@examples(150)
@given(snippet_modules(), st.booleans())
# Found by the campaign: the inserted import shifts repeated lines; the checker once misaligned them.
@example(
    "import time\n\n\nasync def f0(request, url=None, user=None):\n    time.sleep(1)\n\n\n"
    "async def f0(request, url=None, user=None):\n    await asyncio.sleep(1)\n",
    False,
)
# Found by the campaign: the first fix's `import asyncio` makes a second site fixable; one
# --fix used to leave it for the next run (not idempotent). Fixing now repeats to a fixpoint.
@example(
    "import time\n\n\nasync def f0(request, url=None, user=None):\n    time.sleep(1)\n\n\n"
    "async def f0(request, url=None, user=None):\n    time.sleep(1)\n    await asyncio.sleep(1)\n",
    False,
)
def test_fix_round_trip_on_generated_sources(text: str, unsafe: bool) -> None:
    source = Source("gen.py", text.encode("utf-8"), text, "utf-8")
    assert roundtrip_problems(source, SETTINGS, unsafe=unsafe) == []


@settings(max_examples=4)
@given(snippet_modules())
def test_the_real_cli_on_generated_sources(tmp_path_factory: pytest.TempPathFactory, text: str) -> None:
    root: Path = tmp_path_factory.mktemp("gen")
    (root / "gen.py").write_text(text, encoding="utf-8")
    result = run_cli("check", "--no-cache", "-q", "--fix", cwd=root)
    assert result.returncode in (0, 1) and result.stderr == "", result.stderr
    fixed = (root / "gen.py").read_text(encoding="utf-8")
    assert python_accepts(fixed)
    again = run_cli("check", "--no-cache", "-q", "--diff", cwd=root)
    assert again.stdout == "" and again.returncode == 0, again.stdout  # nothing left to fix
