"""The live Security Official dashboard: three browsers, no reloads."""

import uuid
from pathlib import Path

from playwright.sync_api import expect
from sqlmodel import select

from harmony_portal.models import Organization, OutboxEmail, RoleRequest
from tests.e2e.helpers import assert_accessible, make_account, sign_in


def _org(portal) -> str:
    org_id = "E" + uuid.uuid4().hex[:8].upper()
    with portal.session() as s:
        s.add(Organization(id=org_id, name=f"Sitka Home {org_id}", provider_type="Nursing Home"))
        s.commit()
    return org_id


def test_request_appears_live_on_both_officials_and_approval_clears_both(browser, portal):
    org = _org(portal)
    first, first_secret = make_account(portal, "olga", first="Olga", roles=((org, "Security Official"),))
    second, second_secret = make_account(portal, "otto", first="Otto", roles=((org, "Security Official"),))
    requester, requester_secret = make_account(portal, "rita", first="Rita", last="Requester")
    pages = []
    for user, secret in ((first, first_secret), (second, second_secret), (requester, requester_secret)):
        context = browser.new_context()
        page = context.new_page()
        page.set_default_timeout(15_000)
        sign_in(page, portal, user, secret)
        pages.append(page)
    olga, otto, rita = pages
    for official in (olga, otto):
        official.goto(portal.url + "/security-official/requests")
        expect(official.get_by_role("heading", level=1, name="Role Requests")).to_be_visible()
        expect(official.get_by_text("There are no pending requests.")).to_be_visible()
    assert_accessible(olga)

    rita.goto(portal.url + "/roles/request")
    expect(rita.get_by_role("heading", level=1, name="Request a role")).to_be_visible()
    assert_accessible(rita)
    rita.get_by_label("Organization").select_option(org)
    rita.get_by_label("Role").select_option("Assessment Coordinator")
    rita.get_by_label("Justification").fill("I coordinate assessments for the new wing.")
    rita.get_by_role("button", name="Submit Request").click()
    expect(rita.get_by_role("heading", level=1)).to_contain_text("Welcome")

    for official in (olga, otto):  # no reload: the row arrives by itself
        expect(official.get_by_role("checkbox", name="Select Rita Requester")).to_be_visible(timeout=5_000)
        # The navigation's badge moves with the same push as the list, in the singular.
        expect(official.get_by_role("navigation", name="Main").get_by_text("1 pending request", exact=True)
               ).to_be_visible()
        expect(official.get_by_role("status").filter(has_text="1 pending request")).to_be_visible()
    olga.get_by_text("Justification").click()
    expect(olga.get_by_text("I coordinate assessments for the new wing.")).to_be_visible()
    assert_accessible(olga)
    # Otto's selection survives a change to the list.
    otto.get_by_role("checkbox", name="Select Rita Requester").check()
    olga.get_by_role("checkbox", name="Select Rita Requester").check()
    olga.get_by_role("button", name="Approve").click()
    expect(olga.get_by_role("status").filter(has_text="1 request approved.")).to_be_visible()
    for official in (olga, otto):
        expect(official.get_by_role("checkbox", name="Select Rita Requester")).to_have_count(0, timeout=5_000)
        expect(official.get_by_role("navigation", name="Main").get_by_text("pending request")).to_have_count(0)
    # Otto, whose page still thought it was selected, is told it was decided.
    otto.get_by_role("button", name="Approve").click()
    expect(otto.get_by_role("status").filter(has_text="request was already decided by Olga")).to_be_visible()

    rita.goto(portal.url + "/")
    expect(rita.get_by_role("cell", name="Approved")).to_be_visible()
    with portal.session() as s:
        mail = s.exec(select(OutboxEmail).where(OutboxEmail.to_address == requester.email)).all()
        assert any("approved" in m.subject for m in mail)
    for page in pages:
        page.context.close()


def test_reject_needs_a_reason_and_the_requester_can_resubmit(browser, portal):
    org = _org(portal)
    official, official_secret = make_account(portal, "sofi", first="Sofi", roles=((org, "Security Official"),))
    requester, requester_secret = make_account(portal, "remy", first="Remy", last="Resubmit")
    with portal.session() as s:
        s.add(RoleRequest(user_id=requester.id, organization_id=org, role="Staff",
                          justification="Starting Monday on the evening shift."))
        s.commit()
    context = browser.new_context()
    page = context.new_page()
    page.set_default_timeout(15_000)
    sign_in(page, portal, official, official_secret)
    page.goto(portal.url + "/security-official/requests")
    expect(page.get_by_role("checkbox", name="Select Remy Resubmit")).to_be_visible()
    page.get_by_role("checkbox", name="Select all").check()
    expect(page.get_by_role("checkbox", name="Select Remy Resubmit")).to_be_checked()
    page.get_by_role("button", name="Reject").click()
    dialog = page.get_by_role("dialog", name="Reject requests")
    expect(dialog.get_by_label("Rejection Reason")).to_be_visible()
    assert_accessible(page)
    expect(page.get_by_role("button", name="Reject")).to_have_count(1)  # only the dialog's
    dialog.get_by_role("button", name="Reject").click()
    expect(dialog.get_by_text("A Rejection Reason is required")).to_be_visible()
    dialog.get_by_label("Rejection Reason").fill("Please use your work email first.")
    dialog.get_by_role("button", name="Reject").click()
    expect(page.get_by_role("status").filter(has_text="1 request rejected.")).to_be_visible()
    context.close()

    context = browser.new_context()
    page = context.new_page()
    page.set_default_timeout(15_000)
    sign_in(page, portal, requester, requester_secret)
    expect(page.get_by_role("cell", name="Rejected Reason: Please use your work email first.")).to_be_visible()
    page.get_by_role("link", name="Resubmit").click()
    expect(page.get_by_label("Justification")).to_have_value("Starting Monday on the evening shift.")
    expect(page.get_by_label("Role")).to_have_value("Staff")
    page.get_by_role("button", name="Submit Request").click()
    expect(page.get_by_role("cell", name="Pending")).to_be_visible()
    context.close()


def test_user_lookup_view_and_remove(page, portal):
    org = _org(portal)
    official, secret = make_account(portal, "lula", first="Lula", roles=((org, "Security Official"),))
    staff, _ = make_account(portal, "stan", first="Stan", roles=((org, "Staff"),))
    sign_in(page, portal, official, secret)
    expect(page.get_by_role("link", name="Security Official")).to_be_visible()
    page.goto(portal.url + "/security-official/users")
    page.get_by_label("Organization").select_option(org)
    expect(page.get_by_role("cell", name=staff.user_id, exact=True)).to_be_visible()
    expect(page.get_by_text("You are the only Security Official")).to_be_visible()
    assert_accessible(page)
    with page.expect_download() as download:
        page.get_by_role("button", name="Export CSV").click()
    exported = Path(download.value.path()).read_text()
    assert exported.startswith("Organization,User ID") and staff.user_id in exported
    page.get_by_label("User ID or Email").fill("nobody-here@example.org")
    page.get_by_role("button", name="Search").click()
    expect(page.get_by_text("No user matches.")).to_be_visible()
    page.get_by_label("User ID or Email").fill(staff.user_id.upper())
    page.get_by_role("button", name="Search").click()
    page.get_by_role("link", name=f"View {staff.user_id}").click()
    expect(page.get_by_role("heading", level=1, name="User Roles")).to_be_visible()
    assert_accessible(page)
    page.get_by_role("button", name=f"Remove Staff at {org}").click()
    page.get_by_role("button", name="Remove role").click()
    expect(page.get_by_text(f"Removed the Staff role at {org}.")).to_be_visible()
    expect(page.get_by_role("button", name=f"Remove Staff at {org}")).to_have_count(0)
