"""Administration in Chromium: a two-factor reset that a stolen password can't use, the live
notification count, and every section of /admin passing axe."""

import pyotp
from playwright.sync_api import expect

from tests.e2e.helpers import PASSWORD, assert_accessible, make_account, sign_in


def test_a_two_factor_reset_needs_the_enrolment_code_the_help_desk_reads_out(page, browser, portal):
    desk, desk_secret = make_account(portal, "resetdesk", first="Dora", is_admin=True)
    owner, _lost_secret = make_account(portal, "lostphone", first="Lars")
    sign_in(page, portal, desk, desk_secret)
    page.goto(portal.url + "/admin")
    assert_accessible(page)
    page.get_by_label("User ID, Email or Name").fill(owner.user_id)
    page.get_by_role("button", name="Find").click()
    page.get_by_role("button", name=f"View {owner.user_id}").click()
    expect(page.get_by_role("heading", name=f"User {owner.user_id}")).to_be_visible()
    page.get_by_role("button", name="Reset two-factor").click()
    code_panel = page.get_by_role("region", name="Enrolment code")
    code = code_panel.get_by_label("Enrolment code").input_value()
    assert len(code.replace("-", "")) >= 12
    assert_accessible(page)

    other = browser.new_context()
    owner_page = other.new_page()
    owner_page.set_default_timeout(15_000)
    try:
        owner_page.goto(portal.url + "/login")
        owner_page.get_by_label("User ID").fill(owner.user_id)
        owner_page.get_by_label("Password").fill(PASSWORD)
        owner_page.get_by_label("I agree to the Terms & Conditions").check()
        owner_page.get_by_role("button", name="Login").click()
        # The password alone opens nothing: the enrolment code comes first.
        field = owner_page.get_by_label("Enrolment code")
        expect(field).to_be_visible()
        assert_accessible(owner_page)
        field.fill("WRONG-CODE-0000")
        owner_page.get_by_role("button", name="Continue").click()
        expect(owner_page.get_by_role("main").get_by_role("alert")).to_be_visible()
        field.fill(code)
        owner_page.get_by_role("button", name="Continue").click()
        expect(owner_page.get_by_role("img", name="QR code for your authenticator app")).to_be_visible()
        secret = owner_page.get_by_label("Setup key").input_value()
        owner_page.get_by_label("Security code").fill(pyotp.TOTP(secret).now())
        owner_page.get_by_role("button", name="Verify").click()
        expect(owner_page.get_by_role("list", name="Recovery codes").get_by_role("listitem")).to_have_count(10)
    finally:
        other.close()


def test_a_decision_reaches_the_requesters_notification_count_live(page, browser, portal):
    requester, r_secret = make_account(portal, "notifyme", first="Nia", last="Notified")
    official, o_secret = make_account(portal, "notifyso", first="Otto", roles=(("123", "Security Official"),))
    sign_in(page, portal, requester, r_secret)
    page.goto(portal.url + "/roles/request")
    page.get_by_label("Organization").select_option("123")
    page.get_by_label("Role").select_option("Staff")
    page.get_by_label("Justification").fill("I start on the night shift next week.")
    page.get_by_role("button", name="Submit Request").click()
    expect(page.get_by_role("heading", level=1)).to_contain_text("Welcome, Nia")
    expect(page.get_by_role("link", name="Notifications, 1 unread")).to_have_count(0)

    other = browser.new_context()
    desk = other.new_page()
    desk.set_default_timeout(15_000)
    try:
        sign_in(desk, portal, official, o_secret)
        desk.goto(portal.url + "/security-official/requests")
        desk.get_by_role("checkbox", name="Select Nia Notified").check()
        desk.get_by_role("button", name="Approve").click()
        # No reload on the requester's side: the count and the note arrive by themselves.
        badge = page.get_by_role("link", name="Notifications, 1 unread")
        expect(badge).to_be_visible(timeout=5_000)
        expect(page.get_by_role("main")).to_contain_text("approved")
        assert_accessible(page)
        page.get_by_role("button", name="Mark all as read").click()
        expect(badge).to_have_count(0)
    finally:
        other.close()


def test_profile_email_choices_are_kept_and_security_emails_are_no_choice(page, portal):
    user, secret = make_account(portal, "choices", first="Cleo")
    sign_in(page, portal, user, secret)
    page.goto(portal.url + "/profile")
    choice = page.get_by_role("checkbox", name="PQ responses and updates")
    expect(choice).to_be_checked()
    choice.uncheck()
    page.get_by_role("button", name="Save email choices").click()
    page.reload()
    expect(page.get_by_role("checkbox", name="PQ responses and updates")).not_to_be_checked()
    expect(page.get_by_role("main")).to_contain_text("always")
    assert_accessible(page)

