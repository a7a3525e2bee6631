"""How the engine knows a value is a coroutine (or an async iterator) that has not run yet.

A type provider says "this call returns a coroutine" by returning ``coroutine(result)`` from
``call_result`` (``result``: what ``await`` gives back, kept as ``Instance.info``), or, in catalog data, by naming the type
``"coroutine"`` (``made_by = [...]`` for functions, ``returns = { aget = "coroutine" }`` for
methods). ``async_iterator()`` is what ``aiterator()`` or an async generator function returns:
it is iterated with ``async for``, never awaited.
"""

from __future__ import annotations

import libcst as cst

from asyncsafe.engine.tree.values import UNKNOWN, Instance, Member, Ref, Value

COROUTINE = "coroutine"
ASYNC_ITERATOR = "async_generator"


def coroutine(result: Value = UNKNOWN) -> Instance:
    """A coroutine; ``result`` is what awaiting it gives (kept as ``Instance.info``)."""
    return Instance(COROUTINE, result if result is not UNKNOWN else None)


def async_iterator() -> Instance:
    return Instance(ASYNC_ITERATOR)


def is_coroutine(value: Value) -> bool:
    return isinstance(value, Instance) and value.type_name == COROUTINE


def is_async_iterator(value: Value) -> bool:
    return isinstance(value, Instance) and value.type_name == ASYNC_ITERATOR


def awaited_result(value: Value) -> Value | None:
    """What ``await value`` gives, when ``value`` is a coroutine; None when it is not one."""
    if not is_coroutine(value):
        return None
    assert isinstance(value, Instance)
    return value.info if isinstance(value.info, (Ref, Instance, Member)) else UNKNOWN


_EMPTY = cst.Module(body=[])


def source_of(node: cst.CSTNode, limit: int = 60) -> str:
    """Short source text for chains: a call reads ``obj.method()``, whatever its arguments."""
    if isinstance(node, cst.Call):
        func = node.func
        head = _shorten(func, limit) if isinstance(func, cst.Call) else source_of(func, limit)
        return f"{head}()"
    return _shorten(node, limit)


def written(node: cst.CSTNode, limit: int = 80) -> str:
    """The node as written (arguments included) when short, else as ``source_of`` reads it."""
    text = " ".join(_EMPTY.code_for_node(node).split())
    return text if len(text) <= limit else source_of(node, limit)


def _shorten(node: cst.CSTNode, limit: int) -> str:
    text = " ".join(_EMPTY.code_for_node(node).split())
    return text if len(text) <= limit else text[: limit - 3] + "..."
