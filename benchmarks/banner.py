"""Maintenance banner: time from a window added (on /admin, and from the command line) to the
banner on every open page.

One production server; PAGES signed-out Login pages are open as bare websocket clients
(benchmarks/socket_dashboard.py: Reflex's own protocol, so the server's share shows alone).
An administrator adds ROUNDS windows through the real /admin form in Chromium (time from
the click), then ROUNDS through `harmony-portal maintenance add` (time from starting the
command: it has no connection to the app, so the banner clock's poll is part of it).
"""

from __future__ import annotations

import os
import subprocess
import sys
import time
from datetime import timedelta
from pathlib import Path

from playwright.sync_api import sync_playwright
from sqlmodel import Session

from benchmarks.common import summary, write_results
from benchmarks.socket_dashboard import ReflexSocket
from harmony_portal.db import make_engine
from harmony_portal.models import User, utc_now
from harmony_portal.server import devserver
from harmony_portal.services.clock import to_local
from harmony_portal.services.signin import two_factor
from harmony_portal.services.signin.sessions import start_session
from harmony_portal.settings import PROJECT_ROOT
from tests.e2e.conftest import CHROMIUM_FLAGS, find_chromium

PAGES = int(os.environ.get("BENCH_PAGES", "100"))
ROUNDS = int(os.environ.get("BENCH_ROUNDS", "5"))
CLI = str(Path(sys.executable).with_name("harmony-portal"))


def _admin_token(engine) -> str:
    with Session(engine, expire_on_commit=False) as s:
        admin = User(user_id="banneradmin", user_id_key="banneradmin", email="ba@example.org",
                     email_key="ba@example.org", first_name="Ban", last_name="Ner", password_hash="x", is_admin=True)
        s.add(admin)
        s.flush()
        two_factor.enrol_trusted_device(s, admin, reason="benchmark")
        token = start_session(s, admin, second_factor=True)
        s.commit()
    return token


def _arrivals(pages: list[ReflexSocket], text: str, since_ms: float) -> list[float]:
    latencies = []
    for page in pages:
        seen = page.wait_for(text, timeout=30)
        if seen is None:
            raise AssertionError(f"a page never showed {text!r}")
        latencies.append(seen - since_ms)
    return latencies


def _local(moment) -> str:
    return to_local(moment).strftime("%Y-%m-%dT%H:%M")


def run() -> dict:
    server = devserver.start(3517)  # the browser tests' port: one frontend build serves both
    admin_ms, cli_ms = [], []
    try:
        engine = make_engine(server.database_url)
        token = _admin_token(engine)
        pages = [ReflexSocket(server.url) for _ in range(PAGES)]
        for page in pages:
            page.open_page("/login/")
        for page in pages:
            if page.wait_for("banner_phase", timeout=30) is None:
                raise AssertionError("a login page never loaded")
        with sync_playwright() as p:
            browser = p.chromium.launch(executable_path=find_chromium(), args=CHROMIUM_FLAGS)
            context = browser.new_context()
            context.add_cookies([{"name": "harmony_session", "value": token, "url": server.url}])
            admin = context.new_page()
            admin.goto(server.url + "/admin")
            for i in range(ROUNDS):
                start = utc_now() + timedelta(hours=2, minutes=i)
                admin.get_by_label("Starts (Alaska time)").fill(_local(start))
                admin.get_by_label("Ends (Alaska time)").fill(_local(start + timedelta(hours=1)))
                admin.get_by_label("Reason users will see").fill(f"Admin round {i}")
                admin.evaluate("""() => document.querySelectorAll('button[type=submit]').forEach(b =>
                    b.addEventListener('click', () => { window.__clicked = Date.now(); }, {capture: true}))""")
                admin.get_by_role("button", name="Add window").click()
                admin_ms += _arrivals(pages, f"Admin round {i}", admin.evaluate("window.__clicked"))
                admin.get_by_role("button", name="Cancel window").first.click()
                admin.wait_for_timeout(500)
            browser.close()
        env = {**os.environ, "DATABASE_URL": server.database_url, "PYTHONPATH": str(PROJECT_ROOT)}
        for i in range(ROUNDS):
            start = utc_now() + timedelta(hours=3, minutes=-i)  # each earlier: the banner names the first
            began = time.time() * 1000
            subprocess.run([CLI, "maintenance", "add", "--start", start.isoformat(), "--end",
                            (start + timedelta(hours=1)).isoformat(), "--reason", f"Command round {i}"],
                           env=env, check=True, capture_output=True, timeout=120)
            cli_ms += _arrivals(pages, f"Command round {i}", began)
        for page in pages:
            page.close()
        engine.dispose()
    finally:
        server.stop(keep_log_as="harmony-bench-server.log")
    return {"pages": PAGES, "rounds": ROUNDS, "state": "memory, 1 worker",
            "admin_click_to_banner_on_every_page": summary(admin_ms),
            "command_start_to_banner_on_every_page": summary(cli_ms)}


if __name__ == "__main__":
    write_results("banner", run())
