"""A read-only libcst traversal that does not rebuild the tree.

libcst's ``node.visit(visitor)`` reconstructs (and re-validates) every node on the way back up,
even for a read-only ``CSTVisitor``. Reading the dataclass fields directly visits the same nodes,
calling the same ``visit_X``/``leave_X`` methods, at a fraction of the cost.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable

import libcst as cst

# Fields that only hold tokens and whitespace: no visitor here looks inside them.
_TOKEN_FIELDS = frozenset(
    ("lpar", "rpar", "leading_lines", "lines_after_decorators", "header", "footer", "comma",
     "semicolon", "dot", "equal", "colon", "trailing_whitespace", "asynchronous", "newline")
)
_CHILD_FIELDS: dict[type[cst.CSTNode], tuple[str, ...]] = {}

_Hook = Callable[[cst.CSTNode], object]

# Whether a type is a libcst node, per concrete type: ``isinstance`` against the abstract
# ``CSTNode`` goes through ABCMeta (a million checks on Django's async files).
_IS_NODE: dict[type, bool] = {}


def _is_node_type(kind: type) -> bool:
    known = _IS_NODE.get(kind)
    if known is None:
        known = _IS_NODE[kind] = issubclass(kind, cst.CSTNode)
    return known


def _child_fields(kind: type[cst.CSTNode]) -> tuple[str, ...]:
    fields = _CHILD_FIELDS.get(kind)
    if fields is None:
        fields = tuple(
            f.name
            for f in dataclasses.fields(kind)
            if f.name not in _TOKEN_FIELDS and not f.name.startswith("whitespace")
        )
        _CHILD_FIELDS[kind] = fields
    return fields


class FastVisitor(cst.CSTVisitor):
    """A ``CSTVisitor`` with ``walk(node)``: children in field order, ``visit_X`` returning
    False skips them, ``leave_X`` is called either way (as libcst does)."""

    def __init__(self) -> None:
        super().__init__()
        self._hooks: dict[type[cst.CSTNode], tuple[_Hook | None, _Hook | None]] = {}

    def walk(self, node: cst.CSTNode) -> None:
        # The hot loop of every analysis (millions of nodes): the per-type tables are read
        # inline, each looked up once per node.
        kind = type(node)
        hooks = self._hooks.get(kind)
        if hooks is None:
            hooks = self._hooks[kind] = self._find_hooks(kind)
        visit, leave = hooks
        if visit is None or visit(node) is not False:
            is_node = _IS_NODE
            for name in _CHILD_FIELDS.get(kind) or _child_fields(kind):
                child = getattr(node, name)
                child_kind = type(child)
                known = is_node.get(child_kind)
                if known is None:
                    known = _is_node_type(child_kind)
                if known:
                    self.walk(child)
                elif isinstance(child, (tuple, list)):
                    for item in child:
                        known = is_node.get(type(item))
                        if known or (known is None and _is_node_type(type(item))):
                            self.walk(item)
        if leave is not None:
            leave(node)

    def release(self) -> None:
        """Drop the bound hooks: each holds the visitor, a cycle only the collector would break."""
        self._hooks.clear()

    def _find_hooks(self, kind: type[cst.CSTNode]) -> tuple[_Hook | None, _Hook | None]:
        found: list[_Hook | None] = []
        for prefix in ("visit_", "leave_"):
            name = prefix + kind.__name__
            defined = getattr(type(self), name, None)
            inherited = getattr(cst.CSTVisitor, name, None)
            overridden = defined is not None and defined is not inherited
            found.append(getattr(self, name) if overridden else None)
        return found[0], found[1]
