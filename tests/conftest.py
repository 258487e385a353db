"""Fixtures: a database per test on SQLite and PostgreSQL, a clock, factories."""

from __future__ import annotations

import os
from datetime import UTC, datetime, timedelta

import pytest

# Before anything reads settings: a fixed key, so tests never write data/secret_key.
os.environ.setdefault("HARMONY_SECRET_KEY", "test-only-secret-key-not-for-production-0123456789")
os.environ.setdefault("HARMONY_DEMO", "0")

from sqlalchemy import text  # noqa: E402
from sqlmodel import Session, SQLModel  # noqa: E402

import harmony_portal.models  # noqa: E402,F401
from harmony_portal import db as db_module  # noqa: E402
from harmony_portal.db import make_engine  # noqa: E402
from harmony_portal.models import WeeklyMaintenance  # noqa: E402
from harmony_portal.services.signin import rate_limits  # noqa: E402
from tests import factories, pg  # noqa: E402

_pg_state: dict = {}


def _pg_admin_url() -> str:
    return pg.admin_url()


def postgres_available() -> bool:
    return pg.available()


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
    # Under xdist the workers collect (and drop); the main process only reports, so it asks again.
    missing = _pg_state.get("dropped") or (
        not (postgres_available() or os.environ.get("CI") or os.environ.get("TEST_POSTGRES_URL")) and "the")
    if missing:
        terminalreporter.write_sep("!", f"NO POSTGRESQL at {_pg_admin_url()}: {missing} "
                                        "PostgreSQL tests did NOT run (set TEST_POSTGRES_URL)", red=True)


# Tests that must run one after another in one xdist worker (pytest -n 2, see pyproject.toml):
# every browser test (one production server, one frontend build: two would rebuild .web under
# each other), and the tests that share the machine's Redis database.
RUN_TOGETHER = {
    "browser": ("tests/e2e/",),
    "redis": ("tests/live/test_channels.py", "test_counts_are_shared_through_redis",
              "test_ok_with_postgresql_and_redis"),
}


def pytest_xdist_make_scheduler(config, log):
    """Each test is its own unit of work but for RUN_TOGETHER's groups.

    (xdist's own ``--dist loadgroup`` renames node ids to group them, which pytest 9 ignores.)
    """
    from xdist.scheduler import LoadScopeScheduling

    class RunTogether(LoadScopeScheduling):
        def _split_scope(self, nodeid: str) -> str:
            for group, parts in RUN_TOGETHER.items():
                if any(part in nodeid for part in parts):
                    return group
            return nodeid

    return RunTogether(config, log)


def _create_schema(url: str) -> None:
    engine = make_engine(url)
    SQLModel.metadata.create_all(engine)
    engine.dispose()


@pytest.fixture(scope="session")
def pg_database_url():
    """A throwaway PostgreSQL database for this test session, with the schema created."""
    if not postgres_available():
        pytest.fail(f"PostgreSQL does not answer at {_pg_admin_url()}: start it or set TEST_POSTGRES_URL")
    with pg.throwaway_database("harmony_test", _create_schema) as url:
        yield url


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
    if not request.node.get_closest_marker("weekly_window"):
        _weekly_window_off(eng)
    yield eng
    eng.dispose()


def _weekly_window_off(eng) -> None:
    """Most tests run at the real time, and the weekly window (Sunday 2-8 PM in Alaska) would
    refuse their saves then: a CI run on a Sunday afternoon would fail for no fault of the code.
    Tests of the window itself ask for it with ``@pytest.mark.weekly_window`` and a fixed clock."""
    with Session(eng) as s:
        s.merge(WeeklyMaintenance(id=1, active=False))
        s.commit()


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
