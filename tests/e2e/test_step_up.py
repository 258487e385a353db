"""Step-up in Chromium: adding and removing a device, and a new email address confirmed by its link."""

import re
from datetime import UTC, datetime

import pyotp
from playwright.sync_api import expect
from sqlmodel import select

from harmony_portal.models import OutboxEmail, TotpDevice
from harmony_portal.services.signin import two_factor
from tests.e2e.helpers import PASSWORD, assert_accessible, fresh_code, make_account, sign_in, unique_id

STEP_UP = "Current Password or Security Code"


def test_add_a_device_asks_for_a_code_from_the_old_one(page, portal):
    user, secret = make_account(portal, "adder")
    sign_in(page, portal, user, secret)
    page.goto(portal.url + "/profile")
    page.get_by_role("button", name="Add device").click()
    expect(page.get_by_role("img", name="QR code for your authenticator app")).to_be_visible()
    new_secret = page.get_by_label("Setup key").input_value()
    page.get_by_label("Device name").fill("Work tablet")
    page.get_by_label("Security code", exact=True).fill(pyotp.TOTP(new_secret).now())
    page.get_by_label(STEP_UP).fill("not my password at all")
    page.get_by_role("button", name="Verify").click()
    expect(page.get_by_label(STEP_UP)).to_have_accessible_description(re.compile("not your current password"))
    assert_accessible(page)
    page.get_by_label(STEP_UP).fill(fresh_code(portal, user.id, secret))
    page.get_by_label("Security code", exact=True).fill(pyotp.TOTP(new_secret).now())
    page.get_by_role("button", name="Verify").click()
    expect(page.get_by_role("heading", level=1, name="User Profile")).to_be_visible()
    expect(page.get_by_role("button", name="Remove Work tablet")).to_be_visible()


def test_remove_a_device_asks_for_the_password(page, portal):
    user, secret = make_account(portal, "remover")
    with portal.session() as s:
        device, _ = two_factor.begin_device(s, user, "Tablet")
        device.confirmed_at = datetime.now(UTC)
        s.commit()
    sign_in(page, portal, user, secret)
    page.goto(portal.url + "/profile")
    page.get_by_role("button", name="Remove Tablet").click()
    dialog = page.get_by_role("dialog", name="Remove device")
    expect(dialog).to_contain_text("Remove Tablet?")
    dialog.get_by_label(STEP_UP).fill("a wrong password guess")
    dialog.get_by_role("button", name="Remove", exact=True).click()
    expect(dialog.get_by_label(STEP_UP)).to_have_accessible_description(re.compile("not your current password"))
    assert_accessible(page)
    dialog.get_by_label(STEP_UP).fill(PASSWORD)
    dialog.get_by_role("button", name="Remove", exact=True).click()
    expect(page.get_by_text("Device removed.")).to_be_visible()
    expect(page.get_by_role("button", name="Remove Tablet")).to_have_count(0)
    with portal.session() as s:
        assert len(s.exec(select(TotpDevice).where(TotpDevice.user_id == user.id)).all()) == 1


def test_new_email_is_pending_until_its_link_is_opened(page, portal):
    user, secret = make_account(portal, "mover")
    new_email = f"{unique_id('moved')}@example.net"
    sign_in(page, portal, user, secret)
    page.goto(portal.url + "/profile")
    page.get_by_role("button", name="Edit").click()
    page.get_by_label("Date of Birth").fill("1980-05-05")
    page.get_by_label("Email Address").fill(new_email)
    page.get_by_label("City").fill("Kodiak")
    page.get_by_role("button", name="Save", exact=True).click()
    expect(page.get_by_label(STEP_UP)).to_have_accessible_description(re.compile("confirm it is you"))
    expect(page.get_by_label("Email Address")).to_have_value(new_email)
    page.get_by_label(STEP_UP).fill(PASSWORD)
    page.get_by_role("button", name="Save", exact=True).click()
    expect(page.get_by_text("We sent a confirmation link")).to_be_visible()
    expect(page.get_by_text("pending confirmation")).to_be_visible()
    expect(page.get_by_text(user.email, exact=True)).to_be_visible()
    expect(page.get_by_text("Kodiak", exact=True)).to_be_visible()
    assert_accessible(page)
    with portal.session() as s:
        to_new = s.exec(select(OutboxEmail).where(OutboxEmail.to_address == new_email)).one().body
        to_old = s.exec(select(OutboxEmail).where(OutboxEmail.to_address == user.email)).all()
    assert any(new_email in mail.body for mail in to_old)
    token = re.search(r"/profile/confirm-email\?token=([\w-]+)", to_new).group(1)

    page.goto(portal.url + "/profile/confirm-email?token=" + token)
    expect(page.get_by_text(new_email)).to_be_visible()
    assert_accessible(page)
    page.get_by_role("button", name="Confirm email address").click()
    expect(page.get_by_role("status").filter(has_text="Your email address is now")).to_contain_text(new_email)
    assert_accessible(page)
    page.goto(portal.url + "/profile/confirm-email?token=" + token)
    expect(page.get_by_role("main").get_by_role("alert")).to_contain_text("not valid")
    page.goto(portal.url + "/profile")
    expect(page.get_by_text(new_email, exact=True)).to_be_visible()
    expect(page.get_by_text("pending confirmation")).to_have_count(0)
