"""Line and column of the few nodes that are reported, without positioning every node.

libcst's ``PositionProvider`` records a range for every node of the module: on a large file that
costs more than parsing it. Reports need the positions of a handful of nodes, so this codegen pass
only counts characters, and keeps exact ``PositionProvider`` semantics (syntactic ranges, hoisted
start/end nodes) inside the reported nodes' subtrees alone.
"""

from __future__ import annotations

import bisect
from collections.abc import Collection, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field

import libcst as cst
from libcst._nodes.internal import CodegenState

from asyncsafe.engine.input.lines import line_starts


@dataclass(frozen=True)
class Span:
    """1-based lines, 0-based columns (characters), as ``libcst.metadata.CodeRange``."""

    start_line: int
    start_column: int
    end_line: int
    end_column: int


@dataclass
class _CountingState(CodegenState):
    targets: frozenset[int] = frozenset()
    offset: int = 0
    offsets: dict[int, tuple[int, int]] = field(default_factory=dict)
    _starts: list[int] = field(default_factory=list)
    _inside: int = 0  # how many reported nodes enclose the current one
    placed: set[int] = field(default_factory=set)  # targets whose span is known

    def add_indent_tokens(self) -> None:
        self.tokens.extend(self.indent_tokens)
        self.offset += sum(len(token) for token in self.indent_tokens)

    def add_token(self, value: str) -> None:
        self.tokens.append(value)
        self.offset += len(value)

    def before_codegen(self, node: cst.CSTNode) -> None:
        target = id(node) in self.targets
        self._inside += target
        self._starts.append(self.offset)

    def after_codegen(self, node: cst.CSTNode) -> None:
        start = self._starts.pop()
        key = id(node)
        if self._inside and key not in self.offsets:
            self.offsets[key] = (start, self.offset)
        if key in self.targets:
            self.placed.add(key)
        self._inside -= key in self.targets

    @contextmanager
    def record_syntactic_position(
        self,
        node: cst.CSTNode,
        *,
        start_node: cst.CSTNode | None = None,
        end_node: cst.CSTNode | None = None,
    ) -> Iterator[None]:
        start = self.offset
        try:
            yield
        finally:
            if self._inside or id(node) in self.targets:
                if start_node is not None and id(start_node) in self.offsets:
                    start = self.offsets[id(start_node)][0]
                end = self.offset
                if end_node is not None and id(end_node) in self.offsets:
                    end = self.offsets[id(end_node)][1]
                self.offsets[id(node)] = (start, end)


def spans(module: cst.Module, nodes: Collection[cst.CSTNode]) -> dict[int, Span]:
    """``id(node)`` -> its span, for each of ``nodes`` (all of them nodes of ``module``)."""
    state = _CountingState(
        default_indent=module.default_indent,
        default_newline=module.default_newline,
        targets=frozenset(id(node) for node in nodes),
    )
    _codegen_until_placed(module, state)
    starts = line_starts("".join(state.tokens))
    return {
        key: Span(*_line_column(starts, start), *_line_column(starts, end))
        for key, (start, end) in state.offsets.items()
        if key in state.targets
    }


def _codegen_until_placed(module: cst.Module, state: _CountingState) -> None:
    """``module._codegen(state)``, stopping after the statement that holds the last reported node
    (unless it is the last statement: the end of the module is then generated as libcst does)."""
    last = len(module.body) - 1
    if id(module) in state.targets or last < 0:
        module._codegen(state)
        return
    for header in module.header:
        header._codegen(state)
    for index, statement in enumerate(module.body):
        statement._codegen(state)
        if index < last and len(state.placed) == len(state.targets):
            return  # offsets before this point do not depend on the text after it
    for footer in module.footer:
        footer._codegen(state)
    if not module.has_trailing_newline:
        state.pop_trailing_newline()


def _line_column(line_starts: list[int], offset: int) -> tuple[int, int]:
    line = bisect.bisect_right(line_starts, offset)
    return line, offset - line_starts[line - 1]
