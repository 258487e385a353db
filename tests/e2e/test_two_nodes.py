"""Production: two app nodes behind nginx on PostgreSQL and Redis, and what happens when a part fails.

The recipe of docs/deployment.md, run for real: a PostgreSQL cluster and a Redis of the test's
own (the fault tests stop and start them), two `harmony-portal serve` nodes in production mode,
nginx with TLS (a self-signed certificate) in front. Chromium reaches node A as
https://a.localhost and node B as https://b.localhost (each name routes to its node, the other
standing by), and the portal as https://localhost (either node).
"""

from __future__ import annotations

import http.client
import os
import shutil
import signal
import ssl
import tempfile
import time
import urllib.request
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path

import pytest
from playwright.sync_api import expect
from sqlalchemy import text
from sqlmodel import Session, select

from harmony_portal.db import make_engine
from harmony_portal.models import PQ, Draft, Organization, RoleRequest, WeeklyMaintenance, utc_now
from harmony_portal.server import devserver, migrations
from harmony_portal.services.clock import to_local
from harmony_portal.services.signing import certificates
from tests.e2e.conftest import Portal
from tests.e2e.helpers import make_account, sign_in
from tests.servers import Nginx, ThrowawayPostgres, ThrowawayRedis, self_signed_certificate

HOSTS = ("localhost", "a.localhost", "b.localhost")
ORG = "NODES1"


@dataclass
class Cluster:
    pg: ThrowawayPostgres
    redis: ThrowawayRedis
    node_a: devserver.DevServer
    node_b: devserver.DevServer
    engine: object
    env: dict[str, str]

    def portal(self, host: str = "localhost") -> Portal:
        return Portal(url=f"https://{host}", engine=self.engine)

    def start_node_b_again(self) -> None:
        """A stopped node B back on its port (as a rolling deploy brings it back)."""
        self.node_b.stop(keep_log_as="harmony-node-b-stopped.log")
        self.node_b = devserver.start(_port(self.node_b), self.pg.url(), **self.env)


@pytest.fixture(scope="module")
def cluster():
    workdir = Path(tempfile.mkdtemp(prefix="harmony-nodes-"))
    pg, rds = ThrowawayPostgres(), ThrowawayRedis()
    nodes, nginx = [], None
    try:
        migrations.upgrade(pg.url())  # once per deployment, before the nodes start
        signing_cert, signing_key, signing_roots = certificates.generate_into(workdir / "signing")
        env = {"HARMONY_SIGNING_CERT": str(signing_cert), "HARMONY_SIGNING_KEY": str(signing_key),
               "HARMONY_SIGNING_ROOTS": str(signing_roots),
               "REDIS_URL": rds.url, "HARMONY_ENV": "production", "HARMONY_DEMO": "0",
               # The key the test process seals two-factor secrets with (tests/conftest.py), not a placeholder.
               "HARMONY_SECRET_KEY": os.environ["HARMONY_SECRET_KEY"], "HARMONY_BASE_URL": "https://localhost",
               "HARMONY_MAIL_FROM": "Harmony Portal <no-reply@portal.example.org>",
               "HARMONY_EXTRA_ORIGINS": "https://a.localhost,https://b.localhost",
               "HARMONY_TRUSTED_PROXY_HOPS": "1", "HARMONY_UPLOAD_DIR": str(workdir / "attachments"),
               # One build serves every node: behind TLS the browser reaches its page's own host.
               "HARMONY_FRONTEND_PORT": "3517", "GRANIAN_WORKERS": "1"}
        for port in (3601, 3602):
            nodes.append(devserver.start(port, pg.url(), **env))
        cert, key = self_signed_certificate(workdir, list(HOSTS))
        nginx = Nginx(port_a=_port(nodes[0]), port_b=_port(nodes[1]), host_a="a.localhost", host_b="b.localhost",
                      https_port=443, certificate=cert, certificate_key=key)  # no port 80 at all
        engine = make_engine(pg.url())
        with Session(engine) as s:
            s.add(Organization(id=ORG, name="Two Nodes Home", provider_type="Nursing Home"))
            # The test runs at the real time: on a Sunday afternoon in Alaska the weekly window
            # would refuse its saves. The window it adds itself is the one it tests.
            s.add(WeeklyMaintenance(id=1, active=False))
            s.commit()
        cluster = Cluster(pg, rds, nodes[0], nodes[1], engine, env)
        yield cluster
        nodes[1] = cluster.node_b
        engine.dispose()
    finally:
        if nginx:
            nginx.close()
        for node in nodes:
            node.stop(keep_log_as=f"harmony-node-{_port(node)}.log")
        rds.close()
        pg.close()
        shutil.rmtree(workdir, ignore_errors=True)


def _port(node: devserver.DevServer) -> int:
    return int(node.url.rsplit(":", 1)[1])


def _tls() -> ssl.SSLContext:
    return ssl._create_unverified_context()  # noqa: S323 - the test's own self-signed certificate


def _context(browser):
    context = browser.new_context(ignore_https_errors=True)
    context.set_default_timeout(20_000)
    return context


def test_nginx_serves_tls_with_security_headers_and_limits(cluster):
    with urllib.request.urlopen("https://localhost/login", context=_tls(), timeout=10) as answer:  # noqa: S310
        headers = answer.headers
        assert answer.status == 200
    assert "frame-ancestors 'none'" in headers["Content-Security-Policy"]
    assert headers["X-Content-Type-Options"] == "nosniff" and headers["X-Frame-Options"] == "DENY"
    assert headers["Referrer-Policy"] == "same-origin" and "max-age=" in headers["Strict-Transport-Security"]
    for name in ("Content-Security-Policy", "X-Frame-Options", "X-Content-Type-Options", "Referrer-Policy",
                 "Permissions-Policy", "Strict-Transport-Security"):  # the portal's, and once only
        assert len(headers.get_all(name) or []) == 1, name
    assert "nginx/" not in headers.get("Server", "")
    # The portal's own redirects (a page asked for without its slash) stay on https behind the proxy.
    for path in ("/signup", "/login", "/pq"):
        tls = http.client.HTTPSConnection("localhost", 443, context=_tls(), timeout=10)
        tls.request("GET", path)
        hop = tls.getresponse()
        location = hop.getheader("Location") or ""
        tls.close()
        assert not location.startswith("http://"), f"{path} sends the browser to {location}"
    with pytest.raises(OSError):  # nothing listens on port 80: every hop above stayed on https by itself
        http.client.HTTPConnection("localhost", 80, timeout=5).request("GET", "/login")
    for path, size in (("/auth/session", 2_000_000), ("/_upload", 60_000_000)):
        conn = http.client.HTTPSConnection("localhost", 443, context=_tls(), timeout=10)
        conn.putrequest("POST", path)
        conn.putheader("Content-Length", str(size))
        conn.endheaders()  # nginx answers from the header alone: nothing this large is read
        assert conn.getresponse().status == 413, path


def test_a_change_through_node_a_reaches_a_page_on_node_b(browser, cluster):
    official, o_secret = make_account(cluster.portal("b.localhost"), "nodeoff", first="Olga",
                                      roles=((ORG, "Security Official"),))
    requester, r_secret = make_account(cluster.portal("a.localhost"), "nodereq", first="Rae", last="Remote")
    on_b, on_a = _context(browser), _context(browser)
    try:
        dashboard = _role_requests_on_b(on_b, cluster, official, o_secret)
        cookie = next(c for c in on_b.cookies() if c["name"] == "harmony_session")
        assert cookie["httpOnly"] and cookie["secure"]

        form = on_a.new_page()
        sign_in(form, cluster.portal("a.localhost"), requester, r_secret)
        _fill_role_request(form, "Cross-node request, please approve.")
        form.get_by_role("button", name="Submit Request").click()
        clicked = time.monotonic()
        expect(dashboard.get_by_role("checkbox", name="Select Rae Remote")).to_be_visible(timeout=5_000)
        seen_after = time.monotonic() - clicked
        assert seen_after < 3, f"the row took {seen_after:.1f} s to cross nodes"
    finally:
        on_a.close()
        on_b.close()


def test_a_window_and_a_pq_through_node_a_reach_the_help_desk_on_node_b(browser, cluster):
    desk_b, desk_b_secret = make_account(cluster.portal("b.localhost"), "nodedeskb", is_admin=True)
    desk_a, desk_a_secret = make_account(cluster.portal("a.localhost"), "nodedeska", is_admin=True)
    provider, p_secret = make_account(cluster.portal("a.localhost"), "nodepq", roles=((ORG, "Staff"),))
    on_b, on_a, provider_a = _context(browser), _context(browser), _context(browser)
    try:
        queue = on_b.new_page()
        sign_in(queue, cluster.portal("b.localhost"), desk_b, desk_b_secret)
        queue.goto("https://b.localhost/help-desk")
        expect(queue.get_by_role("heading", name="Help Desk queue")).to_be_visible()

        admin = on_a.new_page()
        sign_in(admin, cluster.portal("a.localhost"), desk_a, desk_a_secret)
        admin.goto("https://a.localhost/admin")
        start = utc_now() + timedelta(hours=3)
        admin.get_by_label("Starts (Alaska time)").fill(to_local(start).strftime("%Y-%m-%dT%H:%M"))
        admin.get_by_label("Ends (Alaska time)").fill(to_local(start + timedelta(hours=1)).strftime("%Y-%m-%dT%H:%M"))
        admin.get_by_label("Reason users will see").fill("Cross-node window")
        admin.get_by_role("button", name="Add window").click()
        expect(queue.get_by_role("status").filter(has_text="Cross-node window")).to_be_visible(timeout=3_000)

        filing = provider_a.new_page()
        sign_in(filing, cluster.portal("a.localhost"), provider, p_secret)
        filing.goto("https://a.localhost/pq/new")
        filing.get_by_label("Provider Name").select_option(value=ORG)
        filing.get_by_label("Inquiry Type").select_option("Billing")
        filing.get_by_label("Subject").fill("Filed through node A")
        filing.get_by_label("Details").fill("Does the help desk on node B see this at once?")
        filing.get_by_role("button", name="Save PQ").click()
        expect(filing.get_by_role("status").filter(has_text="The save was successful")).to_be_visible()
        expect(queue.get_by_role("main")).to_contain_text("Filed through node A", timeout=3_000)
    finally:
        for context in (on_a, on_b, provider_a):
            context.close()


def test_postgresql_restarted_events_say_try_again_and_the_app_recovers(browser, cluster):
    provider, secret = make_account(cluster.portal(), "nodepg", first="Pia")
    context = _context(browser)
    try:
        page = context.new_page()
        sign_in(page, cluster.portal(), provider, secret)
        page.goto("https://localhost/roles/request")
        page.get_by_label("Organization").select_option(ORG)
        page.get_by_label("Role").select_option("Staff")
        page.get_by_label("Justification").fill("Typed while the database restarts.")
        cluster.pg.stop()
        try:
            page.get_by_role("button", name="Submit Request").click()
            expect(page.get_by_text("try again in a moment")).to_be_visible()
            expect(page.get_by_label("Justification")).to_have_value("Typed while the database restarts.")
        finally:
            cluster.pg.start()
        with Session(cluster.engine) as s:
            assert s.exec(select(RoleRequest).where(RoleRequest.user_id == provider.id)).all() == []
        page.get_by_role("button", name="Submit Request").click()  # no restart of the app
        expect(page.get_by_role("heading", name="Welcome, Pia")).to_be_visible()  # submitted: Home
        with Session(cluster.engine) as s:
            assert len(s.exec(select(RoleRequest).where(RoleRequest.user_id == provider.id)).all()) == 1
    finally:
        context.close()


def test_redis_restarted_loses_no_saved_data_and_the_app_recovers(browser, cluster):
    provider, secret = make_account(cluster.portal(), "noderedis", first="Rex", roles=((ORG, "Staff"),))
    context = _context(browser)
    try:
        page = context.new_page()
        sign_in(page, cluster.portal(), provider, secret)
        page.goto("https://localhost/")
        expect(page.get_by_role("heading", name="Welcome, Rex")).to_be_visible()
        cluster.redis.stop()
        cluster.redis.start()  # empty: every page's state and socket record are gone
        page.goto("https://localhost/")
        # The session lives in PostgreSQL behind an HttpOnly cookie: still signed in, roles intact.
        expect(page.get_by_role("heading", name="Welcome, Rex")).to_be_visible()
        expect(page.get_by_role("main")).to_contain_text("Two Nodes Home")
    finally:
        context.close()


def test_a_request_filed_just_after_redis_came_back_empty_reaches_an_open_dashboard_at_once(browser, cluster):
    """Redis restarted empty (every channel, page state and socket record gone). A request filed
    through node A 1.5 s after Redis answers again reaches the Security Official's dashboard, open
    all along on node B and never reloaded, within 2 s of the click (it took 26 s when the channels
    retried every 5 s and dropped what was published meanwhile)."""
    official, o_secret = make_account(cluster.portal("b.localhost"), "redisoff", first="Odin",
                                      roles=((ORG, "Security Official"),))
    requester, r_secret = make_account(cluster.portal("a.localhost"), "redisreq", first="Runa", last="Restart")
    on_b, on_a = _context(browser), _context(browser)
    try:
        dashboard = _role_requests_on_b(on_b, cluster, official, o_secret)
        form = on_a.new_page()
        sign_in(form, cluster.portal("a.localhost"), requester, r_secret)

        cluster.redis.stop()
        cluster.redis.start()
        back = time.monotonic()
        _fill_role_request(form, "Filed just after Redis came back.")  # a new page: its state went with Redis
        form.wait_for_timeout(max(0, 1_500 - (time.monotonic() - back) * 1000))
        form.get_by_role("button", name="Submit Request").click()
        clicked = time.monotonic()
        expect(dashboard.get_by_role("checkbox", name="Select Runa Restart")).to_be_visible(timeout=10_000)
        seen_after = time.monotonic() - clicked
        print(f"filed {clicked - back:.1f} s after Redis came back; on the dashboard {seen_after:.2f} s later")
        assert seen_after < 2, f"the row took {seen_after:.1f} s after Redis came back"
    finally:
        on_a.close()
        on_b.close()


def test_a_node_stopped_mid_save_finishes_it_and_the_page_says_saved_with_one_pq(browser, cluster):
    """A rolling deploy: SIGTERM reaches the tab's node while its Save PQ is running (held here on a
    table lock, as a slow database would). The node lets the save finish before it exits; its socket
    closed at once, so the answer can't come from it: the tab reconnects to the other node and sends
    the save again with the form's key, which finds the PQ (or the first save's row wins the unique
    index). One PQ, and the page says it was saved without a second click."""
    provider, secret = make_account(cluster.portal("b.localhost"), "nodeterm", first="Tess", roles=((ORG, "Staff"),))
    context = _context(browser)
    try:
        page = _add_pq_open(context, cluster, "b.localhost", provider, secret,
                            "Saved as node B stops", "The deploy stops node B as I press Save PQ.")
        with cluster.engine.connect() as lock, lock.begin():
            lock.execute(text("LOCK TABLE pq IN SHARE ROW EXCLUSIVE MODE"))  # new PQs wait
            page.get_by_role("button", name="Save PQ").click()
            _wait_for_a_save_waiting_on_the_lock(cluster)  # the save is running on node B, held
            os.killpg(cluster.node_b.process.pid, signal.SIGTERM)
            page.wait_for_timeout(1_500)
            assert cluster.node_b.process.poll() is None, "node B exited with a save still running"
        cluster.node_b.process.wait(timeout=20)  # the save done, the node goes
        expect(page.get_by_role("status").filter(has_text="The save was successful")).to_be_visible(timeout=30_000)
        expect(page.get_by_role("heading", level=1)).to_contain_text("PQ ")
        with Session(cluster.engine) as s:
            filed = s.exec(select(PQ).where(PQ.created_by_id == provider.id)).all()
        assert [p.subject for p in filed] == ["Saved as node B stops"]
    finally:
        context.close()
        cluster.start_node_b_again()


def test_a_node_killed_mid_session_its_users_reconnect_signed_in_with_their_draft(browser, cluster):
    provider, secret = make_account(cluster.portal("a.localhost"), "nodekill", first="Kai", roles=((ORG, "Staff"),))
    context = _context(browser)
    try:
        page = _add_pq_open(context, cluster, "a.localhost", provider, secret,
                            "Typed on node A", "Node A goes away before I save.")
        page.get_by_label("Subject").focus()  # leaving Details saves the draft on the server
        _wait_for_draft(cluster, provider.id, "Node A goes away before I save.")
        # Then more typing, and node A dies 0.1 s after the last key: long before the draft's next save.
        page.get_by_label("Details").press_sequentially(" And these last words too.", delay=20)
        page.wait_for_timeout(100)
        os.killpg(cluster.node_a.process.pid, signal.SIGKILL)
        cluster.node_a.process.wait(timeout=10)
        with pytest.raises(OSError):
            urllib.request.urlopen(cluster.node_a.url + "/ping", timeout=2)  # noqa: S310 - it is gone
        page.wait_for_timeout(3_000)  # the tab reconnects to node B, which draws the form from the draft again
        expect(page.get_by_label("Details")).to_have_value(
            "Node A goes away before I save. And these last words too.")  # every character is there
        page.get_by_role("button", name="Save PQ").click()  # through nginx to node B, same session
        expect(page.get_by_role("status").filter(has_text="The save was successful")).to_be_visible(timeout=30_000)
        expect(page.get_by_role("heading", level=1)).to_contain_text("PQ ")
        expect(page.get_by_role("tabpanel")).to_contain_text("Typed on node A")
        expect(page.get_by_role("tabpanel")).to_contain_text("And these last words too.")
    finally:
        context.close()


def _role_requests_on_b(context, cluster, official, secret: str):
    page = context.new_page()
    sign_in(page, cluster.portal("b.localhost"), official, secret)
    page.goto("https://b.localhost/security-official/requests")
    expect(page.get_by_role("heading", name="Role Requests")).to_be_visible()
    return page


def _fill_role_request(page, justification: str) -> None:
    page.goto("https://a.localhost/roles/request")
    page.get_by_label("Organization").select_option(ORG)
    page.get_by_label("Role").select_option("Staff")
    page.get_by_label("Justification").fill(justification)


def _add_pq_open(context, cluster, host: str, user, secret: str, subject: str, details: str):
    """A page signed in on ``host`` with Add PQ filled in (not saved)."""
    page = context.new_page()
    sign_in(page, cluster.portal(host), user, secret)
    page.goto(f"https://{host}/pq/new")
    page.get_by_label("Provider Name").select_option(value=ORG)
    page.get_by_label("Inquiry Type").select_option("General Question")
    page.get_by_label("Subject").fill(subject)
    page.get_by_label("Details").fill(details)
    return page


def _wait_for_a_save_waiting_on_the_lock(cluster) -> None:
    """A node's INSERT of a PQ is waiting for the test's table lock (so a save is running there)."""
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline:
        with cluster.engine.connect() as conn:
            waiting = conn.execute(text("SELECT count(*) FROM pg_stat_activity WHERE wait_event_type = 'Lock' "
                                        "AND query ILIKE 'INSERT INTO pq %'")).scalar()
        if waiting:
            return
        time.sleep(0.1)
    raise AssertionError("no save reached the database")


def _wait_for_draft(cluster, user_id: int, text: str) -> None:
    """The server-side draft holds ``text`` (a reconnecting page is filled in from it)."""
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        with Session(cluster.engine) as s:
            if any(text in d.data for d in s.exec(select(Draft).where(Draft.user_id == user_id))):
                return
        time.sleep(0.2)
    raise AssertionError("the PQ draft never reached the database")
