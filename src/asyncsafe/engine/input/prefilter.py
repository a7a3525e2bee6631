"""The prefilter: a file without ``async def`` has no async body, and is never parsed.

``async def`` is the only way into an async body (``await``, ``async for``/``with`` and async
comprehensions are syntax errors anywhere else). The substring test comes first: most files fail
it for free. The one exception: settings modules and entry points (a few files per project), where
the deployment rules (ASF7xx) place their findings.
"""

from __future__ import annotations

import re

_ASYNC_DEF = re.compile(r"\basync[ \t\f\\\r\n]+def\b")
_ASYNC_DEF_BYTES = re.compile(rb"\basync[ \t\f\\\r\n]+def\b")


# Files the deployment rules (ASF7xx) report in although they hold no async code: settings
# (MIDDLEWARE, CONN_MAX_AGE, ASGI_APPLICATION) and entry points (asgi.py, wsgi.py).
_DEPLOYMENT = re.compile(
    r"\b(?:MIDDLEWARE|CONN_MAX_AGE|conn_max_age|ASGI_APPLICATION|get_asgi_application|get_wsgi_application)\b"
)
_DEPLOYMENT_BYTES = re.compile(_DEPLOYMENT.pattern.encode())


def might_hold_async(text: str) -> bool:
    return holds_async_def(text) or _DEPLOYMENT.search(text) is not None


def holds_async_def(text: str) -> bool:
    """Whether the file can hold an async body at all (else it passed for the deployment rules)."""
    return "async" in text and _ASYNC_DEF.search(text) is not None


def might_hold_async_data(data: bytes) -> bool:
    """The same test on undecoded bytes (the keywords are ASCII in every source encoding)."""
    if b"async" in data and _ASYNC_DEF_BYTES.search(data) is not None:
        return True
    return _DEPLOYMENT_BYTES.search(data) is not None
