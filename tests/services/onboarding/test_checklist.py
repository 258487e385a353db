"""The onboarding checklist: shown to the right people, marked by them, gating approval."""

import pytest
from sqlmodel import select

from harmony_portal.models import AuditEvent, Organization, OrgRole
from harmony_portal.services.errors import Conflict, Invalid, NotAllowed
from harmony_portal.services.onboarding import checklist as onboarding
from harmony_portal.services.roles import decisions


@pytest.fixture
def people(session, make):
    a, b = make.org(session, "ORGA"), make.org(session, "ORGB")
    coordinator, official_b = make.user(session, "coord_a"), make.user(session, "official_b")
    make.grant(session, coordinator, a, "Security Official")
    make.grant(session, official_b, b, "Security Official")
    staff = make.user(session, "new_staff")
    request = make.request(session, staff, a)
    admin = make.user(session, "helpdesk", is_admin=True)
    return {"coord": coordinator, "official_b": official_b, "staff": staff, "request": request, "admin": admin}


def test_approval_waits_until_the_checklist_is_complete(session, people, clock):
    coord, staff, request = people["coord"], people["staff"], people["request"]
    onboarding.mark_step(session, coord, staff.id, "identity_account", now=clock.now())
    with pytest.raises(Conflict, match="onboarding checklist"):
        decisions.approve_requests(session, coord, [request.id])
    onboarding.mark_step(session, coord, staff.id, "security_agreement", now=clock.now())
    onboarding.mark_step(session, coord, staff.id, "training", now=clock.now())
    assert onboarding.checklist_of(session, staff, staff.id).complete
    assert decisions.approve_requests(session, coord, [request.id]).decided
    assert session.exec(select(OrgRole).where(OrgRole.user_id == staff.id)).one()


def test_rejection_does_not_wait(session, people):
    onboarding.mark_step(session, people["coord"], people["staff"].id, "training")
    assert decisions.reject_requests(session, people["coord"], [people["request"].id], "Not yet.").decided


def test_an_administrator_override_lets_approval_go_ahead_and_is_audited(session, people):
    staff = people["staff"]
    onboarding.mark_step(session, people["coord"], staff.id, "training")
    with pytest.raises(NotAllowed):
        onboarding.override(session, people["coord"], staff.id, "Urgent.")
    with pytest.raises(Invalid):
        onboarding.override(session, people["admin"], staff.id, " ")
    view = onboarding.override(session, people["admin"], staff.id, "Training booked for Monday.")
    assert view.overridden and not view.complete
    assert decisions.approve_requests(session, people["coord"], [people["request"].id]).decided
    assert session.exec(select(AuditEvent).where(AuditEvent.action == "onboarding.overridden")).one()


def test_another_organization_neither_sees_nor_marks_the_checklist(session, people, make):
    staff, outsider = people["staff"], people["official_b"]
    with pytest.raises(NotAllowed):
        onboarding.checklist_of(session, outsider, staff.id)
    with pytest.raises(NotAllowed):
        onboarding.mark_step(session, outsider, staff.id, "training")
    with pytest.raises(NotAllowed):
        onboarding.mark_step(session, staff, staff.id, "training")  # nobody ticks their own steps
    assert onboarding.checklist_of(session, people["admin"], staff.id).steps[0][2] is None
    with pytest.raises(Invalid):
        onboarding.mark_step(session, people["admin"], staff.id, "vibes")


def test_an_access_coordinator_marks_their_staff_but_not_others_or_themselves(session, people, make):
    from harmony_portal.services.changes import Changes

    staff, a = people["staff"], people["request"].organization_id
    coordinator = make.user(session, "ac_a")
    make.grant(session, coordinator, session.get(Organization, a), "Access Coordinator")
    other = make.user(session, "ac_b")
    make.grant(session, other, session.get(Organization, "ORGB"), "Access Coordinator")
    with pytest.raises(NotAllowed):
        onboarding.mark_step(session, other, staff.id, "training")
    with pytest.raises(NotAllowed):
        onboarding.checklist_of(session, other, staff.id)
    with pytest.raises(NotAllowed):
        onboarding.mark_step(session, coordinator, coordinator.id, "training")
    with pytest.raises(NotAllowed):
        onboarding.override(session, people["admin"], people["admin"].id, "Myself.")
    view = onboarding.mark_step(session, coordinator, staff.id, "training")
    assert view.summary == "Checklist: 1 of 3" and view.started
    assert isinstance(session.info["harmony_changes"], Changes)
    assert a in session.info["harmony_changes"].request_orgs  # the live Role Requests rows refresh
    onboarding.mark_step(session, coordinator, staff.id, "training")  # a second click
    marks = session.exec(select(AuditEvent).where(AuditEvent.action == "onboarding.step_marked")).all()
    assert len(marks) == 1
    assert not onboarding.mark_step(session, coordinator, staff.id, "training", done=False).steps[2][2]


def test_an_unstarted_checklist_neither_shows_nor_waits(session, people):
    staff = people["staff"]
    assert not onboarding.checklists_for(session, [staff.id])[staff.id].started
    assert onboarding.waiting_user_ids(session, [staff.id]) == set()
    onboarding.require_satisfied(session, [staff.id])  # nothing to wait for
    view = onboarding.override(session, people["admin"], staff.id, "Known to us.")
    assert view.summary == "Checklist: 0 of 3, overridden by an administrator"
