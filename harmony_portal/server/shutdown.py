"""Graceful shutdown: a worker told to stop lets the events it is running finish.

What happens on SIGTERM in production (Reflex 0.10 serves with Granian; it
would use gunicorn + uvicorn only if gunicorn were installed):

1. Granian stops accepting connections, closes the websockets (browsers reconnect,
   to another worker or node) and lets HTTP requests in flight finish.
2. The app's lifespan ends. Reflex's event processor would cancel every event
   handler still running at once (its drain time defaults to none):
   :func:`drain_events_on_shutdown` gives them ``HARMONY_SHUTDOWN_SECONDS``.
3. Granian kills a worker still alive ``HARMONY_SHUTDOWN_SECONDS`` + a margin after
   being told to stop (its ``workers_kill_timeout``; by default it waits forever).

A process manager must wait longer than that before its own SIGKILL
(systemd ``TimeoutStopSec``, ``docker stop -t``, Kubernetes
``terminationGracePeriodSeconds``).
"""

from __future__ import annotations

import contextlib
import os
import shlex
from collections.abc import AsyncIterator, Iterator

from harmony_portal.server.logging_setup import granian_log_config
from harmony_portal.settings import Settings, get_settings

# Reflex's lifespan waits up to 5 s for cancelled background tasks after the drain.
_MARGIN_SECONDS = 10


def kill_timeout(settings: Settings) -> int:
    """Seconds the server waits for a stopping worker before killing it."""
    return settings.harmony_shutdown_seconds + _MARGIN_SECONDS


@contextlib.asynccontextmanager
async def drain_events_on_shutdown(app) -> AsyncIterator[None]:
    """Lifespan task: on shutdown, running events get time to finish instead of being cancelled.

    Registered after Reflex's own event-processor task (made when ``rx.App`` is built),
    so the processor exists when this starts; it is stopped after this ends.
    """
    processor = getattr(app, "_event_processor", None)
    if processor is not None:
        processor.graceful_shutdown_timeout = get_settings().harmony_shutdown_seconds
    yield


@contextlib.contextmanager
def graceful_server(settings: Settings | None = None) -> Iterator[None]:
    """While Reflex starts its production server: a kill timeout (and JSON logs in production) for it.

    Reflex builds ``granian.server.Server`` itself without a kill timeout or a way to pass
    one, so for the duration of the call that name is a subclass with our defaults. For
    gunicorn (used only if installed), the same timeout goes through GUNICORN_CMD_ARGS.
    """
    settings = settings or get_settings()
    timeout = kill_timeout(settings)
    log_config = granian_log_config(settings)
    from granian import server as granian_server

    base = granian_server.Server

    class GracefulServer(base):
        def __init__(self, *args, **kwargs):
            kwargs.setdefault("workers_kill_timeout", timeout)
            if log_config is not None:
                kwargs["log_dictconfig"] = log_config
            super().__init__(*args, **kwargs)

    previous_gunicorn_args = os.environ.get("GUNICORN_CMD_ARGS")
    if "--graceful-timeout" not in (previous_gunicorn_args or ""):
        os.environ["GUNICORN_CMD_ARGS"] = shlex.join(
            [*shlex.split(previous_gunicorn_args or ""), "--graceful-timeout", str(timeout)])
    granian_server.Server = GracefulServer
    try:
        yield
    finally:
        granian_server.Server = base
        if previous_gunicorn_args is None:
            os.environ.pop("GUNICORN_CMD_ARGS", None)
        else:
            os.environ["GUNICORN_CMD_ARGS"] = previous_gunicorn_args
