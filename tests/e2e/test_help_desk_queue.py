"""The Help Desk queue in Chromium: administrators only, filters, Take, and the live update between two desks."""

import re

from playwright.sync_api import expect

from harmony_portal.models import User, utc_now
from harmony_portal.services.pq.filing import PQForm, add_pq
from harmony_portal.services.roles.organizations import add_organization
from tests.e2e.helpers import assert_accessible, make_account, sign_in, unique_id


def _filing_time():
    """Now (the test server's weekly maintenance window is off, see conftest)."""
    return utc_now()


def _file_pq(portal, provider: User, org_id: str, subject: str) -> int:
    """A PQ filed through the service, outside the server: the page sees it on its next load."""
    with portal.session() as s:
        pq = add_pq(s, s.get(User, provider.id), PQForm(provider=org_id, inquiry_type="Billing", subject=subject,
                                                        details="Which code applies to respite care?"),
                    now=_filing_time())
        s.commit()
        return pq.id


def _open_help_desk(page, org_id: str):
    page.get_by_role("link", name="Help Desk", exact=True).click()
    expect(page.get_by_role("heading", level=1, name="Help Desk queue")).to_be_visible()
    expect(page.get_by_role("img", name=re.compile(r"^PQs per week"))).to_be_visible()
    page.get_by_label("Provider").select_option(org_id)
    return page.get_by_role("region", name="Help Desk queue")


def test_help_desk_queue_filters_takes_and_updates_live(page, portal, browser):
    org_id = unique_id("HDQ").upper()
    with portal.session() as s:
        add_organization(s, org_id, "Tanana Valley Care", "Nursing Home", actor=None)
        s.commit()
    provider, provider_secret = make_account(portal, "hdprov", roles=((org_id, "Staff"),))
    desk_a, secret_a = make_account(portal, "hddesk", first="Avery", is_admin=True)
    desk_b, secret_b = make_account(portal, "hddesk", first="Blair", is_admin=True)
    subject = f"Billing question {unique_id('q')}"

    sign_in(page, portal, desk_a, secret_a)
    queue = _open_help_desk(page, org_id)
    expect(page.get_by_text("No PQs match these filters.")).to_be_visible()
    assert_accessible(page)

    pq_id = _file_pq(portal, provider, org_id, subject)
    page.reload()
    expect(page.get_by_role("heading", level=1, name="Help Desk queue")).to_be_visible()
    expect(page.get_by_label("Provider")).to_have_value(org_id)  # the session keeps its filters
    row = queue.get_by_role("row").filter(has_text=subject)
    expect(row).to_have_count(1)
    expect(row.get_by_role("link", name=str(pq_id), exact=True)).to_have_attribute("href", f"/pq/{pq_id}")
    expect(row).to_contain_text("Tanana Valley Care")
    expect(row).to_contain_text("Pending")
    expect(row).to_contain_text(re.compile(r"at \d{1,2}:\d{2} [AP]M AK[SD]T"))
    expect(row).not_to_contain_text("Overdue")  # just filed: due in 24 business hours
    page.get_by_label("Inquiry Type").select_option("Certification")
    expect(queue.get_by_role("row").filter(has_text=subject)).to_have_count(0)
    page.get_by_label("Inquiry Type").select_option("Billing")
    expect(row).to_have_count(1)
    assert_accessible(page)

    # A second administrator takes the PQ: the first one's page shows it without reloading.
    other = browser.new_context()
    try:
        page_b = other.new_page()
        page_b.set_default_timeout(15_000)
        sign_in(page_b, portal, desk_b, secret_b)
        queue_b = _open_help_desk(page_b, org_id)
        queue_b.get_by_role("button", name=f"Take PQ {pq_id}").click()
        expect(page_b.get_by_role("status").filter(has_text=f"You took PQ {pq_id}.")).to_be_visible()
        expect(row).to_contain_text(f"{desk_b.first_name} {desk_b.last_name}")

        # A provider gets the refusal and no queue, and no navigation link to it.
        page_b.get_by_role("button", name="Logout").click()
        expect(page_b.get_by_text("You are signed out.")).to_be_visible()
        sign_in(page_b, portal, provider, provider_secret)
        expect(page_b.get_by_role("link", name="Help Desk", exact=True)).to_have_count(0)
        page_b.goto(portal.url + "/help-desk")
        expect(page_b.get_by_role("alert").filter(
            has_text="The Help Desk queue is for help-desk administrators only.")).to_be_visible()
        expect(page_b.get_by_role("region", name="Help Desk queue")).to_have_count(0)
        expect(page_b.get_by_text(subject)).to_have_count(0)
        assert_accessible(page_b)
    finally:
        other.close()
