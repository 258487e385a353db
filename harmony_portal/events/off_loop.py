"""Blocking work (argon2, SMTP, slow queries) runs here, never on the event loop.

A synchronous call inside a handler stops every other socket of the worker
until it returns. Threads fix that, but only if there are few of them: each
thread that wakes from argon2 or a database call takes Python's global lock,
and with ten of them queued the event loop waits its turn behind all ten. Two
threads (this machine class has two cores) keep sign-ins flowing and the loop
answering within a few milliseconds.
"""

from __future__ import annotations

import asyncio
import contextvars
import functools
from collections.abc import Awaitable, Callable, Hashable
from concurrent.futures import ThreadPoolExecutor
from typing import TypeVar

from harmony_portal.events import reads

T = TypeVar("T")
_pool = ThreadPoolExecutor(max_workers=2, thread_name_prefix="harmony-blocking")


async def off_loop(fn: Callable[..., T], *args, **kwargs) -> T:
    """``fn(*args, **kwargs)`` on the blocking pool, awaited.

    Context variables go along, as ``asyncio.to_thread`` would carry them.
    """
    call = functools.partial(contextvars.copy_context().run, fn, *args, **kwargs)
    return await asyncio.get_running_loop().run_in_executor(_pool, call)


def threaded(handler: Callable[..., T]) -> Callable[..., Awaitable[T]]:
    """An event handler whose body is blocking work (database, files): Reflex awaits it on the pool.

    Within it the session is resolved once (``events/reads``), as when a page opens.

    The state is locked for this event the whole time, so the body may set its vars from the
    thread as it would on the loop; meanwhile the loop answers other clients' events.
    """

    @functools.wraps(handler)
    async def on_the_pool(*args, **kwargs):
        with reads.once_per_event():  # one look-up of who asks for the whole handler (it may reload after saving)
            return await off_loop(handler, *args, **kwargs)

    return on_the_pool


async def read_off_loop(key: Hashable, fn: Callable[..., T], *args) -> T:
    """``reads.read`` on the blocking pool, without the trip when this event has the answer already."""
    answer = reads.earlier(key)
    if answer is not reads.MISSING:
        return answer  # type: ignore[return-value]
    return await off_loop(reads.read, key, fn, *args)
