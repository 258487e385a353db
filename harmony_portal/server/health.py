"""Can this process reach what it needs? The checks behind GET /health (load balancers, monitors).

Public, so it says only "ok" or a short reason from a fixed list (no host, port,
user or URL; the details go to the server log). Each probe has a short timeout,
and one probe at a time per process runs while others reuse its answer for a
second: a flood of health checks can't take the database's connections.
"""

from __future__ import annotations

import logging
import threading
import time
from functools import lru_cache
from pathlib import Path

import redis
from sqlalchemy import create_engine, text
from sqlalchemy.engine import Engine, make_url
from sqlalchemy.pool import NullPool

from harmony_portal.settings import Settings

TIMEOUT_SECONDS = 2
REUSE_SECONDS = 1.0
OK = "ok"
NOT_CONFIGURED = "not configured"
log = logging.getLogger(__name__)

# Lower-cased fragments of driver messages, and what a stranger may be told about them.
_REASONS = (
    ("timeout", "timed out"), ("timed out", "timed out"), ("refused", "connection refused"),
    ("authentication", "authentication failed"), ("does not exist", "database does not exist"),
    ("name or service not known", "host not found"), ("could not translate host", "host not found"),
    ("nodename nor servname", "host not found"), ("too many", "too many connections"),
    ("unable to open database", "cannot open the database file"), ("no such table", "schema missing"),
)
_lock = threading.Lock()
_recent: dict[tuple[str, str], tuple[float, str]] = {}


def _reason(exc: BaseException) -> str:
    message = str(exc).lower()
    for fragment, reason in _REASONS:
        if fragment in message:
            return reason
    return type(exc).__name__


@lru_cache(maxsize=4)
def _probe_engine(url: str) -> Engine:
    # A new connection per probe (no pool): proves the server takes connections now.
    if url.startswith("postgresql"):
        connect_args = {"connect_timeout": TIMEOUT_SECONDS, "options": f"-c statement_timeout={TIMEOUT_SECONDS}s"}
    elif url.startswith("sqlite"):
        connect_args = {"timeout": TIMEOUT_SECONDS}
    else:
        connect_args = {}
    return create_engine(url, poolclass=NullPool, connect_args=connect_args)


def _database(url: str) -> str:
    parsed = make_url(url)
    if parsed.get_backend_name() == "sqlite" and parsed.database not in (None, "", ":memory:"):
        if not Path(parsed.database).exists():  # connecting would create an empty one
            return "failed: database file not found"
    try:
        with _probe_engine(url).connect() as conn:
            conn.execute(text("SELECT 1"))
    except Exception as exc:
        log.warning("health check: database failed: %s", exc)
        return f"failed: {_reason(exc)}"
    return OK


def _redis(url: str) -> str:
    try:
        client = redis.Redis.from_url(url, socket_connect_timeout=TIMEOUT_SECONDS, socket_timeout=TIMEOUT_SECONDS)
        try:
            client.ping()
        finally:
            client.close()
    except Exception as exc:
        log.warning("health check: redis failed: %s", exc)
        return f"failed: {_reason(exc)}"
    return OK


def _reused(kind: str, url: str, probe) -> str:
    with _lock:
        seen = _recent.get((kind, url))
        if seen and time.monotonic() - seen[0] < REUSE_SECONDS:
            return seen[1]
        result = probe(url)
        _recent[(kind, url)] = (time.monotonic(), result)
        return result


def check(settings: Settings) -> tuple[bool, dict[str, str]]:
    """Whether all is well, and the answer for each dependency."""
    database = _reused("database", settings.sqlalchemy_url, _database)
    redis_url = (settings.redis_url or "").strip()
    cache = _reused("redis", redis_url, _redis) if redis_url else NOT_CONFIGURED
    healthy = database == OK and cache in (OK, NOT_CONFIGURED)
    return healthy, {"status": "ok" if healthy else "failed", "database": database, "redis": cache}
