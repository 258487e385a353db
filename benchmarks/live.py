"""Live dashboards: time from "Submit Request" to the row on every connected official's page.

One production server; DASHBOARDS officials of one organization each have the
Role Requests page open, as a bare websocket client (default) or a Chromium page;
requesters submit REQUESTS requests through the real form in Chromium. Each
dashboard records the moment the new row reaches it; the requester's page records
the moment of the click. Both read the same machine clock.
"""

from __future__ import annotations

import os
import time

from playwright.sync_api import sync_playwright
from sqlmodel import Session

from benchmarks.common import summary, write_results
from benchmarks.socket_dashboard import SocketDashboard
from harmony_portal.db import make_engine
from harmony_portal.models import Organization, OrgRole, User
from harmony_portal.server import devserver
from harmony_portal.services.signin import two_factor
from harmony_portal.services.signin.sessions import start_session
from tests.e2e.conftest import CHROMIUM_FLAGS, find_chromium

DASHBOARDS = int(os.environ.get("BENCH_DASHBOARDS", "100"))
# 1: every dashboard is the same official in another tab (one shared feed) - isolates fan-out cost.
SAME_OFFICIAL = os.environ.get("BENCH_SAME_OFFICIAL") == "1"
# Chromium normally runs one renderer process per page: 100 processes on the benchmark's own 2 cores.
RENDERER_LIMIT = os.environ.get("BENCH_RENDERER_LIMIT", "")
# A Redis URL runs the server as in production: state in Redis, BENCH_WORKERS workers.
REDIS_URL = os.environ.get("BENCH_REDIS_URL", "")
# "socket" (default): a bare websocket client speaking Reflex's protocol
# (benchmarks/socket_dashboard.py): the server's share of the latency. "browser": a Chromium page each.
CLIENT = os.environ.get("BENCH_CLIENT", "socket")
WORKERS = os.environ.get("BENCH_WORKERS", "2")
REQUESTS = int(os.environ.get("BENCH_REQUESTS", "10"))
ORG = "LIVE1"

WATCH_ROWS = """() => {
  window.__seen = {};
  const record = () => {
    for (const box of document.querySelectorAll('input[aria-label^="Select "]')) {
      const name = box.getAttribute('aria-label');
      if (!(name in window.__seen)) window.__seen[name] = Date.now();
    }
  };
  new MutationObserver(record).observe(document.body, {subtree: true, childList: true});
  record();
}"""


def _people(engine) -> tuple[list[str], list[tuple[str, str]]]:
    """Session tokens for the officials and the requesters (name, token)."""
    with Session(engine, expire_on_commit=False) as s:
        s.add(Organization(id=ORG, name="Live Benchmark Home", provider_type="Nursing Home"))
        tokens, requesters = [], []
        for i in range(DASHBOARDS + REQUESTS):
            user = User(user_id=f"live{i}", user_id_key=f"live{i}", email=f"live{i}@example.org",
                        email_key=f"live{i}@example.org", first_name="Req" if i >= DASHBOARDS else "Off",
                        last_name=f"N{i}", password_hash="x")
            s.add(user)
            s.flush()
            two_factor.enrol_trusted_device(s, user, reason="benchmark")
            if i < DASHBOARDS:
                if not (SAME_OFFICIAL and tokens):
                    s.add(OrgRole(user_id=user.id, organization_id=ORG, role="Security Official"))
                    official = user
                tokens.append(start_session(s, official, second_factor=True))
            else:
                requesters.append((f"N{i}", start_session(s, user, second_factor=True)))
        s.commit()
    return tokens, requesters


class _BrowserDashboard:
    def __init__(self, browser, url: str, token: str):
        context = browser.new_context()
        context.add_cookies([{"name": "harmony_session", "value": token, "url": url}])
        self.page = context.new_page()
        self.page.goto(url + "/security-official/requests")
        self.page.get_by_role("heading", name="Role Requests").wait_for(timeout=60_000)
        self.page.get_by_text("pending request(s)").wait_for(timeout=60_000)
        self.page.evaluate(WATCH_ROWS)

    def watch(self, _last_name: str) -> None:
        pass  # the page records every row as it appears

    def seen_at(self, last_name: str) -> float:
        return self.page.evaluate(f"window.__seen['Select Req {last_name}'] || 0")


class _SocketDashboard:
    def __init__(self, url: str, token: str):
        self.client = SocketDashboard(url, token)
        if not self.client.wait_ready(30):
            raise AssertionError("a socket dashboard never received its queue")

    def watch(self, last_name: str) -> None:
        """Every message is kept: nothing to set up."""

    def seen_at(self, last_name: str) -> float:
        return self.client.first_seen(f'"{last_name}"') or 0


def _submit(browser, url: str, token: str) -> float:
    """File a request through the real form; returns the click time (epoch ms)."""
    context = browser.new_context()
    context.add_cookies([{"name": "harmony_session", "value": token, "url": url}])
    page = context.new_page()
    page.goto(url + "/roles/request")
    page.get_by_label("Organization").select_option(ORG)
    page.get_by_label("Role").select_option("Staff")
    page.get_by_label("Justification").fill("Live benchmark request, please approve.")
    page.evaluate("""() => document.querySelector('button[type=submit]').addEventListener(
        'click', () => { window.__clicked = Date.now(); }, {capture: true})""")
    page.get_by_role("button", name="Submit Request").click()
    clicked = page.evaluate("window.__clicked")
    context.close()
    return clicked


def run() -> dict:
    extra = {"REDIS_URL": REDIS_URL, "GRANIAN_WORKERS": WORKERS} if REDIS_URL else {}
    server = devserver.start(3517, **extra)  # the browser tests use the same port: one frontend build serves both
    try:
        engine = make_engine(server.database_url)
        tokens, requesters = _people(engine)
        latencies = []
        with sync_playwright() as p:
            flags = CHROMIUM_FLAGS + ([f"--renderer-process-limit={RENDERER_LIMIT}"] if RENDERER_LIMIT else [])
            browser = p.chromium.launch(executable_path=find_chromium(), args=flags)
            dashboards = [_SocketDashboard(server.url, t) if CLIENT == "socket"
                          else _BrowserDashboard(browser, server.url, t) for t in tokens]
            for last_name, token in requesters:
                for dashboard in dashboards:
                    dashboard.watch(last_name)
                clicked = _submit(browser, server.url, token)
                deadline = time.monotonic() + 30
                pending = set(range(len(dashboards)))
                while pending and time.monotonic() < deadline:
                    for i in list(pending):
                        if seen := dashboards[i].seen_at(last_name):
                            latencies.append(seen - clicked)
                            pending.discard(i)
                    time.sleep(0.5)  # timestamps are taken on arrival; polling only collects them
                if pending:
                    raise AssertionError(f"{len(pending)} dashboards never showed {last_name}")
            browser.close()
        engine.dispose()
    finally:
        server.stop(keep_log_as="harmony-bench-server.log")
    return {"dashboards": DASHBOARDS, "requests": REQUESTS, "client": CLIENT,
            "same_official_in_every_tab": SAME_OFFICIAL, "renderer_process_limit": RENDERER_LIMIT or "default",
            "state": f"redis, {WORKERS} workers" if REDIS_URL else "memory, 1 worker",
            "submit_to_row_on_every_dashboard": summary(latencies)}


if __name__ == "__main__":
    write_results("live", run())
