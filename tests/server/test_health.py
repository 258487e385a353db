"""GET /health: database and Redis reachable, short timeouts, nothing sensitive in the answer."""

import socket
import time
from contextlib import contextmanager

import pytest
from starlette.testclient import TestClient

from harmony_portal.db import make_engine
from harmony_portal.server import health
from harmony_portal.server.web import http_routes
from harmony_portal.settings import get_settings
from tests import redis_server

PASSWORD = "s3cret-Pw-9"


@pytest.fixture
def portal(monkeypatch):
    """Point the settings at the given DATABASE_URL / REDIS_URL and ask /health."""
    def ask(database_url: str, redis_url: str | None = None):
        monkeypatch.setenv("DATABASE_URL", database_url)
        if redis_url:
            monkeypatch.setenv("REDIS_URL", redis_url)
        else:
            monkeypatch.delenv("REDIS_URL", raising=False)
        get_settings.cache_clear()
        health._recent.clear()
        return TestClient(http_routes()).get("/health")

    yield ask
    get_settings.cache_clear()
    health._recent.clear()


@pytest.fixture
def sqlite_url(tmp_path):
    url = f"sqlite:///{tmp_path}/portal.db"
    make_engine(url).dispose()  # the file exists, as it does once the portal has started
    return url


def _closed_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@contextmanager
def _silent_port():
    """A port that accepts connections and never says a word (a hung server, a dropped route)."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        s.listen(8)
        yield s.getsockname()[1]


def _says_nothing_sensitive(response, *secrets: str) -> None:
    for secret in (PASSWORD, "127.0.0.1", "portal_user", *secrets):
        assert secret not in response.text
    assert response.headers["cache-control"] == "no-store"


def test_ok_with_the_database_and_without_redis(portal, sqlite_url):
    response = portal(sqlite_url)
    assert response.status_code == 200
    assert response.json() == {"status": "ok", "database": "ok", "redis": "not configured"}
    assert response.headers["cache-control"] == "no-store"


def test_ok_with_postgresql_and_redis(portal, pg_database_url):
    with redis_server.redis_url() as redis_url:
        response = portal(pg_database_url, redis_url)
    assert response.status_code == 200
    assert response.json() == {"status": "ok", "database": "ok", "redis": "ok"}


def test_a_database_that_refuses_is_503_without_its_url(portal):
    port = _closed_port()
    response = portal(f"postgresql+psycopg://portal_user:{PASSWORD}@127.0.0.1:{port}/portal")
    assert response.status_code == 503
    assert response.json() == {"status": "failed", "database": "failed: connection refused",
                               "redis": "not configured"}
    _says_nothing_sensitive(response, str(port))


def test_a_missing_sqlite_file_is_503(portal, tmp_path):
    response = portal(f"sqlite:///{tmp_path}/nowhere/portal.db")
    assert response.status_code == 503
    assert response.json()["database"] == "failed: database file not found"
    assert not (tmp_path / "nowhere").exists()  # the check created nothing
    _says_nothing_sensitive(response, str(tmp_path))


def test_redis_on_a_closed_port_is_503_naming_redis(portal, sqlite_url):
    port = _closed_port()
    response = portal(sqlite_url, f"redis://:{PASSWORD}@127.0.0.1:{port}/0")
    assert response.status_code == 503
    assert response.json() == {"status": "failed", "database": "ok", "redis": "failed: connection refused"}
    _says_nothing_sensitive(response, str(port))


def test_servers_that_never_answer_time_out_quickly(portal, sqlite_url):
    with _silent_port() as port:
        started = time.monotonic()
        response = portal(f"postgresql+psycopg://portal_user:{PASSWORD}@127.0.0.1:{port}/portal")
        assert response.json()["database"] == "failed: timed out"
        response = portal(sqlite_url, f"redis://127.0.0.1:{port}/0")
        assert response.json()["redis"] == "failed: timed out"
        assert time.monotonic() - started < 3 * health.TIMEOUT_SECONDS + 2
    _says_nothing_sensitive(response, str(port))


def test_a_flood_of_checks_probes_once_a_second(portal, sqlite_url, monkeypatch):
    probes = []
    monkeypatch.setattr(health, "_database", lambda url: probes.append(url) or health.OK)
    monkeypatch.setattr(health, "REUSE_SECONDS", 60)  # however slow this machine is today
    assert portal(sqlite_url).status_code == 200
    client = TestClient(http_routes())
    for _ in range(20):
        assert client.get("/health").status_code == 200
    assert len(probes) == 1
