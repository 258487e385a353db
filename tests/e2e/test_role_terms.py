"""Time-limited roles in Chromium: "Access ends on" when approving, the holder's Home showing it, an official
changing it, and a role past its last day ending by itself while its holder's page is open."""

import re
import uuid
from datetime import UTC, date, datetime, timedelta

from playwright.sync_api import expect
from sqlmodel import select

from harmony_portal.models import AuditEvent, Organization, OrgRole
from harmony_portal.services.roles import requests as roles
from harmony_portal.services.roles import terms
from harmony_portal.vocabulary import SECURITY_OFFICIAL, STAFF
from tests.e2e.helpers import assert_accessible, make_account, sign_in


def _org(portal) -> str:
    org_id = "T" + uuid.uuid4().hex[:8].upper()
    with portal.session() as s:
        s.add(Organization(id=org_id, name=f"Tern Home {org_id}", provider_type="Nursing Home"))
        s.commit()
    return org_id


def _alaska_today() -> date:
    return terms.today(datetime.now(UTC))


def test_approve_until_a_date_the_holder_sees_it_and_an_official_changes_it(browser, portal):
    org = _org(portal)
    official, official_secret = make_account(portal, "tessa", first="Tessa", roles=((org, SECURITY_OFFICIAL),))
    holder, holder_secret = make_account(portal, "hal", first="Hal", last="Holder")
    with portal.session() as s:
        roles.request_role(s, holder, org, STAFF, "I start on the night shift next week.")
        s.commit()
    page = browser.new_context().new_page()
    sign_in(page, portal, official, official_secret)
    page.goto(portal.url + "/security-official/requests")
    page.get_by_role("checkbox", name="Select Hal Holder").check()
    page.get_by_label("Access ends on").fill((_alaska_today() - timedelta(days=1)).isoformat())
    page.get_by_role("button", name="Approve").click()
    expect(page.get_by_label("Access ends on")).to_have_accessible_description(
        "Optional: the last day of access for the approved roles. Left empty, a role lasts as long as an "
        "administrator set for it, or until removed. Access ends on can't be in the past.")
    assert_accessible(page)
    last_day = _alaska_today() + timedelta(days=30)
    page.get_by_label("Access ends on").fill(last_day.isoformat())
    page.get_by_role("button", name="Approve").click()
    expect(page.get_by_role("status").filter(has_text="1 request approved.")).to_be_visible()
    shown = f"{last_day:%b %d, %Y}".replace(" 0", " ")

    holder_page = browser.new_context().new_page()
    sign_in(holder_page, portal, holder, holder_secret)
    expect(holder_page.get_by_role("region", name="My roles").get_by_role("cell", name=shown)).to_be_visible()

    page.goto(portal.url + f"/security-official/users/{holder.id}")
    page.get_by_role("button", name=f"Change end date of {STAFF} at {org}").click()
    dialog = page.get_by_role("dialog", name="Change the end date")
    later = last_day + timedelta(days=60)
    dialog.get_by_label("Access ends on").fill(later.isoformat())
    assert_accessible(page)
    dialog.get_by_role("button", name="Save end date").click()
    expect(page.get_by_text(f"Access ends on {later.isoformat()}.")).to_be_visible()
    later_shown = f"{later:%b %d, %Y}".replace(" 0", " ")
    expect(page.get_by_role("region", name="Roles", exact=True).get_by_role("cell", name=later_shown)).to_be_visible()
    history = page.get_by_role("region", name="Role history")  # newest first: the change, then the approval
    expect(history.get_by_role("row").nth(1)).to_contain_text(f"End date changed: last day {later_shown}")
    expect(history.get_by_role("row").nth(2)).to_contain_text("Granted (request approved)")
    assert_accessible(page)
    with portal.session() as s:
        grant = s.exec(select(OrgRole).where(OrgRole.user_id == holder.id)).one()
        assert grant.ends_on == later
    for p in (page, holder_page):
        p.context.close()


def test_a_role_past_its_last_day_ends_while_its_holder_watches(page, portal):
    org = _org(portal)
    holder, secret = make_account(portal, "ender", first="Enid", roles=((org, STAFF),))
    sign_in(page, portal, holder, secret)
    expect(page.get_by_role("region", name="My roles").get_by_role("cell", name=STAFF)).to_be_visible()
    with portal.session() as s:  # its last day was yesterday: the job running every second ends it
        grant = s.exec(select(OrgRole).where(OrgRole.user_id == holder.id)).one()
        yesterday = _alaska_today() - timedelta(days=1)
        grant.ends_on, grant.ends_at = yesterday, terms.ends_at_for(yesterday)
        s.add(grant)
        s.commit()
    expect(page.get_by_text(f"Your {STAFF} role at Tern Home {org} ended").first).to_be_visible(timeout=20_000)
    with portal.session() as s:
        assert s.exec(select(OrgRole).where(OrgRole.user_id == holder.id)).all() == []
        assert s.exec(select(AuditEvent).where(AuditEvent.action == "role.expired",
                                               AuditEvent.subject_user_id == holder.id)).one()
    expect(page.get_by_text("You have no roles yet.")).to_be_visible()  # My roles follows live, no reload


def test_the_holder_asks_for_more_time_and_an_official_approves_it(browser, portal):
    org = _org(portal)
    official, official_secret = make_account(portal, "otis", first="Otis", roles=((org, SECURITY_OFFICIAL),))
    holder, holder_secret = make_account(portal, "mora", first="Mora", last="Time", roles=((org, STAFF),))
    soon = _alaska_today() + timedelta(days=5)
    with portal.session() as s:
        grant = s.exec(select(OrgRole).where(OrgRole.user_id == holder.id)).one()
        terms.set_term(grant, soon)
        s.add(grant)
        s.commit()
    official_page = browser.new_context().new_page()
    sign_in(official_page, portal, official, official_secret)
    official_page.goto(portal.url + "/security-official/requests")
    expect(official_page.get_by_text("There are no pending requests.")).to_be_visible()

    page = browser.new_context().new_page()
    sign_in(page, portal, holder, holder_secret)
    page.get_by_role("button", name=f"Ask for more time: {STAFF} at Tern Home {org}").click()
    dialog = page.get_by_role("dialog", name="Ask for more time")
    later = soon + timedelta(days=90)
    dialog.get_by_label("Access ends on").fill(later.isoformat())
    dialog.get_by_role("button", name="Ask").click()
    expect(dialog.get_by_label("Justification")).to_have_accessible_description(re.compile("required|Say why"))
    expect(dialog.get_by_label("Access ends on")).to_have_value(later.isoformat())  # kept when refused
    assert_accessible(page)
    dialog.get_by_label("Justification").fill("The survey visit moved to March.")
    dialog.get_by_role("button", name="Ask").click()
    expect(page.get_by_text("You asked for more time.")).to_be_visible()

    label = f"{STAFF}: more time, until {later:%b %d, %Y}".replace(" 0", " ")
    expect(official_page.get_by_role("cell", name=label)).to_be_visible()  # live, no reload
    official_page.get_by_role("checkbox", name="Select Mora Time").check()
    official_page.get_by_role("button", name="Approve").click()
    expect(official_page.get_by_role("status").filter(has_text="1 request approved.")).to_be_visible()
    with portal.session() as s:
        assert s.exec(select(OrgRole).where(OrgRole.user_id == holder.id)).one().ends_on == later
    shown = f"{later:%b %d, %Y}".replace(" 0", " ")
    expect(page.get_by_role("region", name="My roles").get_by_role("cell", name=shown)).to_be_visible()  # live
    for p in (page, official_page):
        p.context.close()
