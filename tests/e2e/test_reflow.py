"""Every page reflows at 320 CSS pixels (WCAG 2.1 AA 1.4.10): nothing scrolls sideways."""

from playwright.sync_api import Page, expect
from sqlmodel import select

from harmony_portal.models import User
from harmony_portal.services.pq.filing import PQForm, add_pq
from tests.e2e.helpers import assert_accessible, make_account, sign_in

PUBLIC = ["/login", "/signup", "/forgot", "/help", "/terms"]
SIGNED_IN = ["/", "/profile", "/roles/request", "/security-official", "/security-official/users",
             "/security-official/requests", "/admin", "/two-factor/setup", "/pq", "/pq/new", "/help-desk",
             "/passkeys/offer", "/passkeys/required", "/security-official/reviews"]
OVERFLOW = "() => document.documentElement.scrollWidth - window.innerWidth"


def _assert_reflows(page: Page, path: str) -> None:
    expect(page.get_by_role("heading", level=1)).to_be_visible()
    page.wait_for_timeout(300)  # the page's data arrives after the first paint
    overflow = page.evaluate(OVERFLOW)
    assert overflow <= 0, f"{path} is {overflow}px wider than a 320px window"


def test_every_page_fits_a_320_pixel_window(page, portal):
    page.set_viewport_size({"width": 320, "height": 640})
    for path in PUBLIC:
        page.goto(portal.url + path)
        _assert_reflows(page, path)
    official, secret = make_account(portal, "narrow", first="Narrowscreen", last="Official-With-A-Long-Name",
                                    roles=(("123", "Security Official"),), is_admin=True)
    sign_in(page, portal, official, secret)
    for path in SIGNED_IN:
        page.goto(portal.url + path)
        _assert_reflows(page, path)
    with portal.session() as s:
        someone = s.exec(select(User).where(User.user_id_key == "vj.staff")).one()
    page.goto(portal.url + f"/security-official/users/{someone.id}")
    _assert_reflows(page, "/security-official/users/[id]")
    with portal.session() as s:
        filed = add_pq(s, s.get(User, official.id), PQForm(
            provider="123", inquiry_type="Access Request", subject="A subject long enough to wrap on a phone screen",
            details="Details-without-any-spaces-" * 8))
        s.commit()
        pq_id = filed.id
    page.goto(portal.url + f"/pq/{pq_id}")
    _assert_reflows(page, "/pq/[id]")
    for name in ("Details", "Notes", "Attachments", "History"):  # every sub-tab whole on the screen
        box = page.get_by_role("tab", name=name).bounding_box()
        assert box and box["x"] >= 0 and box["x"] + box["width"] <= 320, f"the {name} tab is cut off: {box}"
    page.get_by_role("tab", name="History").click()
    expect(page.get_by_role("region", name="History")).to_be_visible()
    page.goto(portal.url + "/admin")
    page.get_by_label("User ID, Email or Name").fill("so.")
    page.get_by_role("button", name="Find").click()
    expect(page.get_by_role("button", name="View so.constant")).to_be_visible()
    _assert_reflows(page, "/admin with users found")
    assert_accessible(page)
