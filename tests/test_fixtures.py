"""Every fixture line marked `# expect: CODE` is flagged with exactly that code; nothing else is."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from markers import actual, expected, found, load

FIXTURES = Path(__file__).resolve().parent / "fixtures"
FILES = sorted(FIXTURES.rglob("*.py"))


def _describe(path: Path, items: dict[tuple[int, str], int]) -> str:
    lines = path.read_text(encoding="utf-8").splitlines()
    return "\n".join(f"  {path.name}:{line}: {code}  | {lines[line - 1].strip()}" for (line, code) in sorted(items))


@pytest.mark.parametrize("path", FILES, ids=lambda p: str(p.relative_to(FIXTURES)))
def test_markers_match_findings(path: Path) -> None:
    want = expected(path.read_text(encoding="utf-8"))
    got = found(actual(path))
    missing = want - got
    extra = got - want
    assert not missing and not extra, (
        f"\nmissing findings:\n{_describe(path, dict(missing))}\nunexpected findings:\n{_describe(path, dict(extra))}"
    )


def test_fixtures_exist_and_flag_something() -> None:
    """Every fixture with async code flags something (modules of a multi-module fixture that
    only feed the project, e.g. settings.py or apps.py, have no async code)."""
    assert FILES, "no fixtures found"
    for path in FILES:
        text = path.read_text(encoding="utf-8")
        if "async def" in text and "clean" not in path.stem:
            assert expected(text), f"{path} has no expect markers"


SYNC_ONLY = [
    (re.compile(r"\basync\s+(def|for|with)\b"), r"\1"),
    (re.compile(r"\bawait\s+"), ""),
    (re.compile(r"\basync\s+for\b"), "for"),
]


def strip_async(text: str) -> str:
    for pattern, replacement in SYNC_ONLY:
        text = pattern.sub(replacement, text)
    return text


@pytest.mark.parametrize("path", FILES, ids=lambda p: str(p.relative_to(FIXTURES)))
def test_without_async_nothing_is_flagged(path: Path) -> None:
    """flake8-async's invariant: the same code in sync functions yields no async-body finding."""
    text = strip_async(load(path).text)
    assert "async def" not in text
    # The prefilter would skip the stripped file outright; run the full walk to prove the rules.
    assert actual(path, text=text, prefilter=False) == []
