"""Help-desk administration and the emailed password reset, in Chromium."""

import re
from datetime import UTC, datetime, timedelta

from playwright.sync_api import expect
from sqlmodel import select

from harmony_portal.models import OutboxEmail, User
from harmony_portal.services.notifications.notify import rendered_body
from tests.e2e.helpers import CHALLENGE_ANSWER, assert_accessible, fresh_code, make_account, sign_in


def test_administrator_unlocks_an_account_and_adds_an_organization(page, portal):
    admin, secret = make_account(portal, "desk", first="Dana", is_admin=True)
    locked, _ = make_account(portal, "stuck")
    with portal.session() as s:
        user = s.get(User, locked.id)
        user.locked_until = datetime.now(UTC) + timedelta(minutes=15)
        s.add(user)
        s.commit()
    sign_in(page, portal, admin, secret)
    page.get_by_role("link", name="Administration").click()
    expect(page.get_by_role("heading", level=1, name="Administration")).to_be_visible()
    assert_accessible(page)
    page.get_by_label("User ID, Email or Name").fill(locked.user_id)
    page.get_by_role("button", name="Find").click()
    expect(page.get_by_role("cell", name=re.compile("^Locked until"))).to_be_visible()
    page.get_by_role("button", name=f"View {locked.user_id}").click()
    page.get_by_role("button", name="Unlock account").click()
    expect(page.get_by_role("status").filter(has_text="Account unlocked.")).to_be_visible()
    with portal.session() as s:
        assert s.get(User, locked.id).locked_until is None

    page.get_by_label("Organization ID").fill("AK-CC-77")
    page.get_by_label("Organization name").fill("Chugach Care Coordination")
    page.get_by_label("Provider type").select_option("Care Coordinator")
    page.get_by_role("button", name="Add organization").click()
    expect(page.get_by_role("cell", name="Chugach Care Coordination", exact=True)).to_be_visible()
    page.get_by_label("Organization ID").fill("AK-CC-77")
    page.get_by_label("Organization name").fill("Duplicate")
    page.get_by_label("Provider type").select_option("Nursing Home")
    page.get_by_role("button", name="Add organization").click()
    expect(page.get_by_label("Organization ID")).to_have_accessible_description("Organization AK-CC-77 already exists.")


def test_emailed_reset_link_sets_a_new_password(page, portal):
    user, secret = make_account(portal, "forgetful")
    page.goto(portal.url + "/login")
    page.get_by_role("link", name="Having trouble logging in?").click()
    page.get_by_label("Email Address").fill(user.email.upper())
    page.get_by_role("button", name="Send reset link").click()
    expect(page.get_by_role("status").filter(has_text="reset link is on its way")).to_be_visible()
    with portal.session() as s:
        body = rendered_body(s.exec(select(OutboxEmail).where(OutboxEmail.to_address == user.email)).one())
    link = re.search(r"http://\S+/forgot\?token=\S+", body).group(0)
    page.goto(link)
    expect(page.get_by_text("What city were you born in?")).to_be_visible()
    history_before = page.evaluate("window.history.length")
    assert_accessible(page)
    page.get_by_label("Challenge Answer").fill("wrong answer")
    page.get_by_label("Security code").fill(fresh_code(portal, user.id, secret))
    page.get_by_label("New Password", exact=True).fill("Salmonberry season again")
    page.get_by_label("Confirm New Password").fill("Salmonberry season again")
    page.get_by_role("button", name="Reset password").click()
    expect(page.get_by_label("Challenge Answer")).to_have_accessible_description(
        "The Challenge Answer or the security code is not correct.")
    expect(page.get_by_label("New Password", exact=True)).to_have_value("Salmonberry season again")
    page.get_by_label("Challenge Answer").fill(CHALLENGE_ANSWER)
    page.get_by_role("button", name="Reset password").click()
    expect(page.get_by_text("Your password was changed.")).to_be_visible()
    # The used token is gone from the address bar and from the history.
    assert "token=" not in page.url
    assert page.evaluate("window.history.length") == history_before


def test_on_the_demo_machine_the_outbox_shows_the_whole_reset_email(page, browser, portal):
    """No mail server on one machine: the administrator reads the reset link in the Outbox."""
    user, _secret = make_account(portal, "nosmtp")
    page.goto(portal.url + "/forgot")
    page.get_by_label("Email Address").fill(user.email)
    page.get_by_role("button", name="Send reset link").click()
    expect(page.get_by_role("status").filter(has_text="reset link is on its way")).to_be_visible()
    admin, admin_secret = make_account(portal, "outboxadm", is_admin=True)
    desk = browser.new_context().new_page()
    desk.set_default_timeout(15_000)
    sign_in(desk, portal, admin, admin_secret)
    desk.goto(portal.url + "/admin")
    expect(desk.get_by_role("status").filter(has_text="on this demo machine each message is shown whole")
           ).to_be_visible()
    outbox = desk.get_by_role("region", name="Outbox")
    outbox.get_by_text("Reset your Harmony Portal password").first.click()  # opens the message
    expect(outbox.get_by_text(re.compile(r"/forgot\?token=\S+")).first).to_be_visible()
    assert_accessible(desk)
