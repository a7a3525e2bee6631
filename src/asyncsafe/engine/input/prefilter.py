"""The prefilter: a file without ``async def`` has no async body, and is never parsed.

``async def`` is the only way into an async body (``await``, ``async for``/``with`` and async
comprehensions are syntax errors anywhere else). The substring test comes first: most files fail
it for free.
"""

from __future__ import annotations

import re

_ASYNC_DEF = re.compile(r"\basync[ \t\f\\\r\n]+def\b")
_ASYNC_DEF_BYTES = re.compile(rb"\basync[ \t\f\\\r\n]+def\b")


def might_hold_async(text: str) -> bool:
    return "async" in text and _ASYNC_DEF.search(text) is not None


def might_hold_async_data(data: bytes) -> bool:
    """The same test on undecoded bytes (the keywords are ASCII in every source encoding)."""
    return b"async" in data and _ASYNC_DEF_BYTES.search(data) is not None
