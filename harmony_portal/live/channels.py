"""Telling the other workers and nodes that something changed: Redis pub/sub, when there is Redis.

A worker pushes only to the pages connected to it; a change committed on another worker or
node reaches it here. Without Redis there is one worker, and nothing needs telling.

Each process publishes through one pooled asyncio client on the server's loop (not a new
connection per push). Pub/sub keeps nothing for a listener that is away: a worker that loses
its subscription (Redis restarted, a network blip) retries every second, and once subscribed
again it calls ``on_resubscribe`` so that every page it serves re-reads what it shows.
"""

from __future__ import annotations

import asyncio
import json
import logging
import uuid
from collections.abc import Awaitable, Callable

import redis
import redis.asyncio as aioredis

from harmony_portal.live import scheduler
from harmony_portal.settings import get_settings

log = logging.getLogger(__name__)
RETRY_SECONDS = 1.0
ME = uuid.uuid4().hex  # this worker: it skips what it published itself
_clients: dict[tuple[str, int], aioredis.Redis] = {}  # (url, id of its loop): the pooled client
_POOL_SIZE = 2


def client_for(url: str) -> aioredis.Redis:
    """This loop's pooled client for ``url`` (made once; its connection pool is shared by every push)."""
    key = (url, id(asyncio.get_running_loop()))
    if key not in _clients:
        # A few connections at most: a burst of pushes waits its turn instead of opening one each.
        pool = aioredis.BlockingConnectionPool.from_url(url, max_connections=_POOL_SIZE, timeout=2, socket_timeout=1,
                                                        socket_connect_timeout=1, health_check_interval=30)
        _clients[key] = aioredis.Redis(connection_pool=pool)
    return _clients[key]


async def _send(url: str, channel: str, message: str) -> None:
    try:
        await client_for(url).publish(channel, message)
    except Exception:  # the others re-read everything when they get their subscription back
        log.warning("could not publish on %s", channel)


def publish(channel: str, payload: object = None) -> None:
    """Send ``payload`` to every other worker listening on ``channel`` (quietly nothing without Redis).

    Callable from the server's loop or a worker thread; in a process with no server loop (a
    command-line tool) it sends once over a short-lived connection.
    """
    url = get_settings().redis_url
    if not url:
        return
    message = json.dumps({"from": ME, "payload": payload})
    if scheduler.schedule(_send(url, channel, message)) is not None:
        return
    try:
        one_off = redis.Redis.from_url(url, socket_timeout=1, socket_connect_timeout=1)
        one_off.publish(channel, message)
        one_off.close()
    except Exception:
        log.warning("could not publish on %s", channel)


async def listen(url: str, channel: str, on_message: Callable[[object], Awaitable[None]], *,
                 on_resubscribe: Callable[[], Awaitable[None]] | None = None) -> None:
    """Call ``on_message(payload)`` for what other workers publish on ``channel``; reconnects forever.

    ``on_resubscribe`` runs each time the subscription comes back after being lost: what was
    published meanwhile never arrives, so the caller re-reads instead.
    """
    lost = False
    while True:
        try:
            listener = aioredis.Redis.from_url(url, socket_connect_timeout=1, health_check_interval=30)
            async with listener.pubsub() as pubsub:
                await pubsub.subscribe(channel)
                if lost:
                    lost = False
                    log.info("the %s channel is back; re-reading what this worker's pages show", channel)
                    if on_resubscribe is not None:
                        await on_resubscribe()
                async for message in pubsub.listen():
                    if message.get("type") != "message":
                        continue
                    sent = json.loads(message["data"])
                    if sent.get("from") != ME:
                        await on_message(sent.get("payload"))
        except asyncio.CancelledError:
            raise
        except Exception:
            if not lost:
                log.warning("lost the %s channel; trying again every %.0f s", channel, RETRY_SECONDS)
            lost = True
            await asyncio.sleep(RETRY_SECONDS)
