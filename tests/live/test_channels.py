"""Changes reach the other workers through Redis pub/sub; a worker ignores what it sent itself."""

import asyncio
import json
import threading

import redis

from harmony_portal.live import channels as live_channels
from harmony_portal.settings import get_settings
from tests.redis_server import redis_url


def _in_thread(coroutine):
    """Run on a loop of its own (browser tests may leave one running on the main thread)."""
    result: dict = {}
    thread = threading.Thread(target=lambda: result.setdefault("value", asyncio.run(coroutine)))
    thread.start()
    thread.join(30)
    return result.get("value")


def test_another_workers_change_arrives_and_our_own_does_not(monkeypatch):
    with redis_url() as url:
        monkeypatch.setenv("REDIS_URL", url)
        get_settings.cache_clear()
        try:
            async def scenario():
                heard: list = []

                async def on_message(payload):
                    heard.append(payload)

                listener = asyncio.create_task(live_channels.listen(url, "harmony:test", on_message))
                await asyncio.sleep(0.3)  # subscribed
                live_channels.publish("harmony:test", [1])  # from this worker: skipped
                other = redis.Redis.from_url(url)
                other.publish("harmony:test", json.dumps({"from": "another-worker", "payload": [7, 8]}))
                other.close()
                for _ in range(50):
                    if heard:
                        break
                    await asyncio.sleep(0.05)
                await asyncio.sleep(0.2)
                listener.cancel()
                return heard

            assert _in_thread(scenario()) == [[7, 8]]
        finally:
            get_settings.cache_clear()
