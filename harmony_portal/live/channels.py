"""Telling the other workers and nodes that something changed: Redis pub/sub, when there is Redis.

A worker pushes only to the pages connected to it; a change committed on another worker or
node reaches it here. Without Redis there is one worker, and nothing needs telling.
"""

from __future__ import annotations

import asyncio
import json
import logging
import uuid
from collections.abc import Awaitable, Callable

from harmony_portal.settings import get_settings

log = logging.getLogger(__name__)
RETRY_SECONDS = 5.0
ME = uuid.uuid4().hex  # this worker: it skips what it published itself


def publish(channel: str, payload: object = None) -> None:
    """Send ``payload`` to every other worker listening on ``channel`` (quietly nothing without Redis)."""
    url = get_settings().redis_url
    if not url:
        return
    try:
        import redis

        client = redis.Redis.from_url(url, socket_timeout=1)
        client.publish(channel, json.dumps({"from": ME, "payload": payload}))
        client.close()
    except Exception:  # the others catch up by their own polling or at the next page load
        log.warning("could not publish on %s", channel)


async def listen(url: str, channel: str, on_message: Callable[[object], Awaitable[None]]) -> None:
    """Call ``on_message(payload)`` for what other workers publish on ``channel``; reconnects forever."""
    import redis.asyncio as aioredis

    while True:
        try:
            client = aioredis.Redis.from_url(url)
            async with client.pubsub() as pubsub:
                await pubsub.subscribe(channel)
                async for message in pubsub.listen():
                    if message.get("type") != "message":
                        continue
                    sent = json.loads(message["data"])
                    if sent.get("from") != ME:
                        await on_message(sent.get("payload"))
        except asyncio.CancelledError:
            raise
        except Exception:
            log.warning("lost the %s channel; trying again in %.0f s", channel, RETRY_SECONDS)
            await asyncio.sleep(RETRY_SECONDS)
