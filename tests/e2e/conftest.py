"""Browser tests: one production server per test session, Playwright in Chromium.

The server is the real thing (`harmony-portal serve`: migrations, demo seed,
production frontend) on its own port, with its own SQLite database.
"""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from dataclasses import dataclass
from pathlib import Path

import pytest
from sqlalchemy.engine import Engine
from sqlmodel import Session

from harmony_portal.db import make_engine
from harmony_portal.settings import PROJECT_ROOT

CHROMIUM_FLAGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking",
                  "--disable-component-update", "--disable-sync", "--no-first-run", "--disable-quic"]
PREFERRED_PORT = 3517
START_TIMEOUT = 600


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


def _port() -> int:
    with socket.socket() as s:
        s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            s.bind(("127.0.0.1", PREFERRED_PORT))  # a stable port lets the built frontend be reused
            return PREFERRED_PORT
        except OSError:
            s.bind(("127.0.0.1", 0))
            return s.getsockname()[1]


@dataclass
class Portal:
    url: str
    engine: Engine
    log: Path

    def session(self) -> Session:
        return Session(self.engine, expire_on_commit=False)


def _wait_until_up(url: str, process: subprocess.Popen, log: Path) -> None:
    deadline = time.monotonic() + START_TIMEOUT
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"the portal exited early:\n{log.read_text()[-4000:]}")
        try:
            with urllib.request.urlopen(url + "/ping", timeout=2) as response:  # noqa: S310 - localhost
                if response.status == 200:
                    return
        except OSError:
            time.sleep(1)
    raise RuntimeError(f"the portal did not start in {START_TIMEOUT}s:\n{log.read_text()[-4000:]}")


@pytest.fixture(scope="session")
def portal():
    workdir = Path(tempfile.mkdtemp(prefix="harmony-e2e-"))
    port = _port()
    database_url = f"sqlite:///{workdir}/e2e.db"
    env = {**os.environ, "DATABASE_URL": database_url, "PORT": str(port), "HARMONY_DEMO": "1",
           "HARMONY_IDLE_CHECK_SECONDS": "2", "HARMONY_BASE_URL": f"http://localhost:{port}",
           "HARMONY_UPLOAD_DIR": str(workdir / "attachments"), "REFLEX_USE_NPM": "1",
           "REFLEX_TELEMETRY_ENABLED": "false", "REFLEX_CHECK_LATEST_VERSION": "false",
           "PATH": f"{Path(sys.executable).parent}{os.pathsep}{os.environ.get('PATH', '')}"}
    env.pop("REDIS_URL", None)
    env.pop("SMTP_URL", None)
    log = workdir / "server.log"
    with log.open("w") as out:
        process = subprocess.Popen([str(Path(sys.executable).with_name("harmony-portal")), "serve"],
                                   cwd=PROJECT_ROOT, env=env, stdout=out, stderr=subprocess.STDOUT,
                                   start_new_session=True)
    url = f"http://localhost:{port}"
    try:
        _wait_until_up(url, process, log)
        yield Portal(url=url, engine=make_engine(database_url), log=log)
    finally:
        os.killpg(process.pid, 15)
        try:
            process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, 9)
        # Keep the server's log for whoever debugs a failure.
        shutil.copy(log, Path(tempfile.gettempdir()) / "harmony-e2e-server.log")
        shutil.rmtree(workdir, ignore_errors=True)


@pytest.fixture
def page(page):
    page.set_default_timeout(15_000)
    return page
