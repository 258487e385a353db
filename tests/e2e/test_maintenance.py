"""Maintenance windows reach every open page live, and nobody loses what they typed."""

import os
import re
import subprocess
import sys
from datetime import timedelta
from pathlib import Path

from playwright.sync_api import expect

from harmony_portal.models import utc_now
from harmony_portal.services.clock import to_local
from harmony_portal.settings import PROJECT_ROOT
from tests.e2e.helpers import assert_accessible, make_account, sign_in

CLI = str(Path(sys.executable).with_name("harmony-portal"))


def _local_input(moment) -> str:
    """What a datetime-local field holds, in Alaska time."""
    return to_local(moment).strftime("%Y-%m-%dT%H:%M")


def _cli(portal, *args: str) -> str:
    env = {**os.environ, "DATABASE_URL": portal.engine.url.render_as_string(hide_password=False),
           "PYTHONPATH": str(PROJECT_ROOT)}
    done = subprocess.run([CLI, "maintenance", *args], env=env, capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    return done.stdout


def _banner(page):
    return page.locator(".banner")


def test_a_window_reaches_every_open_page_live_and_a_save_during_it_keeps_the_work(browser, portal):
    contexts = [browser.new_context() for _ in range(4)]
    provider_page, official_page, login_page, admin_page = (c.new_page() for c in contexts)
    for p in (provider_page, official_page, login_page, admin_page):
        p.set_default_timeout(15_000)
    try:
        provider, p_secret = make_account(portal, "mwprov", first="Mia", roles=(("123", "Staff"),))
        official, o_secret = make_account(portal, "mwoff", first="Owen", roles=(("123", "Security Official"),))
        admin, a_secret = make_account(portal, "mwadm", first="Ada", is_admin=True)
        sign_in(provider_page, portal, provider, p_secret)
        provider_page.goto(portal.url + "/pq/new")
        provider_page.get_by_label("Provider Name").select_option(label="Taiga Nursing Home (123)")
        provider_page.get_by_label("Inquiry Type").select_option("General Question")
        provider_page.get_by_label("Subject").fill("Question typed before maintenance")
        provider_page.get_by_label("Details").fill("Half-way through this when the window starts.")
        sign_in(official_page, portal, official, o_secret)
        official_page.goto(portal.url + "/security-official/requests")
        login_page.goto(portal.url + "/login")
        expect(login_page.get_by_label("User ID")).to_be_visible()
        sign_in(admin_page, portal, admin, a_secret)
        admin_page.goto(portal.url + "/admin")

        # 1. Added on /admin: every page shows it without reload, counting down (it starts within 30 min).
        start = utc_now() + timedelta(minutes=10)
        admin_page.get_by_label("Starts (Alaska time)").fill(_local_input(start))
        admin_page.get_by_label("Ends (Alaska time)").fill(_local_input(start + timedelta(hours=1)))
        admin_page.get_by_label("Reason users will see").fill("Database upgrade")
        admin_page.get_by_role("button", name="Add window").click()
        expect(admin_page.get_by_role("status").filter(has_text="Maintenance window added")).to_be_visible()
        for p in (provider_page, official_page, login_page):
            banner = p.get_by_role("status").filter(has_text="Scheduled maintenance")
            expect(banner).to_contain_text("Database upgrade", timeout=3_000)
            expect(banner).to_contain_text(re.compile(r"Starts in \d+ minutes"))
        assert_accessible(login_page)

        # 2. Cancelled on /admin: gone everywhere.
        admin_page.get_by_role("button", name="Cancel window").first.click()
        for p in (provider_page, official_page, login_page):
            expect(_banner(p)).to_have_count(0, timeout=3_000)

        # 3. Added from the command line, starting in a few seconds: seen within 10 s, then it starts by itself.
        start = utc_now() + timedelta(seconds=12)
        added = _cli(portal, "add", "--start", start.isoformat(), "--end",
                     (start + timedelta(minutes=30)).isoformat(), "--reason", "Emergency patch")
        window_id = added.split()[3].rstrip(":")
        for p in (provider_page, official_page, login_page):
            expect(p.get_by_role("status").filter(has_text="Emergency patch")).to_be_visible(timeout=10_000)
        for p in (provider_page, official_page, login_page):
            alert = p.get_by_role("alert").filter(has_text="Harmony is in maintenance until")
            expect(alert).to_be_visible(timeout=15_000)
        expect(_banner(login_page).get_by_role("link", name="report of harm")).to_have_attribute(
            "href", "/maintenance/report-of-harm")
        assert_accessible(provider_page)

        # 4. The provider's save is refused; what they typed stays on the page.
        provider_page.get_by_role("button", name="Save PQ").click()
        refusal = provider_page.get_by_role("alert").filter(has_text="nothing was saved")
        expect(refusal).to_contain_text("nothing you typed is lost")
        expect(provider_page.get_by_label("Subject")).to_have_value("Question typed before maintenance")
        expect(provider_page.get_by_label("Details")).to_have_value("Half-way through this when the window starts.")

        # 5. The window ends (cancelled from the command line): the alert goes, the same save works.
        _cli(portal, "cancel", window_id)
        expect(_banner(provider_page)).to_have_count(0, timeout=10_000)
        provider_page.get_by_role("button", name="Save PQ").click()
        expect(provider_page.get_by_role("status").filter(has_text="The save was successful")).to_be_visible()
    finally:
        for c in contexts:
            c.close()


def test_report_of_harm_instructions_are_public_and_accessible(page, portal):
    page.goto(portal.url + "/maintenance/report-of-harm")
    expect(page.get_by_role("heading", name="Report of harm during maintenance")).to_be_visible()
    expect(page.get_by_text("Adult Protective Services")).to_be_visible()
    assert_accessible(page)
