"""The package layout tells the pipeline, and imports flow one way through it.

Front ends -> run -> rules -> (django knowledge, project facts) -> tree -> input. A module may import
only from its own layer or the layers below; the engine never imports the rules or the run that drive
it (the run hands the rules in), so there is no import cycle between them.
"""

from __future__ import annotations

import ast
from pathlib import Path

SRC = Path(__file__).resolve().parent.parent / "src" / "asyncsafe"

# Lowest first. A module's layer is the longest prefix listed here.
LAYERS: list[tuple[str, ...]] = [
    # rules.codes is the generated table of codes (data, no imports) that config validates against.
    ("asyncsafe.diagnostics", "asyncsafe.config", "asyncsafe.catalog", "asyncsafe._dist", "asyncsafe.rules.codes",
     "asyncsafe.projectinfo.root"),
    ("asyncsafe.engine", "asyncsafe.engine.input", "asyncsafe.engine.cache", "asyncsafe.projectinfo"),
    ("asyncsafe.engine.tree",),
    ("asyncsafe.engine.facts", "asyncsafe.django", "asyncsafe.library", "asyncsafe.deploy"),
    ("asyncsafe.rules",),
    ("asyncsafe.run", "asyncsafe.fix"),
    ("asyncsafe.report", "asyncsafe.cli", "asyncsafe.flake8_plugin", "asyncsafe.docs", "asyncsafe.__main__",
     "asyncsafe.server", "asyncsafe.django_checks"),
]


def layer_of(module: str) -> int | None:
    best: tuple[int, int] | None = None
    for index, prefixes in enumerate(LAYERS):
        for prefix in prefixes:
            if module == prefix or module.startswith(prefix + "."):
                if best is None or len(prefix) > best[1]:
                    best = (index, len(prefix))
    return None if best is None else best[0]


def module_name(path: Path) -> str:
    parts = list(path.relative_to(SRC.parent).with_suffix("").parts)
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def runtime_nodes(tree: ast.Module) -> list[ast.AST]:
    """Every node except those under ``if TYPE_CHECKING:`` (annotations only, never imported)."""
    skipped: set[int] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.If) and ast.unparse(node.test).endswith("TYPE_CHECKING"):
            skipped.update(id(inner) for child in node.body for inner in ast.walk(child))
    return [node for node in ast.walk(tree) if id(node) not in skipped]


def imported(tree: ast.Module) -> set[str]:
    names: set[str] = set()
    for node in runtime_nodes(tree):
        if isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names.add(node.module)
            names.update(f"{node.module}.{alias.name}" for alias in node.names)
        elif isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
    return {name for name in names if name.startswith("asyncsafe.")}


def test_every_module_has_a_layer() -> None:
    unplaced = [module_name(p) for p in SRC.rglob("*.py") if layer_of(module_name(p)) is None]
    assert unplaced in ([], ["asyncsafe"]), unplaced


def test_imports_flow_one_way() -> None:
    upward = []
    for path in SRC.rglob("*.py"):
        importer = module_name(path)
        own = layer_of(importer)
        if own is None:
            continue
        for target in imported(ast.parse(path.read_text(encoding="utf-8"))):
            level = layer_of(target)
            if level is not None and level > own:
                upward.append(f"{importer} imports {target}")
    assert not upward, "\n".join(sorted(upward))


def test_engine_stages_are_folders() -> None:
    stages = {p.name for p in (SRC / "engine").iterdir() if p.is_dir() and not p.name.startswith("__")}
    assert stages == {"input", "tree", "facts", "cache"}
    assert not [p.name for p in (SRC / "engine").glob("*.py") if p.name != "__init__.py"]
