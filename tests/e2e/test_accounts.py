"""The accounts journey in Chromium: sign up, enrol, sign out, sign in, refusals, lockout."""

import pyotp
from playwright.sync_api import expect
from sqlmodel import select

from harmony_portal.models import UserSession
from tests.e2e.helpers import (
    PASSWORD,
    assert_accessible,
    fresh_code,
    login,
    make_account,
    seconds_ago,
    sign_in,
    unique_id,
)


def _fill_signup(page, user_id: str, password: str) -> None:
    fields = {"First Name": "Nora", "Last Name": "Kenai", "Date of Birth": "1985-04-12",
              "Email Address": f"{user_id}@example.org", "Home Address Line 1": "1 Harbor Way",
              "City": "Homer", "State": "AK", "ZIP Code": "99603", "User ID": user_id}
    for label, value in fields.items():
        page.get_by_label(label, exact=True).fill(value)
    page.get_by_label("Password", exact=True).fill(password)
    page.get_by_label("Confirm Password", exact=True).fill(password)
    page.get_by_label("Challenge Question").select_option("What city were you born in?")
    page.get_by_label("Challenge Answer").fill("Seldovia")
    page.get_by_label("I agree to the Terms & Conditions").check()


def test_sign_up_enrol_sign_out_and_sign_in_again(page, portal):
    user_id = unique_id("nora")
    page.goto(portal.url + "/signup")
    assert_accessible(page)
    _fill_signup(page, user_id, "Fireweed blooms in July")
    page.get_by_role("button", name="Sign Up").click()

    # Two-factor enrolment straight after sign-up.
    expect(page.get_by_role("img", name="QR code for your authenticator app")).to_be_visible()
    key = page.get_by_label("Setup key")
    expect(key).to_have_attribute("readonly", "")
    secret = key.input_value()
    assert len(secret) == 32
    assert_accessible(page)
    page.get_by_label("Security code").fill(pyotp.TOTP(secret).now())
    page.get_by_role("button", name="Verify").click()
    codes = page.get_by_role("list", name="Recovery codes").get_by_role("listitem")
    expect(codes).to_have_count(10)
    assert_accessible(page)
    page.get_by_role("button", name="I saved my recovery codes").click()
    expect(page.get_by_role("heading", level=1)).to_contain_text("Welcome, Nora Kenai")
    assert_accessible(page)

    page.get_by_role("button", name="Logout").click()
    expect(page.get_by_text("You are signed out.")).to_be_visible()

    login(page, portal, user_id, "Fireweed blooms in July")
    assert_accessible(page)
    page.get_by_label("Security code").fill("000000")
    page.get_by_role("button", name="Verify").click()
    expect(page.get_by_role("main").get_by_role("alert")).to_contain_text("not correct or has already been used")
    with portal.session() as s:
        from harmony_portal.models import User

        user = s.exec(select(User).where(User.user_id == user_id)).one()
    code = fresh_code(portal, user.id, secret)
    page.get_by_label("Security code").fill(code)
    page.get_by_role("button", name="Verify").click()
    # The first sign-in with a code offers a passkey, once; "Not now" goes on.
    expect(page.get_by_role("heading", level=1, name="Add a passkey?")).to_be_visible()
    page.get_by_role("button", name="Not now").click()
    expect(page.get_by_role("heading", level=1)).to_contain_text("Welcome, Nora Kenai")

    # The same code, replayed from another browser, is refused.
    page.get_by_role("button", name="Logout").click()
    expect(page.get_by_text("You are signed out.")).to_be_visible()
    login(page, portal, user_id, "Fireweed blooms in July")
    page.get_by_label("Security code").fill(code)
    page.get_by_role("button", name="Verify").click()
    expect(page.get_by_role("main").get_by_role("alert")).to_contain_text("already been used")


def test_sign_up_refusal_names_fields_and_keeps_what_was_typed(page, portal):
    user_id = unique_id("keep")
    page.goto(portal.url + "/signup")
    _fill_signup(page, user_id, "password1234")
    page.get_by_label("ZIP Code", exact=True).fill("123")
    page.get_by_role("button", name="Sign Up").click()
    expect(page.get_by_text("Password is too common")).to_be_visible()
    expect(page.get_by_text("ZIP Code must be 5 digits.")).to_be_visible()
    expect(page.get_by_label("User ID")).to_have_value(user_id)
    expect(page.get_by_label("City")).to_have_value("Homer")
    expect(page.get_by_label("ZIP Code", exact=True)).to_have_value("123")


def test_wrong_password_then_lock_on_the_fifth_failure(page, portal):
    user, secret = make_account(portal, "lock")
    page.goto(portal.url + "/login")
    refusal = page.get_by_role("main").get_by_role("alert")  # the maintenance banner may be an alert too
    for attempt in range(1, 6):
        page.get_by_label("User ID").fill(user.user_id)
        page.get_by_label("Password").fill(f"wrong password {attempt}")
        page.get_by_label("I agree to the Terms & Conditions").check()
        page.get_by_role("button", name="Login").click()
        # The fifth (which locks) answers like the others: the password step never says "locked".
        expect(refusal).to_have_text("The User ID or Password is not correct.")
    # The right password goes on to the second step, and only then is the lock explained.
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Login").click()
    page.get_by_label("Security code").fill(fresh_code(portal, user.id, secret))
    page.get_by_role("button", name="Verify").click()
    expect(refusal).to_contain_text("This account is locked until")
    expect(refusal).to_contain_text("ask the Harmony Help Desk to unlock it")


def test_protected_route_returns_there_after_sign_in(page, portal):
    user, secret = make_account(portal, "next")
    page.goto(portal.url + "/profile")
    expect(page).to_have_url(portal.url + "/login?next=%2Fprofile")
    page.get_by_label("User ID").fill(user.user_id)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_label("I agree to the Terms & Conditions").check()
    page.get_by_role("button", name="Login").click()
    page.get_by_label("Security code").fill(fresh_code(portal, user.id, secret))
    page.get_by_role("button", name="Verify").click()
    expect(page.get_by_role("heading", level=1, name="User Profile")).to_be_visible()
    assert_accessible(page)


def test_recovery_code_link_and_profile_password_change(page, portal):
    user, secret = make_account(portal, "prof")
    login(page, portal, user.user_id)
    page.get_by_role("link", name="Use a recovery code").click()
    expect(page.get_by_label("Recovery code")).to_be_visible()
    page.get_by_role("link", name="Use a security code").click()
    page.get_by_label("Security code").fill(fresh_code(portal, user.id, secret))
    page.get_by_role("button", name="Verify").click()
    expect(page.get_by_role("button", name="Logout")).to_be_visible()
    page.goto(portal.url + "/profile")
    page.get_by_label("Current Password").fill("not my password")
    page.get_by_label("New Password", exact=True).fill("A whole new passphrase")
    page.get_by_label("Confirm New Password").fill("A whole new passphrase")
    page.get_by_role("button", name="Change Password").click()
    expect(page.get_by_label("Current Password")).to_have_accessible_description("Current Password is not correct.")
    expect(page.get_by_label("New Password", exact=True)).to_have_value("A whole new passphrase")
    page.get_by_label("Current Password").fill(PASSWORD)
    page.get_by_role("button", name="Change Password").click()
    expect(page.get_by_text("Password changed.")).to_be_visible()
    expect(page.get_by_role("button", name="Remove Phone")).to_be_visible()
    page.get_by_role("button", name="Remove Phone").click()
    expect(page.get_by_text("You can't remove your only device")).to_be_visible()


def test_idle_warning_and_stay_signed_in(page, portal):
    user, secret = make_account(portal, "idle")
    sign_in(page, portal, user, secret)
    with portal.session() as s:
        record = s.exec(select(UserSession).where(UserSession.user_id == user.id,
                                                  UserSession.ended_at.is_(None))).one()
        record.last_seen_at = seconds_ago(14 * 60)
        s.add(record)
        s.commit()
    dialog = page.get_by_role("alertdialog")
    expect(dialog).to_contain_text("signed out in 2 minutes")
    assert_accessible(page)
    page.get_by_role("button", name="Stay signed in").click()
    expect(dialog).to_have_count(0)
    # Past the limit, the open page is sent to the login page.
    with portal.session() as s:
        record = s.get(UserSession, record.id)
        record.last_seen_at = seconds_ago(16 * 60)
        s.add(record)
        s.commit()
    expect(page.get_by_text("You were signed out after 15 minutes without activity.")).to_be_visible()
