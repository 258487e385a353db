"""Fixtures: a database per test on SQLite and PostgreSQL, a clock, factories."""

from __future__ import annotations

import os
import shutil
import subprocess
import uuid
from datetime import UTC, datetime, timedelta

import pytest

# Before anything reads settings: a fixed key, so tests never write data/secret_key.
os.environ.setdefault("HARMONY_SECRET_KEY", "test-only-secret-key-not-for-production-0123456789")
os.environ.setdefault("HARMONY_DEMO", "0")

from sqlalchemy import create_engine, text  # noqa: E402
from sqlmodel import Session, SQLModel  # noqa: E402

import harmony_portal.models  # noqa: E402,F401
from harmony_portal import db as db_module  # noqa: E402
from harmony_portal.db import make_engine  # noqa: E402
from harmony_portal.services import rate_limits  # noqa: E402
from tests import factories  # noqa: E402

DEFAULT_PG = "postgresql+psycopg://postgres@127.0.0.1:5432/postgres"
_pg_state: dict = {}


def _pg_admin_url() -> str:
    return os.environ.get("TEST_POSTGRES_URL", DEFAULT_PG)


def _pg_answers(url: str) -> bool:
    try:
        engine = create_engine(url)
        with engine.connect() as conn:
            conn.execute(text("select 1"))
        engine.dispose()
        return True
    except Exception:
        return False


def _try_start_local_postgres() -> None:
    """CI's machine runs PostgreSQL; a stopped local cluster is started once."""
    if shutil.which("pg_ctlcluster") and os.path.isdir("/etc/postgresql"):
        for version in os.listdir("/etc/postgresql"):
            subprocess.run(["pg_ctlcluster", "--skip-systemctl-redirect", version, "main", "start"],
                           capture_output=True, check=False, timeout=60)


def postgres_available() -> bool:
    if "ok" not in _pg_state:
        ok = _pg_answers(_pg_admin_url())
        if not ok:
            _try_start_local_postgres()
            ok = _pg_answers(_pg_admin_url())
        _pg_state["ok"] = ok
    return _pg_state["ok"]


def pytest_collection_modifyitems(config, items):
    """Without PostgreSQL the [postgresql] half is deselected - loudly. In CI, or when
    TEST_POSTGRES_URL is set, a missing server is a failure instead."""
    if postgres_available() or os.environ.get("CI") or os.environ.get("TEST_POSTGRES_URL"):
        return
    def needs_pg(item) -> bool:
        return "[postgresql" in item.nodeid or "pg_database_url" in getattr(item, "fixturenames", ())

    kept = [i for i in items if not needs_pg(i)]
    dropped = len(items) - len(kept)
    if dropped:
        config.hook.pytest_deselected(items=[i for i in items if needs_pg(i)])
        items[:] = kept
        _pg_state["dropped"] = dropped


def pytest_terminal_summary(terminalreporter):
    if _pg_state.get("dropped"):
        terminalreporter.write_sep("!", f"NO POSTGRESQL at {_pg_admin_url()}: {_pg_state['dropped']} "
                                        "PostgreSQL tests did NOT run (set TEST_POSTGRES_URL)", red=True)


@pytest.fixture(scope="session")
def pg_database_url():
    """A throwaway PostgreSQL database for this test session, with the schema created."""
    if not postgres_available():
        pytest.fail(f"PostgreSQL does not answer at {_pg_admin_url()}: start it or set TEST_POSTGRES_URL")
    name = f"harmony_test_{uuid.uuid4().hex[:10]}"
    admin = create_engine(_pg_admin_url(), isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    url = _pg_admin_url().rsplit("/", 1)[0] + f"/{name}"
    engine = make_engine(url)
    SQLModel.metadata.create_all(engine)
    engine.dispose()
    yield url
    with admin.connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    admin.dispose()


@pytest.fixture(autouse=True)
def _fresh_rate_limits():
    """Rate-limit counts live outside the database: every test starts from zero."""
    rate_limits.reset()
    yield


@pytest.fixture(params=["sqlite", "postgresql"])
def engine(request, tmp_path):
    """A fresh, empty database on each engine."""
    if request.param == "sqlite":
        eng = make_engine(f"sqlite:///{tmp_path}/test.db")
        SQLModel.metadata.create_all(eng)
    else:
        eng = make_engine(request.getfixturevalue("pg_database_url"))
        tables = ", ".join(f'"{t.name}"' for t in SQLModel.metadata.sorted_tables)
        with eng.begin() as conn:
            conn.execute(text(f"TRUNCATE {tables} RESTART IDENTITY CASCADE"))
    yield eng
    eng.dispose()


@pytest.fixture
def session(engine):
    with Session(engine, expire_on_commit=False) as s:
        yield s


@pytest.fixture
def app_db(engine, monkeypatch):
    """Point the app's own session_scope() (used by state classes and the CLI) at the test database."""
    monkeypatch.setattr(db_module, "get_engine", lambda: engine)
    return engine


class Clock:
    """A controllable now: tests stand on any moment and move it forward."""

    def __init__(self, start: datetime):
        self.current = start

    def now(self) -> datetime:
        return self.current

    def advance(self, **delta) -> datetime:
        self.current += timedelta(**delta)
        return self.current


@pytest.fixture
def clock():
    # A Wednesday in business hours, Alaska time (18:00 UTC = 9:00 AKST).
    return Clock(datetime(2026, 11, 18, 18, 0, tzinfo=UTC))


@pytest.fixture
def make():
    """Factories: make.user(session, ...), make.org(...), make.grant(...), make.request(...)."""
    return factories
