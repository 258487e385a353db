"""Role history on User Roles: how a person's roles came and went (granted, end date changed, ended by date,
removed on User Roles or in an access review), only at the organizations the viewer may see."""

import pytest
from sqlmodel import select

from harmony_portal.models import OrgRole, ReviewItem
from harmony_portal.services.errors import NotAllowed
from harmony_portal.services.reviews import decide, start
from harmony_portal.services.roles import decisions, grants, queries, terms
from harmony_portal.services.roles import requests as roles
from harmony_portal.vocabulary import STAFF


@pytest.fixture
def world(session, make):
    """Org H1 with official Hal; org H2 with official Ida; Joe asks for Staff at both; an administrator."""
    h1, h2 = make.org(session, "H1", "Heron Home"), make.org(session, "H2", "Hawk Home")
    hal, ida, joe = make.user(session, "hal.h"), make.user(session, "ida.h"), make.user(session, "joe.h")
    make.grant(session, hal, h1)
    make.grant(session, ida, h2)
    admin = make.user(session, "desk.h", is_admin=True)
    return {"hal": hal, "ida": ida, "joe": joe, "admin": admin}


def _granted(session, clock, official, joe, org_id, ends_on=""):
    request = roles.request_role(session, joe, org_id, STAFF, "I start on the night shift", now=clock.now())
    decisions.approve_requests(session, official, [request.id], ends_on=ends_on, now=clock.now())
    return session.exec(select(OrgRole).where(OrgRole.user_id == joe.id, OrgRole.organization_id == org_id)).one()


def _granted_id(session, joe, org_id) -> int:
    return session.exec(select(OrgRole.id).where(OrgRole.user_id == joe.id, OrgRole.organization_id == org_id)).one()


def _what(rows) -> list[str]:
    return [r["what"] for r in rows]


def test_the_history_says_how_each_role_came_and_went_and_an_expiry_is_not_a_removal(session, clock, world):
    hal, ida, joe = world["hal"], world["ida"], world["joe"]
    at_h1 = _granted(session, clock, hal, joe, "H1", "2026-11-30")
    terms.extend(session, hal, at_h1.id, "2026-12-05", now=clock.now())
    _granted(session, clock, ida, joe, "H2")
    clock.advance(days=20)  # past Dec 5 in Alaska: the role at H1 ends by date
    assert terms.end_due(session, now=clock.now()) == 1
    _granted(session, clock, hal, joe, "H1")  # asked again, granted again, then removed by Hal
    grants.remove_role(session, hal, _granted_id(session, joe, "H1"), reason="Left the agency", now=clock.now())

    desk = queries.role_history(session, world["admin"], joe.id)  # the help desk sees every organization
    assert _what(desk) == ["Removed", "Granted (request approved)", "Ended (expired): last day Dec 5, 2026",
                           "Granted (request approved)", "End date changed: last day Dec 5, 2026",
                           "Granted (request approved)"]
    assert [r["organization"] for r in desk] == ["H1", "H1", "H1", "H2", "H1", "H1"]
    assert desk[0]["by"] == roles.full_name(hal) and desk[0]["reason"] == "Left the agency"
    assert desk[2]["by"] == "The portal" and desk[3]["by"] == roles.full_name(ida)
    # Ida, an official of H2, sees only what happened at H2.
    assert [r["organization"] for r in queries.role_history(session, ida, joe.id)] == ["H2"]
    # Hal no longer represents any organization Joe is tied to: the history is closed to him, as the profile is.
    with pytest.raises(NotAllowed):
        queries.role_history(session, hal, joe.id)


def test_a_removal_in_an_access_review_says_so(session, clock, world):
    hal, joe = world["hal"], world["joe"]
    _granted(session, clock, hal, joe, "H1")
    _granted(session, clock, world["ida"], joe, "H2")  # keeps Joe tied to someone after the removal
    review = start.start_review(session, world["admin"], "H1", "2026-12-01", "Keep access", now=clock.now())
    item = session.exec(select(ReviewItem).where(ReviewItem.review_id == review.id, ReviewItem.user_id == joe.id)).one()
    decide.decide(session, hal, [item.id], decide.REMOVE, "No longer works here", now=clock.now())
    [removed, *_] = queries.role_history(session, world["admin"], joe.id)
    assert removed["what"] == "Removed in an access review" and "No longer works here" in removed["reason"]

