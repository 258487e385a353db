"""Helpers for browser tests: accounts, codes, sign-in, the axe check."""

from __future__ import annotations

import itertools
import time
import uuid
from datetime import UTC, datetime, timedelta

import pyotp
from axe_playwright_python.sync_playwright import Axe
from playwright.sync_api import Error as PlaywrightError
from playwright.sync_api import Page, expect

from harmony_portal.models import OrgRole, User
from harmony_portal.services.security import hash_password, unseal
from harmony_portal.services.signin import two_factor
from harmony_portal.services.signin.devices import confirmed_devices

PASSWORD = "Tundra-Swan-Migration-Path"
_PASSWORD_HASH = hash_password(PASSWORD)
CHALLENGE_ANSWER = "Tundra"
_ANSWER_HASH = hash_password("tundra")  # answers are stored normalised
_axe = Axe()
_seq = itertools.count(1)


def assert_accessible(page: Page) -> None:
    """axe-core (WCAG 2.1 A and AA rules) finds nothing on the page as it is now."""
    results = _axe.run(page, options={"runOnly": {"type": "tag", "values": ["wcag2a", "wcag2aa", "wcag21a",
                                                                              "wcag21aa", "best-practice"]}})
    assert results.violations_count == 0, results.generate_report()


def unique_id(prefix: str) -> str:
    return f"{prefix}{next(_seq)}x{uuid.uuid4().hex[:6]}"


def make_account(portal, prefix: str = "user", *, first: str = "Test", last: str | None = None,
                 roles: tuple[tuple[str, str], ...] = (), is_admin: bool = False,
                 offered_passkey: bool = True) -> tuple[User, str]:
    """A confirmed account with an authenticator; returns (user, base32 secret).

    ``offered_passkey``: "Add a passkey?" was already offered (so sign-in goes straight on; the offer has
    tests of its own in test_passkeys.py).
    """
    user_id = unique_id(prefix)
    with portal.session() as s:
        user = User(user_id=user_id, user_id_key=user_id.lower(), email=f"{user_id}@example.org",
                    email_key=f"{user_id}@example.org", first_name=first, last_name=last or user_id.capitalize(),
                    password_hash=_PASSWORD_HASH, is_admin=is_admin, challenge_question="What city were you born in?",
                    challenge_answer_hash=_ANSWER_HASH,
                    passkey_prompted_at=datetime.now(UTC) if offered_passkey else None)
        s.add(user)
        s.flush()
        secret = two_factor.enrol_trusted_device(s, user, "Phone", reason="browser test")
        for org_id, role in roles:
            s.add(OrgRole(user_id=user.id, organization_id=org_id, role=role))
        s.commit()
    return user, secret


def fresh_code(portal, user_id: int, secret: str | None = None) -> str:
    """A code the server will accept now: the earliest step in its window not used yet."""
    for _ in range(40):
        with portal.session() as s:
            device = confirmed_devices(s, user_id)[0]
            totp = pyotp.TOTP(secret or unseal(device.secret))
            now = datetime.now(UTC)
            current = totp.timecode(now)
            for step in (current, current + 1):
                if step > device.last_used_step:
                    return totp.generate_otp(step)
        time.sleep(2)
    raise AssertionError("no unused code in 80 seconds")


def _fill_login(page: Page, user_id: str, password: str) -> None:
    for attempt in range(3):
        # A click that lands while React hydrates the server-rendered page can be undone by it (seen
        # on a loaded machine, through the proxy): a person would tick the box again, so the test does.
        page.get_by_label("User ID").fill(user_id)
        page.get_by_label("Password").fill(password)
        try:
            page.get_by_label("I agree to the Terms & Conditions").check()
            return
        except PlaywrightError:
            if attempt == 2:
                raise
            page.wait_for_timeout(500)


def login(page: Page, portal, user_id: str, password: str = PASSWORD, *, path: str = "/login") -> None:
    page.goto(portal.url + path)
    _fill_login(page, user_id, password)
    page.get_by_role("button", name="Login").click()
    code = page.get_by_label("Security code")
    try:
        code.wait_for(timeout=8_000)
    except PlaywrightError:
        # Hydration on a loaded machine can also redraw the form after it was filled, so Login sent
        # an empty form: a person finds the fields empty and types again, and so does the test.
        if page.get_by_label("User ID").input_value() != user_id:
            _fill_login(page, user_id, password)
            page.get_by_role("button", name="Login").click()
    expect(code).to_be_visible()


def sign_in(page: Page, portal, user: User, secret: str, *, path: str = "/login") -> None:
    login(page, portal, user.user_id, path=path)
    page.get_by_label("Security code").fill(fresh_code(portal, user.id, secret))
    page.get_by_role("button", name="Verify").click()
    expect(page.get_by_role("button", name="Logout")).to_be_visible()


def seconds_ago(seconds: int) -> datetime:
    return datetime.now(UTC) - timedelta(seconds=seconds)
