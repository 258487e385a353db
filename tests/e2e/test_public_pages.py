"""The public pages: login with the contract's labels, help, terms, forgot - all accessible."""

from datetime import UTC, datetime, timedelta

from playwright.sync_api import expect

from harmony_portal.models import MaintenanceWindow
from tests.e2e.helpers import assert_accessible


def test_login_page_has_the_contract_labels_and_passes_axe(page, portal):
    page.goto(portal.url + "/login")
    expect(page.get_by_role("heading", level=1, name="Login")).to_be_visible()
    for label in ("User ID", "Password"):
        expect(page.get_by_label(label, exact=True)).to_be_editable()
    expect(page.get_by_role("checkbox", name="I agree to the Terms & Conditions")).to_be_visible()
    expect(page.get_by_role("button", name="Login")).to_be_visible()
    expect(page.get_by_role("link", name="Sign Up", exact=True).first).to_be_visible()
    expect(page.get_by_role("link", name="Having trouble logging in?")).to_be_visible()
    assert_accessible(page)


def test_login_without_terms_is_refused_and_keeps_what_was_typed(page, portal):
    page.goto(portal.url + "/login")
    page.get_by_label("User ID").fill("someone")
    page.get_by_label("Password").fill("a password typed")
    page.get_by_role("button", name="Login").click()
    expect(page.get_by_text("You must agree to the Terms & Conditions")).to_be_visible()
    expect(page.get_by_label("User ID")).to_have_value("someone")
    expect(page.get_by_label("Password")).to_have_value("a password typed")


def test_help_shows_help_box_hours_and_passes_axe(page, portal):
    page.goto(portal.url + "/help")
    expect(page.get_by_role("heading", level=1, name="Help")).to_be_visible()
    main = page.get_by_role("main")
    expect(main).to_contain_text("7:00am to 5:30pm, Monday through Friday, except Alaska state holidays")
    expect(main).to_contain_text("DSDSHarmonyHelp@alaska.gov")
    expect(main).to_contain_text("Google Chrome is the only recommended browser")
    assert_accessible(page)


def test_footer_carries_help_desk_contacts_on_every_page(page, portal):
    for path in ("/login", "/help", "/terms", "/signup", "/forgot"):
        page.goto(portal.url + path)
        expect(page.get_by_role("contentinfo")).to_contain_text("DSDSHarmonyHelp@alaska.gov")


def test_terms_and_forgot_pages_pass_axe(page, portal):
    page.goto(portal.url + "/terms")
    expect(page.get_by_role("heading", level=1, name="Terms & Conditions")).to_be_visible()
    assert_accessible(page)
    page.goto(portal.url + "/forgot")
    expect(page.get_by_label("Email Address")).to_be_visible()
    page.get_by_label("Email Address").fill("nobody@example.org")
    page.get_by_role("button", name="Send reset link").click()
    expect(page.get_by_role("status").filter(has_text="reset link is on its way")).to_be_visible()
    assert_accessible(page)


def test_other_browsers_get_the_chrome_notice(browser, portal):
    context = browser.new_context(user_agent="Mozilla/5.0 (X11; Linux x86_64; rv:128.0) Gecko/20100101 Firefox/128.0")
    other = context.new_page()
    other.goto(portal.url + "/login")
    expect(other.get_by_text("Google Chrome is the recommended browser")).to_be_visible()
    context.close()


def test_signed_out_user_is_sent_to_login(page, portal):
    page.goto(portal.url + "/profile")
    expect(page).to_have_url(portal.url + "/login?next=%2Fprofile")


def test_maintenance_in_progress_is_an_alert_on_the_login_page(page, portal):
    now = datetime.now(UTC)
    with portal.session() as s:
        window = MaintenanceWindow(starts_at=now - timedelta(minutes=1), ends_at=now + timedelta(hours=1),
                                   reason="Database upgrade")
        s.add(window)
        s.commit()
    try:
        page.goto(portal.url + "/login")
        # Written straight into the database (as the command line does): the banner clock reads it
        # within its poll interval and pushes it to the open page.
        banner = page.get_by_role("alert").filter(has_text="Harmony is in maintenance until")
        expect(banner).to_contain_text("Database upgrade", timeout=10_000)
        expect(banner).to_contain_text("saving is refused; what you type stays on the page")
        assert_accessible(page)
    finally:
        with portal.session() as s:
            row = s.get(MaintenanceWindow, window.id)
            row.cancelled_at = datetime.now(UTC)
            s.add(row)
            s.commit()
        # Gone from the server's reading too, before any later test tries to save.
        expect(page.locator(".banner")).to_have_count(0, timeout=10_000)


def test_the_portal_sets_its_own_security_headers_on_every_answer(page, portal):
    """Run without the nginx recipe (`make run`), no other site may frame the portal."""
    for path in ("/login", "/pq", "/favicon.ico", "/health", "/no-such-page"):
        answer = page.request.get(portal.url + path, max_redirects=0)
        headers = answer.headers
        assert "frame-ancestors 'none'" in headers["content-security-policy"], path
        assert headers["x-frame-options"] == "DENY" and headers["x-content-type-options"] == "nosniff", path
        # (a route with a stricter policy of its own keeps it: /health sends no referrer at all)
        assert headers["referrer-policy"] in ("same-origin", "no-referrer") and "camera=()" in headers[
            "permissions-policy"], path
        assert "strict-transport-security" not in headers, path  # plain http on one machine: no HSTS
    # A file that sets a stricter policy of its own keeps it.
    blank = page.request.get(portal.url + "/forms/harmony-access-request.pdf")
    assert blank.headers["content-security-policy"] == "default-src 'none'; sandbox"
