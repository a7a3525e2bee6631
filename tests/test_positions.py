"""``engine/tree/positions.py`` positions reported nodes exactly as libcst's ``PositionProvider`` does,
without positioning every node of the module."""

from __future__ import annotations

from pathlib import Path

import libcst as cst
import pytest
from libcst.metadata import MetadataWrapper, PositionProvider

from asyncsafe.engine.tree.positions import spans

FIXTURES = sorted((Path(__file__).parent / "fixtures").rglob("*.py"))
ODD_LAYOUT = (  # CRLF and LF mixed, a form feed, a continuation, tab indentation
    "async def f():\r\n    x = (1 +\r\n         2)  # c\r\n\r\n    \f\r\n    await g(x)\n"
    "async def h():\n\ty = \\\n\t\t3\n\treturn y\n"
)


def provider_ranges(module: cst.Module) -> dict[cst.CSTNode, tuple[int, int, int, int]]:
    positions = MetadataWrapper(module, unsafe_skip_copy=True).resolve(PositionProvider)
    return {
        node: (r.start.line, r.start.column, r.end.line, r.end.column)
        for node, r in positions.items()
        if not isinstance(node, cst.Module)
    }


@pytest.mark.parametrize("source", [*FIXTURES, ODD_LAYOUT], ids=lambda s: getattr(s, "name", "odd-layout"))
def test_every_node_positioned_like_position_provider(source: Path | str) -> None:
    text = source.read_text(encoding="utf-8") if isinstance(source, Path) else source
    module = cst.parse_module(text)
    expected = provider_ranges(module)
    got = spans(module, list(expected))
    assert {node: (s.start_line, s.start_column, s.end_line, s.end_column) for node in expected
            for s in [got[id(node)]]} == expected


def test_only_the_asked_nodes_are_returned() -> None:
    module = cst.parse_module("async def f():\n    await g()\n    h()\n")
    calls = [node for node in provider_ranges(module) if isinstance(node, cst.Call)]
    assert set(spans(module, calls[:1])) == {id(calls[0])}
