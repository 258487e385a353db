"""Passkeys in Chromium, with a CDP virtual authenticator standing in for the device's platform
authenticator: add one, sign in with it after the password and without one, use it as the step-up,
remove it; the offer after sign-in; the policy that holds an official until they add one."""

import time
from datetime import UTC, datetime

from playwright.sync_api import Page, expect
from sqlmodel import func, select

from harmony_portal.models import AuditEvent, Organization, Passkey, PortalPolicy
from harmony_portal.services.passkeys import policy
from harmony_portal.vocabulary import SECURITY_OFFICIAL
from tests.e2e.helpers import PASSWORD, assert_accessible, make_account, sign_in


def virtual_authenticator(page: Page, *, user_verified: bool = True, autofill: bool = False) -> tuple[object, str]:
    """A platform authenticator with resident keys and user verification, answering without a prompt.

    It also answers the login page's autofill request at once, as if the passkey had been picked from the
    User ID's suggestions; unless ``autofill``, the page sees a browser without passkey autofill instead."""
    if not autofill:
        page.add_init_script("if (window.PublicKeyCredential) "
                             "PublicKeyCredential.isConditionalMediationAvailable = async () => false;")
    cdp = page.context.new_cdp_session(page)
    cdp.send("WebAuthn.enable", {"enableUI": False})
    added = cdp.send("WebAuthn.addVirtualAuthenticator", {"options": {
        "protocol": "ctap2", "transport": "internal", "hasResidentKey": True, "hasUserVerification": True,
        "isUserVerified": user_verified, "automaticPresenceSimulation": True}})
    return cdp, added["authenticatorId"]


def add_passkey(page: Page, portal, name: str) -> None:
    """On User Profile, right after signing in (no step-up asked): Add passkey, named ``name``."""
    page.goto(portal.url + "/profile")
    page.get_by_role("button", name="Add passkey").click()
    dialog = page.get_by_role("dialog", name="Add a passkey")
    assert_accessible(page)
    dialog.get_by_label("Passkey name").fill(name)
    dialog.get_by_role("button", name="Add passkey").click()
    expect(page.get_by_text("Passkey added.")).to_be_visible()
    expect(page.get_by_role("button", name=f"Remove passkey {name}")).to_be_visible()


def _passkeys_of(portal, user) -> list[Passkey]:
    with portal.session() as s:
        return list(s.exec(select(Passkey).where(Passkey.user_id == user.id)))


def test_add_a_passkey_sign_in_with_it_confirm_with_it_and_remove_it(page, portal):
    virtual_authenticator(page)
    user, secret = make_account(portal, "keyholder")
    sign_in(page, portal, user, secret)
    add_passkey(page, portal, "Work laptop")
    expect(page.get_by_text("Last used: Never")).to_be_visible()
    assert_accessible(page)
    [saved] = _passkeys_of(portal, user)
    assert saved.name == "Work laptop" and saved.sign_count >= 0

    sign_out(page)
    login_with_password_only(page, portal, user.user_id)
    expect(page.get_by_role("button", name="Use a passkey")).to_be_visible()
    assert_accessible(page)
    page.get_by_role("link", name="Use a security code").click()  # the fallback they have, and back
    expect(page.get_by_label("Security code")).to_be_visible()
    page.get_by_role("link", name="Use a passkey instead").click()
    page.get_by_role("button", name="Use a passkey").click()
    expect(page.get_by_role("button", name="Logout")).to_be_visible()
    expect(page.get_by_role("heading", level=1)).to_contain_text("Welcome")

    page.goto(portal.url + "/profile")
    page.get_by_role("button", name="Remove passkey Work laptop").click()
    dialog = page.get_by_role("dialog", name="Remove passkey")
    dialog.get_by_role("button", name="Use a passkey").click()
    expect(dialog.get_by_text("Confirmed with your passkey")).to_be_visible()
    assert_accessible(page)
    dialog.get_by_role("button", name="Remove", exact=True).click()  # no password typed: the passkey confirmed it
    expect(page.get_by_text("Passkey Work laptop removed.")).to_be_visible()
    assert _passkeys_of(portal, user) == []
    with portal.session() as s:
        removed = s.exec(select(AuditEvent).where(AuditEvent.action == "account.passkey_removed",
                                                  AuditEvent.subject_user_id == user.id)).one()
        assert '"step_up": "passkey"' in removed.detail


def sign_out(page: Page) -> None:
    page.get_by_role("button", name="Logout").click()
    expect(page.get_by_text("You are signed out.")).to_be_visible()


def login_with_password_only(page: Page, portal, user_id: str) -> None:
    page.goto(portal.url + "/login")
    page.get_by_label("User ID").fill(user_id)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_label("I agree to the Terms & Conditions").check()
    page.get_by_role("button", name="Login").click()


def test_sign_in_with_a_passkey_alone_once_it_is_allowed_to(page, portal):
    virtual_authenticator(page)
    user, secret = make_account(portal, "nopassword")
    sign_in(page, portal, user, secret)
    add_passkey(page, portal, "Pocket")
    sign_out(page)

    page.goto(portal.url + "/login")
    expect(page.get_by_label("User ID")).to_have_attribute("autocomplete", "username webauthn")
    page.get_by_role("button", name="Sign in with a passkey").click()
    expect(page.get_by_text("You must agree to the Terms & Conditions")).to_be_visible()
    page.get_by_label("I agree to the Terms & Conditions").check()
    page.get_by_role("button", name="Sign in with a passkey").click()
    expect(page.get_by_role("main").get_by_role("alert")).to_contain_text("not set to sign in without a password")

    sign_in_again_and_allow_passwordless(page, portal, user)
    sign_out(page)
    page.goto(portal.url + "/login")
    page.get_by_label("I agree to the Terms & Conditions").check()
    page.get_by_role("button", name="Sign in with a passkey").click()
    expect(page.get_by_role("button", name="Logout")).to_be_visible()
    assert "passkey without password" in _last_sign_in(portal, user).detail


def _last_sign_in(portal, user) -> AuditEvent:
    with portal.session() as s:
        return s.exec(select(AuditEvent).where(AuditEvent.action == "auth.signed_in",
                                               AuditEvent.subject_user_id == user.id)
                      .order_by(AuditEvent.id.desc())).first()


def test_a_passkey_picked_from_the_user_id_autofill_signs_in_once_the_terms_box_is_ticked(page, portal):
    virtual_authenticator(page, autofill=True)
    user, secret = make_account(portal, "autofill")
    sign_in(page, portal, user, secret)
    add_passkey(page, portal, "Laptop")
    with portal.session() as s:  # "Sign in without a password" (its box is tried in the test above)
        passkey = s.exec(select(Passkey).where(Passkey.user_id == user.id)).one()
        passkey.passwordless = True
        s.add(passkey)
        s.commit()
        before = s.exec(select(func.max(AuditEvent.id))).one()
    sign_out(page)  # the sign-in page again: its autofill request is answered at once, before the Terms box
    expect(page.get_by_text("You must agree to the Terms & Conditions")).to_be_visible()
    assert_accessible(page)
    # The passkeys are offered again and the pick signs in at once: the page may be gone before .check()
    # could see the box ticked, so it is clicked as a person would.
    page.get_by_label("I agree to the Terms & Conditions").click()
    expect(page.get_by_role("button", name="Logout")).to_be_visible()
    assert "passkey without password" in _last_sign_in(portal, user).detail
    with portal.session() as s:
        assert s.exec(select(AuditEvent).where(AuditEvent.action == "auth.passkey_failed",
                                               AuditEvent.id > before)).all() == []  # the early pick was no failure
    # A freshly loaded sign-in page offers them too, even when passkeys.js arrives after the page asked.
    sign_out(page)
    page.route("**/passkeys.js", lambda route: (time.sleep(2), route.continue_()))
    page.goto(portal.url + "/login")
    expect(page.get_by_text("You must agree to the Terms & Conditions")).to_be_visible()
    page.get_by_label("I agree to the Terms & Conditions").click()
    expect(page.get_by_role("button", name="Logout")).to_be_visible()


def sign_in_again_and_allow_passwordless(page: Page, portal, user) -> None:
    login_with_password_only(page, portal, user.user_id)
    page.get_by_role("button", name="Use a passkey").click()
    expect(page.get_by_role("button", name="Logout")).to_be_visible()
    page.goto(portal.url + "/profile")
    page.get_by_label("Sign in without a password").click()  # the box follows the server's answer
    expect(page.get_by_text("can now sign you in without a password")).to_be_visible()
    expect(page.get_by_label("Sign in without a password")).to_be_checked()
    assert_accessible(page)


def test_the_offer_after_a_code_sign_in_comes_once(page, portal):
    virtual_authenticator(page)
    user, secret = make_account(portal, "offered", offered_passkey=False)
    sign_in(page, portal, user, secret)
    expect(page.get_by_role("heading", level=1, name="Add a passkey?")).to_be_visible()
    assert_accessible(page)
    page.set_viewport_size({"width": 320, "height": 640})
    assert page.evaluate("document.documentElement.scrollWidth <= document.documentElement.clientWidth")
    page.get_by_role("button", name="Not now").click()
    expect(page.get_by_role("heading", level=1)).to_contain_text("Welcome")
    sign_out(page)
    sign_in(page, portal, user, secret)
    expect(page.get_by_role("heading", level=1)).to_contain_text("Welcome")  # not asked again so soon


def test_add_a_passkey_from_the_offer_with_the_keyboard_only(page, portal):
    virtual_authenticator(page)
    user, secret = make_account(portal, "keyboard", offered_passkey=False)
    sign_in(page, portal, user, secret)
    name = page.get_by_label("Passkey name")
    expect(name).to_be_visible()
    name.focus()
    page.keyboard.type("Desk key")
    page.keyboard.press("Tab")
    expect(page.get_by_role("button", name="Add passkey")).to_be_focused()
    page.keyboard.press("Enter")
    expect(page.get_by_role("heading", level=1)).to_contain_text("Welcome")
    assert [p.name for p in _passkeys_of(portal, user)] == ["Desk key"]


def test_the_policy_holds_an_official_without_a_passkey_until_they_add_one(page, portal):
    virtual_authenticator(page)
    with portal.session() as s:
        s.merge(PortalPolicy(id=1, require_passkey_for_grantors=True, updated_at=datetime.now(UTC)))
        s.commit()
    try:
        org_id = "PK" + str(datetime.now(UTC).microsecond)
        with portal.session() as s:
            s.add(Organization(id=org_id, name="Passkey Care", provider_type="Nursing Home"))
            s.commit()
        official, secret = make_account(portal, "heldso", roles=((org_id, SECURITY_OFFICIAL),))
        sign_in(page, portal, official, secret)
        expect(page.get_by_role("heading", level=1, name="Add a passkey to continue")).to_be_visible()
        assert_accessible(page)
        page.goto(portal.url + "/security-official/requests")
        expect(page.get_by_role("heading", level=1, name="Add a passkey to continue")).to_be_visible()
        page.get_by_role("button", name="Add passkey").click()
        expect(page.get_by_role("heading", level=1)).to_contain_text("Welcome")
        page.goto(portal.url + "/security-official/requests")
        expect(page.get_by_role("heading", level=1, name="Role Requests")).to_be_visible()
        assert [p.name for p in _passkeys_of(portal, official)] == ["Passkey"]  # the virtual one has no AAGUID
    finally:
        with portal.session() as s:
            s.merge(PortalPolicy(id=1, require_passkey_for_grantors=False, updated_at=datetime.now(UTC)))
            s.commit()


def _without_passkey(portal) -> int:
    with portal.session() as s:
        return policy.grantors_without_passkey(s)


def test_the_administrator_sees_who_has_no_passkey_before_requiring_one(page, portal):
    virtual_authenticator(page)
    admin, secret = make_account(portal, "policyadmin", is_admin=True)
    sign_in(page, portal, admin, secret)
    page.goto(portal.url + "/admin")
    box = page.get_by_label("Require a passkey for Security Officials and the help desk")
    expect(box).not_to_be_checked()
    expect(page.get_by_text(f"{_without_passkey(portal)} without a passkey", exact=True)).to_be_visible()
    box.click()  # the page follows the server: refused, it stays unticked
    expect(page.get_by_role("main").get_by_role("alert")).to_contain_text("Add a passkey of your own first")
    expect(box).not_to_be_checked()
    add_passkey(page, portal, "Admin key")
    page.goto(portal.url + "/admin")
    before = _without_passkey(portal)
    expect(page.get_by_text(f"{before} without a passkey", exact=True)).to_be_visible()
    box = page.get_by_label("Require a passkey for Security Officials and the help desk")
    try:
        box.click()
        expect(page.get_by_text("must now sign in with a passkey")).to_be_visible()
        expect(box).to_be_checked()
        assert_accessible(page)
        with portal.session() as s:
            changed = s.exec(select(AuditEvent).where(AuditEvent.action == "policy.passkey_requirement_changed")
                             .order_by(AuditEvent.id.desc())).first()
            assert f'"without_passkey": {before}' in changed.detail
    finally:
        box.click()
        expect(page.get_by_text("no longer required")).to_be_visible()


def test_only_one_autofill_request_waits_at_a_time_and_it_can_be_stopped(page, portal):
    """A second autofill request (renewed, or the form shown again) stops the first, even one still starting:
    a request left waiting unseen would make the browser refuse every passkey dialog after it."""
    page.goto(portal.url + "/login")
    page.wait_for_function("window.harmonyPasskeys !== undefined")  # the script loads on its own
    first, second = page.evaluate("""async () => {
        const options = JSON.stringify({challenge: "AAAAAAAAAAAAAAAAAAAAAA", timeout: 120000,
                                        rpId: location.hostname, allowCredentials: [], userVerification: "required"});
        const first = window.harmonyPasskeys.autofill(options);
        const second = window.harmonyPasskeys.autofill(options);
        const firstAnswer = await first;
        window.harmonyPasskeys.stop();
        return [JSON.parse(firstAnswer).error, JSON.parse(await second).error];
    }""")
    assert (first, second) == ("AbortError", "AbortError")
