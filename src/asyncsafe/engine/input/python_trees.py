"""CPython's ``ast`` tree of a text, parsed once and shared by every reader of the same file.

Three readers want CPython's tree of the same project files: the parse gate (before libcst sees a
checked file or a dependency), the Django model index (``django/summary.py``) and the deployment
reader (``deploy/files.py``). On Django's source, half of all ``ast`` parses were of a text
parsed before. Trees are kept for the most recently parsed texts up to a budget of source size:
an ``ast`` tree is an order of magnitude larger than its text, and a large project must not keep
one per file. Readers never change a tree.
"""

from __future__ import annotations

import ast
from collections import OrderedDict

# Characters of source whose trees are kept (about 35 MB of trees). The readers of one file come
# close together: on prefect this saves as many parses as a budget of 8 million characters.
BUDGET_CHARS = 3_000_000

_trees: OrderedDict[str, ast.Module] = OrderedDict()
_held = 0


def python_tree(text: str, path: str = "<unknown>") -> ast.Module:
    """``ast.parse(text)``, shared; raises what ``ast.parse`` raises."""
    tree = known(text)
    if tree is not None:
        return tree
    tree = ast.parse(text, filename=path)
    keep(text, tree)
    return tree


def keep(text: str, tree: ast.Module) -> None:
    """Share ``tree``, CPython's tree of ``text`` parsed by another reader (the gate)."""
    global _held
    if text in _trees or len(text) > BUDGET_CHARS:
        return
    _trees[text] = tree
    _held += len(text)
    while _held > BUDGET_CHARS:
        dropped, _ = _trees.popitem(last=False)
        _held -= len(dropped)


def known(text: str) -> ast.Module | None:
    """The tree of ``text`` when another reader parsed it already."""
    tree = _trees.get(text)
    if tree is not None:
        _trees.move_to_end(text)
    return tree
