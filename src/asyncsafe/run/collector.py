"""The cyclic garbage collector during analysis: off, with a cheap young collection per file.

Analysis keeps many libcst trees and project facts alive for the whole run. CPython's collector
is triggered by allocation counts, and each full collection traverses every object still alive:
on Django that was ten full passes over every tree, a third of a cold run. During analysis the
collector is off; what start-up made is frozen (never traversed again, and not copied by forked
workers touching it); after each file, one collection of the young generations frees the cycles
that file's analysis left behind, so memory stays bounded by what is kept on purpose.
"""

from __future__ import annotations

import gc
from collections.abc import Iterator
from contextlib import contextmanager


@contextmanager
def analysis_collector() -> Iterator[None]:
    """Around a whole run's analysis: the collector's previous state is restored at the end."""
    was_enabled = gc.isenabled()
    quiet_collector()
    try:
        yield
    finally:
        gc.unfreeze()
        if was_enabled:
            gc.enable()


def one_batch() -> None:
    """For a process that runs one check and exits (the CLI): no automatic collections at all.
    Results keep their project (trees, facts) for the report; a full collection after the
    analysis would traverse all of it to free almost nothing, and exit frees everything."""
    gc.disable()


def quiet_collector() -> None:
    """Freeze what exists and stop automatic collections (also a pool worker's initializer)."""
    gc.freeze()
    gc.disable()


def after_file() -> None:
    """Free the cycles one file's analysis made; survivors move to the oldest generation, which
    is never collected again during the run."""
    if not gc.isenabled():
        gc.collect(1)
