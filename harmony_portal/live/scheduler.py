"""Where live pushes run: the server's event loop, from the loop or from a worker thread.

Changes commit on worker threads (blocking work runs off the loop) as well as on the loop
itself; each push they start is scheduled here, and tests wait for ``pending`` to drain.
"""

from __future__ import annotations

import asyncio

pending: set[asyncio.Task] = set()
_loop: asyncio.AbstractEventLoop | None = None


async def bind_loop() -> None:
    """Lifespan task: remember the server's loop, so a change committed on a worker
    thread can still schedule its push."""
    global _loop
    _loop = asyncio.get_running_loop()


def server_loop() -> asyncio.AbstractEventLoop | None:
    """The loop a push scheduled now would run on: the running one, else the server's."""
    try:
        return asyncio.get_running_loop()
    except RuntimeError:
        return _loop


def schedule(coroutine):
    """Run ``coroutine`` soon on the server's loop; returns its task or future (None: not run)."""
    try:
        loop = asyncio.get_running_loop()
    except RuntimeError:
        loop = None
    if loop is not None:
        task = loop.create_task(coroutine)
        pending.add(task)
        task.add_done_callback(pending.discard)
        return task
    if _loop is not None and not _loop.is_closed():
        return asyncio.run_coroutine_threadsafe(coroutine, _loop)
    coroutine.close()  # no server running (a command-line tool): nobody is connected to tell
    return None
