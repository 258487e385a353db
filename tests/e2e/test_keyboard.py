"""The keyboard and a screen reader: Escape closes dialogs and focus goes back to their opener, a
new page puts the focus on its heading, and read-only fields are not stops on the way."""

import uuid

from playwright.sync_api import expect

from harmony_portal.models import Organization, RoleRequest, User
from harmony_portal.services.pq.filing import PQForm, add_pq
from tests.e2e.helpers import assert_accessible, make_account, sign_in


def test_escape_closes_the_add_note_dialog_and_focus_returns_to_add_note(page, portal):
    provider, secret = make_account(portal, "esc", first="Esme", last="Escape", roles=(("123", "Staff"),))
    with portal.session() as s:
        pq_id = add_pq(s, s.get(User, provider.id), PQForm(provider="123", inquiry_type="Billing",
                                                             subject="Escape key", details="Dialog closing")).id
        s.commit()
    sign_in(page, portal, provider, secret)
    page.goto(portal.url + f"/pq/{pq_id}")
    page.get_by_role("tab", name="Notes").click()
    add_note = page.get_by_role("button", name="Add Note")
    add_note.focus()
    page.keyboard.press("Enter")
    dialog = page.get_by_role("dialog", name="Add Note")
    expect(dialog.get_by_label("Note", exact=True)).to_be_focused()
    page.keyboard.press("Escape")
    expect(dialog).to_have_count(0)
    expect(page.get_by_role("button", name="Add Note")).to_be_focused()
    # Cancel does the same.
    page.keyboard.press("Enter")
    dialog.get_by_role("button", name="Cancel").click()
    expect(dialog).to_have_count(0)
    expect(page.get_by_role("button", name="Add Note")).to_be_focused()


def test_escape_closes_the_reject_dialog_and_focus_returns_to_reject(page, portal):
    org_id = "K" + uuid.uuid4().hex[:8].upper()
    with portal.session() as s:
        s.add(Organization(id=org_id, name=f"Kodiak Care {org_id}", provider_type="Nursing Home"))
        s.commit()
    official, secret = make_account(portal, "keyso", first="Kai", roles=((org_id, "Security Official"),))
    requester, _ = make_account(portal, "keyreq", first="Rhea", last="Request")
    with portal.session() as s:
        s.add(RoleRequest(user_id=requester.id, organization_id=org_id, role="Staff", justification="Night shift."))
        s.commit()
    sign_in(page, portal, official, secret)
    page.goto(portal.url + "/security-official/requests")
    page.get_by_role("checkbox", name="Select Rhea Request").check()
    page.get_by_role("button", name="Reject").focus()
    page.keyboard.press("Enter")
    dialog = page.get_by_role("dialog", name="Reject requests")
    expect(dialog.get_by_label("Rejection Reason")).to_be_focused()
    page.keyboard.press("Escape")
    expect(dialog).to_have_count(0)
    expect(page.get_by_role("button", name="Reject")).to_be_focused()


def test_a_new_page_puts_the_focus_on_its_main_heading(page, portal):
    provider, secret = make_account(portal, "head", first="Hana", last="Heading", roles=(("123", "Staff"),))
    sign_in(page, portal, provider, secret)
    page.goto(portal.url + "/pq")
    expect(page.get_by_role("heading", level=1, name="PQ chapter")).to_be_focused()
    page.get_by_role("button", name="Add PQ").click()  # a move inside the app, without a page load
    expect(page.get_by_role("heading", level=1, name="Add PQ")).to_be_focused()
    assert_accessible(page)


def test_read_only_fields_on_add_pq_are_not_tab_stops(page, portal):
    provider, secret = make_account(portal, "ro", first="Rory", last="Readonly", roles=(("123", "Staff"),))
    sign_in(page, portal, provider, secret)
    page.goto(portal.url + "/pq/new")
    page.get_by_label("Details").focus()
    page.keyboard.press("Tab")  # past Status and Assigned Resource, which can't be changed here
    expect(page.get_by_role("button", name="Save PQ")).to_be_focused()
    expect(page.get_by_label("Assigned Resource")).to_have_attribute("readonly", "")
