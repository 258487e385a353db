"""What a user sees when a part of the server is down mid-event (the database, Redis).

Every change is one transaction (``db.session_scope``), so an event that fails half-way
leaves nothing half-written; the page is told to try again, and keeps what was typed
(its fields are the browser's own). The pools reconnect by themselves (``pool_pre_ping``,
redis-py's reconnect), so the portal recovers without a restart.
"""

import logging

import redis
import reflex as rx
from reflex.event import EventSpec
from sqlalchemy import exc as sa_exc

log = logging.getLogger(__name__)
OUTAGE = ("The portal could not reach its database just now. Nothing was saved, and what you typed is still "
          "here: try again in a moment.")
FAILURE = ("Something went wrong on our side and nothing was saved. Try again; if it happens again, tell the "
           "Harmony Help Desk.")
_OUTAGES = (sa_exc.OperationalError, sa_exc.InterfaceError, sa_exc.DisconnectionError, redis.ConnectionError,
            redis.TimeoutError, ConnectionError, TimeoutError)


def is_outage(exception: BaseException) -> bool:
    """A part of the server that did not answer (rather than a fault in the code)."""
    return isinstance(exception, _OUTAGES) or (
        isinstance(exception, sa_exc.DBAPIError) and bool(exception.connection_invalidated))


def on_backend_error(exception: Exception) -> EventSpec:
    """Reflex calls this for an exception in any event handler."""
    if is_outage(exception):
        log.warning("an event failed: %s unavailable (%s)", "database or redis", type(exception).__name__)
        message = OUTAGE
    else:
        log.error("an event failed", exc_info=exception)
        message = FAILURE
    return rx.toast(message, level="error", fallback_to_alert=True, duration=15_000, position="top-center")
