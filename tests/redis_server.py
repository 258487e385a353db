"""A Redis for the tests that need one: the machine's, or one started here; never a silent skip."""

from __future__ import annotations

import shutil
import socket
import subprocess
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager

import redis

LOCAL_URL = "redis://127.0.0.1:6379/15"  # database 15: away from anything the machine keeps in 0


def _answers(url: str) -> bool:
    try:
        return bool(redis.Redis.from_url(url, socket_connect_timeout=1).ping())
    except redis.RedisError:
        return False


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@contextmanager
def redis_url() -> Iterator[str]:
    """The machine's Redis if it answers, else a throwaway ``redis-server`` on a free port."""
    if _answers(LOCAL_URL):
        yield LOCAL_URL
        return
    binary = shutil.which("redis-server")
    if binary is None:
        raise RuntimeError("These tests need Redis: start one on 127.0.0.1:6379 or install redis-server.")
    port, workdir = _free_port(), tempfile.mkdtemp(prefix="harmony-redis-")
    process = subprocess.Popen([binary, "--port", str(port), "--bind", "127.0.0.1", "--save", "",
                                "--appendonly", "no", "--dir", workdir],
                               stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    url = f"redis://127.0.0.1:{port}/15"
    try:
        for _ in range(50):
            if _answers(url):
                break
            time.sleep(0.1)
        else:
            raise RuntimeError(f"redis-server did not answer on port {port}")
        yield url
    finally:
        process.terminate()
        process.wait(timeout=10)
        shutil.rmtree(workdir, ignore_errors=True)
