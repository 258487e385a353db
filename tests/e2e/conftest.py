"""Browser tests: one production server per test session, Playwright in Chromium.

The server is the real thing (`harmony-portal serve`: migrations, demo seed,
production frontend) on its own port, with its own SQLite database.
"""

from __future__ import annotations

import os
import shutil
from dataclasses import dataclass
from pathlib import Path

import pytest
from playwright.sync_api import expect
from sqlalchemy.engine import Engine
from sqlmodel import Session

from harmony_portal.db import make_engine
from harmony_portal.models import WeeklyMaintenance
from harmony_portal.server import devserver

CHROMIUM_FLAGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking",
                  "--disable-component-update", "--disable-sync", "--no-first-run", "--disable-quic"]
PREFERRED_PORT = 3517


def pytest_collection_modifyitems(items):
    for item in items:
        if "/e2e/" in str(item.fspath):
            item.add_marker(pytest.mark.e2e)


def find_chromium() -> str:
    """The system Chromium, else Playwright's own; never a silent skip."""
    for candidate in (os.environ.get("CHROMIUM_PATH"), shutil.which("chromium"), shutil.which("chromium-browser"),
                      "/usr/bin/chromium"):
        if candidate and Path(candidate).exists():
            return candidate
    try:
        from playwright.sync_api import sync_playwright

        with sync_playwright() as p:
            if Path(p.chromium.executable_path).exists():
                return p.chromium.executable_path
    except Exception:  # noqa: S110 - fall through to the failure below
        pass
    pytest.fail("No Chromium found for the browser tests. Install it with `sudo apt-get install -y chromium` "
                "(or `make test`, which does that), or set CHROMIUM_PATH.")


@pytest.fixture(scope="session")
def browser_type_launch_args(browser_type_launch_args):
    return {**browser_type_launch_args, "executable_path": find_chromium(), "args": CHROMIUM_FLAGS}


@dataclass
class Portal:
    url: str
    engine: Engine

    def session(self) -> Session:
        return Session(self.engine, expire_on_commit=False)


@pytest.fixture(scope="session")
def portal():
    # HARMONY_E2E_REDIS_URL runs the same tests against Redis-backed state and two workers.
    redis = os.environ.get("HARMONY_E2E_REDIS_URL")
    extra = {"REDIS_URL": redis, "GRANIAN_WORKERS": "2"} if redis else {}
    # One address signs in dozens of times a minute here: the limits themselves are tested in
    # tests/services/signin/test_rate_limits.py.
    # Jobs every second: a role past its end date ends while a test watches its holder's page.
    server = devserver.start(PREFERRED_PORT, HARMONY_IDLE_CHECK_SECONDS="2", HARMONY_RATE_LIMITS="0",
                             HARMONY_JOB_POLL_SECONDS="1", **extra)
    try:
        engine = make_engine(server.database_url)
        with Session(engine) as session:
            # The weekly Sunday window would refuse the tests' saves on a Sunday afternoon; the
            # maintenance tests add the windows they need.
            session.add(WeeklyMaintenance(id=1, active=False))
            session.commit()
        yield Portal(url=server.url, engine=engine)
    finally:
        server.stop()


@pytest.fixture(scope="session")
def base_url() -> None:
    """No base URL: every test names the portal's address. (Replaces pytest-playwright's own
    fixture, a session fixture written as a method, which pytest deprecates.)"""
    return None


@pytest.fixture
def page(page):
    page.set_default_timeout(15_000)
    return page


# Assertions wait as long as actions do, on every page of every context a test opens: on a loaded
# two-core machine a sign-in's password check alone can take seconds.
expect.set_options(timeout=15_000)
