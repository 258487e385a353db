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


def test_publishing_reuses_one_pooled_connection(monkeypatch):
    from tests.servers import ThrowawayRedis

    server = ThrowawayRedis()
    monkeypatch.setenv("REDIS_URL", server.url)
    get_settings.cache_clear()
    try:
        async def scenario():
            watcher = redis.Redis.from_url(server.url)
            before = watcher.info("clients")["connected_clients"]
            for n in range(40):
                live_channels.publish("harmony:test", [n])
            await asyncio.sleep(0.5)  # the scheduled sends run
            during = watcher.info("clients")["connected_clients"]
            watcher.close()
            return before, during

        before, during = _in_thread(scenario())
        assert during - before <= 2, f"{during - before} new connections for 40 pushes"
    finally:
        get_settings.cache_clear()
        server.close()


def test_after_redis_restarts_the_listener_resubscribes_and_rereads(monkeypatch):
    """Pub/sub keeps nothing for a listener that is away: once back, it says so (the caller re-reads)
    and hears new messages again, within seconds of Redis answering."""
    from tests.servers import ThrowawayRedis

    server = ThrowawayRedis()
    try:
        async def scenario():
            heard, reread = [], asyncio.Event()

            async def on_message(payload):
                heard.append(payload)

            async def on_resubscribe():
                reread.set()

            listener = asyncio.create_task(live_channels.listen(server.url, "harmony:restart", on_message,
                                                                on_resubscribe=on_resubscribe))
            await asyncio.sleep(0.3)
            await asyncio.to_thread(server.stop)
            await asyncio.sleep(1.5)  # the listener notices and retries
            assert not reread.is_set()
            await asyncio.to_thread(server.start)
            back = asyncio.get_running_loop().time()
            await asyncio.wait_for(reread.wait(), timeout=10)
            waited = asyncio.get_running_loop().time() - back
            other = redis.Redis.from_url(server.url)
            other.publish("harmony:restart", json.dumps({"from": "another-worker", "payload": "after"}))
            other.close()
            for _ in range(60):
                if heard:
                    break
                await asyncio.sleep(0.05)
            listener.cancel()
            return waited, heard

        waited, heard = _in_thread(scenario())
        assert waited < 2.5 and heard == ["after"]
    finally:
        server.close()
