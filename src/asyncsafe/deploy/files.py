"""The project's files as the deployment reader sees them: Python modules by dotted name (read
through the ``Project``, so cached results know what they depend on) and the server
configuration files beside them (Procfile, Dockerfile, uwsgi.ini)."""

from __future__ import annotations

import ast
import os
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from asyncsafe.engine.input.python_trees import python_tree
from asyncsafe.engine.input.source import Source, read_source

if TYPE_CHECKING:
    from asyncsafe.engine.facts.project import Project


@dataclass(frozen=True)
class ParsedModule:
    name: str
    path: str
    tree: ast.Module
    is_package: bool
    text: str  # what the tree was parsed from (text prefilters before walking it)


@dataclass
class ProjectFiles:
    root: str
    project: Project | None = None
    _parsed: dict[str, ParsedModule | None] = field(default_factory=dict)

    def modules(self) -> dict[str, str]:
        """Dotted module name -> path of every Python file of the project."""
        return self.project.modules if self.project is not None else {}

    def module_path(self, module: str) -> str | None:
        found = self.modules().get(module)
        if found is not None:
            return found
        base = os.path.join(self.root, *module.split("."))
        for candidate in (base + ".py", os.path.join(base, "__init__.py")):
            if os.path.isfile(candidate):
                return candidate
        return None

    def parse(self, module: str) -> ParsedModule | None:
        """The module's ast (None: not a project module, or not valid Python)."""
        if module not in self._parsed:
            self._parsed[module] = self._parse(module)
        return self._parsed[module]

    def _parse(self, module: str) -> ParsedModule | None:
        path = self.module_path(module)
        if path is None:
            return None
        source = self._source(module, path)
        if source is None:
            return None
        try:
            tree = python_tree(source.text, path)
        except (SyntaxError, ValueError, RecursionError, MemoryError):
            return None
        return ParsedModule(module, path, tree, os.path.basename(path) == "__init__.py", source.text)

    def _source(self, module: str, path: str) -> Source | None:
        if self.project is not None and module in self.project.modules:
            return self.project.source(module)
        found = read_source(path)
        return found if isinstance(found, Source) else None

    def named(self, basename: str) -> list[str]:
        """Modules whose file is called ``basename`` (``asgi.py``), sorted."""
        return sorted(name for name, path in self.modules().items() if os.path.basename(path) == basename)

    def text(self, path: str) -> str | None:
        """A non-Python file's text (None when absent or unreadable)."""
        try:
            with open(path, encoding="utf-8", errors="replace") as handle:
                return handle.read(1_000_000)
        except OSError:
            return None
