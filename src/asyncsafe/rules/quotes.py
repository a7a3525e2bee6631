"""The finding's own source text in messages: ``{callee}``, ``{twin}``, ``{subject}``.

Catalog advice quotes the code it is about (``'await request.session.aget(...)'``,
``'await sync_to_async(user.set_password)(...)'``) instead of a generic placeholder.
"""

from __future__ import annotations

import libcst as cst

from asyncsafe.rules.rewrites import short_code

QUOTE_LIMIT = 60


def quote(node: cst.CSTNode) -> str:
    """The node's code for a message; a long attribute chain keeps only its last name."""
    fallback = f"<...>.{node.attr.value}" if isinstance(node, cst.Attribute) else "<...>"
    return short_code(node, fallback, limit=QUOTE_LIMIT)


def callee_texts(call: cst.Call) -> dict[str, str]:
    """``{callee}`` as written (``auth.login``) and ``{twin}``, its "a"-prefixed async twin
    (``auth.alogin``): every Django twin is named so."""
    callee = quote(call.func)
    head, dot, name = callee.rpartition(".")
    return {"callee": callee, "twin": f"{head}{dot}a{name}"}
