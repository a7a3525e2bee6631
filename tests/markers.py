"""Expected findings written in fixtures as `# expect: ASF301[, ASF303]` on the flagged line."""

from __future__ import annotations

import re
from collections import Counter
from dataclasses import replace
from pathlib import Path

from asyncsafe.config import OPTIONS, Settings
from asyncsafe.diagnostics import Diagnostic
from asyncsafe.engine.analyze import analyze_source
from asyncsafe.engine.project import Project
from asyncsafe.engine.source import Source, decode_source

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


def project_root(path: Path) -> Path | None:
    """For a module of a fixture package: the directory holding the top-level package (where a
    project's pyproject.toml would be). None for a stand-alone fixture file."""
    package = path.parent
    if not (package / "__init__.py").exists():
        return None
    while (package.parent / "__init__.py").exists():
        package = package.parent
    return package.parent


def actual(path: Path, text: str | None = None, prefilter: bool = True) -> list[Diagnostic]:
    """Findings for one fixture file; a module of a fixture package is checked as part of its
    project, so calls into the package's other modules resolve (messages name files from there)."""
    source = load(path)
    if text is not None:
        source = replace(source, text=text)
    root = project_root(path)
    settings = replace(fixture_settings(source.text), root=str(root or path.parent))
    project = Project(str(root), settings) if root is not None else None
    analysis = analyze_source(source, settings, prefilter=prefilter, project=project)
    assert analysis.error is None, analysis.error
    return analysis.diagnostics


def found(diagnostics: list[Diagnostic]) -> Counter[tuple[int, str]]:
    return Counter((d.line, d.code) for d in diagnostics)
