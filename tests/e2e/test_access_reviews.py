"""Access reviews in Chromium: an administrator starts one, two officials decide live (never their own roles),
Select recommended, Remove with its reason, and the administrator's "N of M reviewed"."""

import re
import uuid
from datetime import UTC, datetime, timedelta

from playwright.sync_api import expect
from sqlmodel import select

from harmony_portal.models import Organization, OrgRole
from harmony_portal.services.reviews import start
from harmony_portal.services.roles import terms
from harmony_portal.vocabulary import SECURITY_OFFICIAL, STAFF
from tests.e2e.helpers import assert_accessible, make_account, sign_in


def _org(portal) -> str:
    org_id = "V" + uuid.uuid4().hex[:8].upper()
    with portal.session() as s:
        s.add(Organization(id=org_id, name=f"Vole Home {org_id}", provider_type="Nursing Home"))
        s.commit()
    return org_id


def _signed_in(browser, portal, user, secret):
    page = browser.new_context().new_page()
    sign_in(page, portal, user, secret)
    return page


def test_start_a_review_and_two_officials_decide_it_live(browser, portal):
    org = _org(portal)
    admin, admin_secret = make_account(portal, "revdesk", is_admin=True)
    olga, olga_secret = make_account(portal, "olgar", first="Olga", last="Review", roles=((org, SECURITY_OFFICIAL),))
    otto, otto_secret = make_account(portal, "ottor", first="Otto", last="Review", roles=((org, SECURITY_OFFICIAL),))
    sam, _ = make_account(portal, "samr", first="Sam", last="Stale", roles=((org, STAFF),))

    # The officials have signed in before the review starts (its last sign-in snapshot); Sam never has.
    pages = {name: _signed_in(browser, portal, user, secret)
             for name, user, secret in (("olga", olga, olga_secret), ("otto", otto, otto_secret))}

    desk = _signed_in(browser, portal, admin, admin_secret)
    desk.goto(portal.url + "/admin")
    desk.get_by_label("Organization", exact=True).select_option(org)
    due = terms.today(datetime.now(UTC)) + timedelta(days=14)
    desk.get_by_label("Due date", exact=True).fill(due.isoformat())
    desk.get_by_label("If not reviewed by the due date").select_option("End access")
    desk.get_by_role("button", name="Start review").click()
    expect(desk.get_by_text(f"Review started: {org}")).to_be_visible()
    expect(desk.get_by_text("0 of 3 reviewed", exact=True).first).to_be_visible()
    assert_accessible(desk)

    for page in pages.values():
        page.get_by_role("navigation", name="Main").get_by_role("link", name="Security Official").click()
        page.get_by_role("navigation", name="Security Official").get_by_role("link", name="Access Reviews").click()
        expect(page.get_by_role("heading", level=1, name="Access Reviews")).to_be_visible()
    olga_page, otto_page = pages["olga"], pages["otto"]
    expect(olga_page.get_by_role("checkbox", name=f"Select Sam Stale, {STAFF} at {org}")).to_be_visible()
    expect(olga_page.get_by_role("checkbox", name=re.compile("^Select Olga Review"))).to_have_count(0)  # own
    expect(olga_page.get_by_role("cell", name="Not signed in for 90 days")).to_be_visible()
    assert_accessible(olga_page)

    olga_page.get_by_role("button", name="Select recommended").click()
    expect(olga_page.get_by_text("1 recommended row selected.")).to_be_visible()
    expect(olga_page.get_by_role("checkbox", name=f"Select Sam Stale, {STAFF} at {org}")).to_be_checked()
    olga_page.get_by_role("button", name="Remove").click()
    dialog = olga_page.get_by_role("dialog", name="Remove access")
    dialog.get_by_role("button", name="Remove").click()
    expect(dialog.get_by_label("Removal reason")).to_have_accessible_description(re.compile("required"))
    assert_accessible(olga_page)
    dialog.get_by_label("Removal reason").fill("Sam left in the summer.")
    dialog.get_by_role("button", name="Remove").click()
    expect(olga_page.get_by_text("1 row removed.")).to_be_visible()
    # Otto's page follows without a reload: Sam's row is gone there too.
    expect(otto_page.get_by_role("checkbox", name=f"Select Sam Stale, {STAFF} at {org}")).to_have_count(0)
    with portal.session() as s:
        assert s.exec(select(OrgRole).where(OrgRole.user_id == sam.id)).all() == []

    otto_page.get_by_role("checkbox", name=f"Select Olga Review, {SECURITY_OFFICIAL} at {org}").check()
    otto_page.get_by_role("button", name="Keep").click()
    expect(otto_page.get_by_text("1 row kept.")).to_be_visible()
    expect(otto_page.get_by_text("0 rows to review")).to_be_visible()  # his own row is Olga's to decide
    expect(olga_page.get_by_text("1 row to review")).to_be_visible()
    desk.reload()
    expect(desk.get_by_text("2 of 3 reviewed", exact=True).first).to_be_visible()
    desk.get_by_text("2 of 3 reviewed", exact=True).first.click()  # each organization with rows left
    expect(desk.get_by_text(f"{org}: 2 of 3 reviewed", exact=True)).to_be_visible()
    for page in (desk, olga_page, otto_page):
        page.context.close()


def test_an_official_reviews_with_the_keyboard_only(page, portal):
    org = _org(portal)
    admin, _ = make_account(portal, "revkeys", is_admin=True)
    official, secret = make_account(portal, "keyso", first="Kay", last="Keys", roles=((org, SECURITY_OFFICIAL),))
    make_account(portal, "keystaff", first="Kit", last="Staff", roles=((org, STAFF),))
    make_account(portal, "keystaff2", first="Kim", last="Staff", roles=((org, STAFF),))
    sign_in(page, portal, official, secret)
    with portal.session() as s:
        start.start_review(s, admin, org, (terms.today(datetime.now(UTC)) + timedelta(days=7)).isoformat(),
                           "Keep access")
        s.commit()
    page.goto(portal.url + "/security-official/reviews")
    kit = page.get_by_role("checkbox", name=f"Select Kit Staff, {STAFF} at {org}")
    kim = page.get_by_role("checkbox", name=f"Select Kim Staff, {STAFF} at {org}")
    page.get_by_role("checkbox", name="Select all").focus()
    page.keyboard.press("Space")
    expect(kit).to_be_checked()
    expect(kim).to_be_checked()
    kit.focus()
    page.keyboard.press("Space")  # Kit is decided later: only Kim stays selected
    expect(kit).not_to_be_checked()
    page.keyboard.press("Tab")
    expect(kim).to_be_focused()
    page.keyboard.press("Tab")
    expect(page.get_by_role("button", name="Select recommended")).to_be_focused()
    page.keyboard.press("Tab")
    expect(page.get_by_role("button", name="Keep")).to_be_focused()
    page.keyboard.press("Enter")
    expect(page.get_by_text("1 row kept.")).to_be_visible()
    expect(page.get_by_text("1 row to review")).to_be_visible()
    expect(kit).to_be_visible()
