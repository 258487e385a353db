"""The session cookie is out of reach of page script, and signing out clears it."""

from playwright.sync_api import expect

from tests.e2e.helpers import make_account, sign_in


def test_the_session_cookie_is_httponly_and_invisible_to_script(page, portal):
    user, secret = make_account(portal, "cookie")
    sign_in(page, portal, user, secret)
    cookies = {c["name"]: c for c in page.context.cookies()}
    session = cookies["harmony_session"]
    assert session["httpOnly"] is True and session["sameSite"] == "Strict" and session["path"] == "/"
    script_sees = page.evaluate("document.cookie + JSON.stringify(localStorage) + JSON.stringify(sessionStorage)")
    assert "harmony_session" not in script_sees and session["value"] not in script_sees

    page.get_by_role("button", name="Logout").click()
    expect(page.get_by_text("You are signed out.")).to_be_visible()
    assert "harmony_session" not in {c["name"] for c in page.context.cookies()}
    # The old value, put back by hand, opens nothing: it was revoked on the server first.
    page.context.add_cookies([{**session}])
    page.goto(portal.url + "/profile")
    expect(page.get_by_label("User ID")).to_be_visible()


def test_a_foreign_cookie_before_the_session_cookie_does_not_sign_events_out(page, portal):
    # Another site's cookie on the domain, set before the user signs in: its JSON value
    # used to make the websocket's cookie parser give up on the whole header.
    host = portal.url.split("//", 1)[1].split(":")[0]
    page.context.add_cookies([
        {"name": "site_prefs", "value": '{"theme":"dark","v":1}', "domain": host, "path": "/"},
        {"name": "_ga", "value": "GA1.2 with a space", "domain": host, "path": "/"},
    ])
    user, secret = make_account(portal, "odd-cookie")
    sign_in(page, portal, user, secret)
    page.goto(portal.url + "/profile")
    expect(page.get_by_role("heading", name="User Profile", level=1)).to_be_visible()
    expect(page.get_by_role("button", name="Change Password")).to_be_visible()
    assert page.url.rstrip("/").endswith("/profile")


def test_a_tab_whose_cookie_vanished_keeps_what_is_typed_on_the_login_page(page, portal):
    user, secret = make_account(portal, "vanish")
    sign_in(page, portal, user, secret)
    page.context.clear_cookies()  # cleared, expired or revoked: the tab still remembers being signed in
    page.goto(portal.url + "/login")
    page.get_by_label("User ID").fill(user.user_id)
    page.wait_for_timeout(5_000)  # more than two of the test server's 2-second periodic checks
    expect(page.get_by_label("User ID")).to_have_value(user.user_id)
    assert "reason=" not in page.url
    expect(page.get_by_text("15 minutes without activity")).to_have_count(0)
