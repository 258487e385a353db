"""Reads done once per event: who is asking, and what a page open needs from the database.

Opening a page runs the sign-in check, the notification feed, the shell and the page's own
loaders in one event (``state/page_open.py``); each of them asks who is signed in, and
some read the same rows. Inside ``once_per_event()`` the first answer to each question is
kept (a context variable of that event alone, carried to the worker threads it uses) and
reused; outside it every read goes to the database. The page open reads the common answers
together, in one trip to a worker thread, before its loaders run.
"""

from __future__ import annotations

from collections.abc import Callable, Hashable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from typing import TypeVar

T = TypeVar("T")
MISSING = object()
_READS: ContextVar[dict[Hashable, object] | None] = ContextVar("harmony_event_reads", default=None)


@contextmanager
def once_per_event() -> Iterator[None]:
    """Within this block (one event), each ``read`` is done once and its answer reused."""
    marker = _READS.set({})
    try:
        yield
    finally:
        _READS.reset(marker)


def read(key: Hashable, fn: Callable[..., T], *args, **kwargs) -> T:
    """``fn(*args, **kwargs)``, or this event's earlier answer under ``key``."""
    seen = _READS.get()
    if seen is not None and key in seen:
        return seen[key]  # type: ignore[return-value]
    value = fn(*args, **kwargs)
    if seen is not None:
        seen[key] = value
    return value


def earlier(key: Hashable) -> object:
    """This event's answer under ``key`` so far, or ``MISSING``."""
    seen = _READS.get()
    return seen.get(key, MISSING) if seen is not None else MISSING
