"""Expected findings written in fixtures as `# expect: ASF301[, ASF303]` on the flagged line."""

from __future__ import annotations

import re
from collections import Counter
from dataclasses import replace
from pathlib import Path

from asyncsafe.config import OPTIONS, Settings
from asyncsafe.diagnostics import Diagnostic
from asyncsafe.engine.facts.project import Project
from asyncsafe.engine.input.source import Source, decode_source
from asyncsafe.run.analyze import analyze_source

EXPECT = re.compile(r"#\s*expect:\s*(?P<codes>ASF\d{3}(?:\s*,\s*ASF\d{3})*)")
SETTING = re.compile(r"^#\s*settings:\s*(?P<key>[\w-]+)\s*=\s*(?P<value>.+)$")


def expected(text: str) -> Counter[tuple[int, str]]:
    found: Counter[tuple[int, str]] = Counter()
    for number, line in enumerate(text.splitlines(), start=1):
        match = EXPECT.search(line)
        if match:
            for code in match.group("codes").split(","):
                found[(number, code.strip())] += 1
    return found


def fixture_settings(text: str) -> Settings:
    """Every rule (opt-in included), plus `# settings: key = value` header lines."""
    settings = Settings(select=("ALL",))
    for line in text.splitlines():
        match = SETTING.match(line)
        if match:
            import ast

            attribute, convert = OPTIONS[match.group("key")]
            value = ast.literal_eval(match.group("value"))
            settings = replace(settings, **{attribute: convert(value, match.group("key"))})
    return settings


def load(path: Path) -> Source:
    source = decode_source(str(path), path.read_bytes())
    assert isinstance(source, Source), source
    return source


def package_root(path: Path) -> Path | None:
    """The outermost package directory holding ``path`` (None for a stand-alone module)."""
    root = None
    directory = path.parent
    while (directory / "__init__.py").is_file():
        root = directory
        directory = directory.parent
    return root


def fixture_project(path: Path, settings: Settings) -> Project | None:
    """Multi-module fixtures (packages) are analyzed as a project: the package's modules, named
    from the package's parent (``django_orm.models``); other fixtures stay single files."""
    root = package_root(path)
    return Project(str(root), settings) if root is not None else None


def display_root(path: Path) -> Path:
    """Where a project's pyproject.toml would be: above the outermost package (else the file's
    directory). Messages that name other files (ASF6xx chains) are relative to it."""
    root = package_root(path)
    return root.parent if root is not None else path.parent


def actual(path: Path, text: str | None = None, prefilter: bool = True) -> list[Diagnostic]:
    """Findings for one fixture file; a module of a fixture package is checked as part of its
    project, so calls into the package's other modules resolve (messages name files from there)."""
    source = load(path)
    if text is not None:
        source = replace(source, text=text)
    settings = replace(fixture_settings(source.text), root=str(display_root(path)))
    analysis = analyze_source(
        source, settings, prefilter=prefilter, project=fixture_project(path, settings)
    )
    assert analysis.error is None, analysis.error
    return analysis.diagnostics


def found(diagnostics: list[Diagnostic]) -> Counter[tuple[int, str]]:
    return Counter((d.line, d.code) for d in diagnostics)
