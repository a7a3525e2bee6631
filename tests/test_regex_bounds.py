"""The bounded scanning regexes find exactly what their unbounded forms found, on real code.

The forms below are the ones the prefilters used before they were bounded (an unclosed
``class X(`` made them quadratic; bench/adversarial.py times the bounded ones on a megabyte of
adversarial text). On every fixture and, when downloaded, every module of the pinned corpora
(bench/.work), old and new must agree, match for match.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Iterator
from pathlib import Path

import pytest
from conftest import FIXTURES, ROOT

from asyncsafe.catalog import builtin_catalog
from asyncsafe.django import prefilter
from asyncsafe.engine.facts.exports import _package_pattern

UNBOUNDED = {
    "TOP_LEVEL_CLASS": re.compile(
        r"^(?:class\s+(\w+)\s*(?:\(([^)]*)\))?"
        r"|(\w+)\s*=\s*([\w.]+\.from_queryset\(|[A-Za-z_][\w.]*)\s*(?:#.*)?$)",
        re.MULTILINE,
    ),
    "RELATION_TARGET": re.compile(
        r"(?:ForeignKey|OneToOneField|ManyToManyField)\s*\(\s*(?:to\s*=\s*)?[\"']?([\w.]+)"
    ),
    "CLASS_BASES": re.compile(r"^class\s+\w+\s*\(([^)]*)\)", re.MULTILINE),
    "APP_LABEL": re.compile(r"^\s+label\s*=\s*[\"'](\w+)[\"']", re.MULTILINE),
    "USER_MODEL_ASSIGNMENT": re.compile(
        r"^AUTH_USER_MODEL\s*(?::\s*str\s*)?=\s*[\"']([\w.]+)[\"']", re.MULTILINE
    ),
}
CORPORA = ROOT / "bench" / ".work" / "src"


@functools.lru_cache(maxsize=1)
def sources() -> tuple[str, ...]:
    return tuple(_read_all([FIXTURES, CORPORA] if CORPORA.is_dir() else [FIXTURES]))


def _read_all(roots: list[Path]) -> Iterator[str]:
    for root in roots:
        for path in sorted(root.rglob("*.py")):
            try:
                yield path.read_text(encoding="utf-8")
            except (UnicodeDecodeError, OSError):
                continue


def test_the_corpora_are_scanned() -> None:
    assert len(sources()) > 50


@pytest.mark.parametrize("name", sorted(UNBOUNDED))
def test_bounded_django_prefilters_match_the_unbounded_ones(name: str) -> None:
    bounded: re.Pattern[str] = getattr(prefilter, name)
    for text in sources():
        assert bounded.findall(text) == UNBOUNDED[name].findall(text)


def test_bounded_client_import_prefilter_matches_the_unbounded_one() -> None:
    bounded = _package_pattern(builtin_catalog())
    unbounded = re.compile(bounded.pattern.replace(r"[\w.]{0,200}", r"[\w.]*"))
    assert unbounded.pattern != bounded.pattern
    for text in sources():
        assert [m.span(0)[1] for m in bounded.finditer(text)] == [m.span(0)[1] for m in unbounded.finditer(text)]
