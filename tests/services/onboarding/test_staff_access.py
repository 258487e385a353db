"""Access Coordinators: named by an accepted agreement, asking access for their staff; each
function tried by the wrong user too."""

import itertools

import pytest
from sqlmodel import select

from harmony_portal.models import PQ, AuditEvent, OrgRole, RoleRequest
from harmony_portal.services.errors import Conflict, Invalid, NotAllowed
from harmony_portal.services.onboarding import checklist as onboarding
from harmony_portal.services.onboarding import staff_access
from harmony_portal.services.pq import attachments as pq_attachments
from harmony_portal.services.pq.file_store import StoredFile
from harmony_portal.services.roles import decisions
from harmony_portal.services.roles import queries as role_queries

_keys = itertools.count(1)


def upload(session, author, pq, note_type="Access Request"):
    """An Access Request note by ``author`` carrying one (already stored) signed form."""
    from tests import factories

    note = factories.note(session, author, pq, "Signed agreement attached.", note_type=note_type)
    stored = StoredFile(filename="agreement.pdf", content_type="application/pdf", size=1000, sha256="0" * 64,
                        storage_key=f"test-key-{next(_keys)}", pages=2)
    return pq_attachments.attach_files(session, author, pq.id, note.id, [stored])[0]


@pytest.fixture
def world(session, make):
    a, b = make.org(session, "ACA", "Kenai Home Care"), make.org(session, "ACB", "Sitka Care")
    official = make.user(session, "official.a", first_name="Olive", last_name="Official")
    make.grant(session, official, a, "Security Official")
    coordinator = make.user(session, "coord.a", first_name="Cora", last_name="Coordinator")
    make.grant(session, coordinator, a, "Staff")
    outsider = make.user(session, "coord.b")
    make.grant(session, outsider, b, "Access Coordinator")
    staff = make.user(session, "sam.staff", first_name="Sam", last_name="Staff", email="sam@example.org")
    admin = make.user(session, "desk", is_admin=True)
    pq = make.pq(session, coordinator, a, inquiry_type="Access Request", subject="Access Coordinator for Kenai",
                 details="Our signed Access Coordinator Agreement is attached.")
    return dict(a=a, b=b, official=official, coordinator=coordinator, outsider=outsider, staff=staff, admin=admin,
                pq=pq)


def _accept(session, w):
    upload(session, w["coordinator"], w["pq"])
    return staff_access.accept_coordinator_agreement(session, w["admin"], w["pq"].id, w["coordinator"].id)


def test_the_help_desk_accepts_an_uploaded_agreement_naming_the_coordinator(session, world):
    w = world
    assert staff_access.agreement_candidates(session, w["admin"], w["pq"].id) == []  # nothing uploaded yet
    with pytest.raises(Invalid, match="Upload the signed"):
        staff_access.accept_coordinator_agreement(session, w["admin"], w["pq"].id, w["coordinator"].id)
    upload(session, w["coordinator"], w["pq"])
    assert [p.user_id for p in staff_access.agreement_candidates(session, w["admin"], w["pq"].id)] == ["coord.a"]
    with pytest.raises(Invalid, match="requester or whoever uploaded"):
        staff_access.accept_coordinator_agreement(session, w["admin"], w["pq"].id, w["staff"].id)
    pq = staff_access.accept_coordinator_agreement(session, w["admin"], w["pq"].id, w["coordinator"].id)
    assert pq.status == "Resolved"
    assert session.exec(select(OrgRole).where(OrgRole.user_id == w["coordinator"].id,
                                              OrgRole.role == "Access Coordinator")).one().organization_id == "ACA"
    event = session.exec(select(AuditEvent).where(AuditEvent.action == "pq.coordinator_agreement_accepted")).one()
    assert event.target == f"pq:{pq.id}" and event.actor_id == w["admin"].id
    with pytest.raises(Conflict, match="already"):
        staff_access.accept_coordinator_agreement(session, w["admin"], w["pq"].id, w["coordinator"].id)


def test_only_the_help_desk_accepts_an_agreement(session, world):
    w = world
    upload(session, w["coordinator"], w["pq"])
    for wrong in (w["coordinator"], w["official"], w["outsider"]):
        with pytest.raises(NotAllowed):
            staff_access.accept_coordinator_agreement(session, wrong, w["pq"].id, w["coordinator"].id)
        with pytest.raises(NotAllowed):
            staff_access.agreement_candidates(session, wrong, w["pq"].id)
    assert not session.exec(select(OrgRole).where(OrgRole.role == "Access Coordinator",
                                                  OrgRole.organization_id == "ACA")).first()


def test_a_coordinator_requests_access_for_staff_and_approval_waits_for_the_checklist(session, world):
    w = world
    _accept(session, w)
    request = staff_access.request_staff_access(session, w["coordinator"], w["pq"].id, "Sam.Staff",
                                                "SAM@example.org", "Staff")
    assert (request.user_id, request.organization_id, request.pq_id, request.requested_by_id) == (
        w["staff"].id, "ACA", w["pq"].id, w["coordinator"].id)
    row = role_queries.decidable_rows(session, w["official"])[0]
    assert row["checklist"] == "Checklist: 0 of 3" and "Identity account made: not yet" in row["checklist_steps"]
    with pytest.raises(Conflict, match="onboarding checklist"):
        decisions.approve_requests(session, w["official"], [request.id])
    for step in onboarding.STEPS:
        onboarding.mark_step(session, w["coordinator"], w["staff"].id, step)
    assert role_queries.decidable_rows(session, w["official"])[0]["checklist"] == "Checklist: 3 of 3"
    assert decisions.approve_requests(session, w["official"], [request.id]).decided
    listed = staff_access.staff_requests_on(session, w["official"], w["pq"].id)
    assert [(r.staff.user_id, r.status, r.checklist.complete) for r in listed] == [("sam.staff", "approved", True)]


def test_only_the_organizations_coordinator_requests_staff_access(session, world):
    w = world
    _accept(session, w)
    for wrong in (w["official"], w["staff"], w["admin"]):
        with pytest.raises(NotAllowed):
            staff_access.request_staff_access(session, wrong, w["pq"].id, "sam.staff", "sam@example.org", "Staff")
    with pytest.raises(NotAllowed):  # another organization's coordinator can't even see the PQ
        staff_access.request_staff_access(session, w["outsider"], w["pq"].id, "sam.staff", "sam@example.org",
                                          "Staff")
    assert session.exec(select(RoleRequest).where(RoleRequest.user_id == w["staff"].id)).first() is None


def test_a_staff_request_needs_both_user_id_and_email_and_a_staff_role(session, world):
    w = world
    _accept(session, w)
    ask = lambda *a: staff_access.request_staff_access(session, w["coordinator"], w["pq"].id, *a)  # noqa: E731
    with pytest.raises(Invalid, match="No account has that User ID and Email Address"):
        ask("sam.staff", "someone@example.org", "Staff")
    with pytest.raises(Invalid, match="Choose a Role"):
        ask("sam.staff", "sam@example.org", "Security Official")
    with pytest.raises(Invalid, match="your own roles"):
        ask("coord.a", "coord.a@example.org", "Assessment Coordinator")
    ask("sam.staff", "sam@example.org", "Staff")
    with pytest.raises(Invalid, match="already has a pending request"):
        ask("sam.staff", "sam@example.org", "Staff")


def test_a_general_question_pq_takes_no_staff_requests(session, world, make):
    w = world
    _accept(session, w)
    general = make.pq(session, w["coordinator"], w["a"])
    with pytest.raises(NotAllowed):
        staff_access.request_staff_access(session, w["coordinator"], general.id, "sam.staff", "sam@example.org",
                                          "Staff")


def test_who_sees_the_staff_requests_on_a_pq(session, world, make):
    w = world
    _accept(session, w)
    staff_access.request_staff_access(session, w["coordinator"], w["pq"].id, "sam.staff", "sam@example.org", "Staff")
    colleague = make.user(session, "colleague")
    make.grant(session, colleague, w["a"], "Staff")
    for reader, count, may_mark in ((w["admin"], 1, True), (w["official"], 1, True), (w["coordinator"], 1, True),
                                    (colleague, 0, False)):
        listed = staff_access.staff_requests_on(session, reader, w["pq"].id)
        assert (len(listed), all(r.may_mark == may_mark for r in listed)) == (count, True), reader.user_id
    for stranger in (w["outsider"], w["staff"]):  # the staff member holds no role there yet: no such PQ
        with pytest.raises(NotAllowed):
            staff_access.staff_requests_on(session, stranger, w["pq"].id)


def test_the_help_desk_grant_from_a_pq_waits_for_a_started_checklist_too(session, world):
    w = world
    from harmony_portal.services.pq.access_requests import grant_from_pq

    onboarding.mark_step(session, w["admin"], w["coordinator"].id, "training")
    upload(session, w["coordinator"], w["pq"])
    with pytest.raises(Conflict, match="onboarding checklist"):
        grant_from_pq(session, w["admin"], w["pq"].id, "ACA", "Staff")
    with pytest.raises(Conflict, match="onboarding checklist"):
        staff_access.accept_coordinator_agreement(session, w["admin"], w["pq"].id, w["coordinator"].id)
    onboarding.override(session, w["admin"], w["coordinator"].id, "Agreement on file; training booked.")
    assert staff_access.accept_coordinator_agreement(session, w["admin"], w["pq"].id, w["coordinator"].id)
    assert session.get(PQ, w["pq"].id).status == "Resolved"


def test_the_shared_grant_path_checks_who_asks_itself(session, world, clock):
    from harmony_portal.services.pq.access_requests import grant_access

    w = world
    with pytest.raises(NotAllowed):
        grant_access(session, w["official"], w["pq"], "ACA", "Staff", w["staff"].id, action="pq.access_granted",
                     now=clock.now())
    assert not session.exec(select(OrgRole).where(OrgRole.user_id == w["staff"].id)).first()
