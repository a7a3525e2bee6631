"""Hypothesis strategies for Python sources with async code and blocking calls.

``snippet_modules``: modules assembled from blocking-call snippets (sleeps, HTTP, ORM, files,
subprocesses, their awaited twins) inside async and sync functions, methods, nested functions,
lambdas, loops and ``with`` blocks — what ``--fix`` rewrites. ``grammar_modules``: hypothesmith's
grammar-generated sources, wrapped into an ``async def`` body and mixed with the snippets.

The number of examples comes from a profile: ``ASYNCSAFE_FUZZ=campaign`` selects the long one.
"""

from __future__ import annotations

import os
import textwrap

import hypothesmith
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st

settings.register_profile(
    "suite", max_examples=40, deadline=None, derandomize=True,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)
settings.register_profile(
    "campaign", max_examples=int(os.environ.get("ASYNCSAFE_FUZZ_EXAMPLES", "5000")), deadline=None,
    suppress_health_check=list(HealthCheck),
)
PROFILE = "campaign" if os.environ.get("ASYNCSAFE_FUZZ") == "campaign" else "suite"

IMPORTS = (
    "import time", "import time as t", "from time import sleep", "import requests", "import os",
    "import subprocess", "import asyncio", "import socket", "import urllib.request",
    "from django.contrib.auth import login", "from django.core.mail import send_mail",
    "from app.models import Book", "from asgiref.sync import sync_to_async",
)
STATEMENTS = (
    "time.sleep(1)", "t.sleep(0.5)", "sleep(2)", "x = (sleep(1))", "requests.get('https://x')",
    "r = requests.post(url, json={})", "open('f').read()", "os.path.exists('x')", "subprocess.run(['ls'])",
    "socket.create_connection(('h', 1))", "urllib.request.urlopen('u')", "login(request, user)",
    "send_mail('s', 'b', 'f', ['t'])", "book = Book.objects.get(pk=1)", "books = list(Book.objects.all())",
    "n = Book.objects.filter(a=1).count()", "for b in Book.objects.all():\n    print(b.title)",
    "await asyncio.sleep(1)", "await sync_to_async(time.sleep)(1)", "value = request.GET.get('k')",
    "q = {}.get('k')", "if Book.objects.exists():\n    pass", "return time.sleep(3)",
    "f = lambda: time.sleep(1)", "with open('f') as fh:\n    data = fh.read()",
    "try:\n    time.sleep(1)\nexcept Exception:\n    pass", "x = [time.sleep(i) for i in range(2)]",
    "print(f'{time.sleep(1)}')", "time.sleep(1); t.sleep(2)", "# time.sleep(1) in a comment",
    "s = 'time.sleep(1) in a string'",
)


def _indent(text: str, level: int = 1) -> str:
    return textwrap.indent(text, "    " * level)


@st.composite
def _function(draw: st.DrawFn) -> str:
    body = "\n".join(draw(st.lists(st.sampled_from(STATEMENTS), min_size=1, max_size=6)))
    kind = draw(st.sampled_from(("async", "async", "sync", "method", "nested", "async_nested")))
    name = f"f{draw(st.integers(0, 9999))}"
    if kind == "async":
        return f"async def {name}(request, url=None, user=None):\n{_indent(body)}\n"
    if kind == "sync":
        return f"def {name}(request, url=None, user=None):\n{_indent(body)}\n"
    if kind == "method":
        method = f"async def get(self, request, url=None, user=None):\n{_indent(body)}\n"
        return f"class V{name}:\n{_indent(method)}"
    if kind == "nested":
        inner = f"def inner(url=None, user=None):\n{_indent(body)}\n"
        return f"async def {name}(request):\n{_indent(inner)}\n    return inner()\n"
    inner = f"async def inner(url=None, user=None):\n{_indent(body)}\n"
    return f"def {name}(request):\n{_indent(inner)}\n    return inner\n"


@st.composite
def snippet_modules(draw: st.DrawFn) -> str:
    imports = draw(st.lists(st.sampled_from(IMPORTS), unique=True, max_size=len(IMPORTS)))
    functions = draw(st.lists(_function(), min_size=1, max_size=4))
    docstring = draw(st.sampled_from(("", '"""A module."""\n')))
    return docstring + "\n".join(imports) + "\n\n\n" + "\n\n".join(functions)


@st.composite
def grammar_modules(draw: st.DrawFn) -> str:
    """A grammar-generated module, whole or as the body of an ``async def``, next to snippets."""
    generated = draw(hypothesmith.from_grammar())
    if draw(st.booleans()):
        generated = f"async def generated(request):\n{_indent(generated) if generated.strip() else '    pass'}\n"
    parts = [generated, draw(snippet_modules())]
    if draw(st.booleans()):
        parts.reverse()
    return "\n\n".join(parts)


def examples(count: int) -> settings:
    """``count`` examples in the suite; the campaign profile's number in a campaign."""
    return settings(max_examples=count) if PROFILE == "suite" else settings()
