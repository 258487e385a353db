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
