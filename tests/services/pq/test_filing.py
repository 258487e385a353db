"""Filing and working PQs: validation by field, routing, the help desk's actions, the wrong user."""

from datetime import UTC, datetime, timedelta

import pytest
from sqlmodel import select

from harmony_portal.db import session_scope
from harmony_portal.models import PQ, AuditEvent, Organization, OrgRole, OutboxEmail, PQNote, RoleRequest, User
from harmony_portal.services import changes
from harmony_portal.services.errors import Conflict, Invalid, Maintenance, NotAllowed
from harmony_portal.services.pq import sla
from harmony_portal.services.pq.access_requests import grant_from_pq, reject_from_pq
from harmony_portal.services.pq.filing import PQForm, add_note, add_pq, route_for, set_route, take_pq, update_pq_status
from harmony_portal.services.roles import grants
from harmony_portal.vocabulary import HELP_DESK


@pytest.fixture
def world(session, make):
    """Two organizations with a staff member each, a help-desk administrator."""
    a, b = make.org(session, "ORGA", "Alpine Care"), make.org(session, "ORGB", "Bering Homes")
    pa, pb = make.user(session, "provider_a"), make.user(session, "provider_b")
    make.grant(session, pa, a, "Staff")
    make.grant(session, pb, b, "Staff")
    admin = make.user(session, "helpdesk", is_admin=True)
    return {"a": a, "b": b, "pa": pa, "pb": pb, "admin": admin}


def _form(org, **fields):
    values = dict(provider=org.id, inquiry_type="General Question", subject="Billing code",
                  details="Which code applies to respite care?")
    values.update(fields)
    return PQForm(**values)


def _actions(session, pq_id):
    return [e.action for e in session.exec(select(AuditEvent).where(AuditEvent.target == f"pq:{pq_id}")
                                           .order_by(AuditEvent.id))]


def test_add_pq_files_it_pending_routed_due_and_audited(session, world, clock):
    pq = add_pq(session, world["pa"], _form(world["a"]), now=clock.now())
    assert (pq.status, pq.provider_name, pq.organization_id) == ("Pending", "Alpine Care", "ORGA")
    assert pq.assigned_resource == HELP_DESK
    assert pq.first_response_due_at == sla.first_response_due(clock.now()) > clock.now() + timedelta(hours=24)
    assert _actions(session, pq.id) == ["pq.created"]
    mail = session.exec(select(OutboxEmail)).all()
    assert [m.to_address for m in mail] == [world["pa"].email] and "We will respond by" in mail[0].body


def test_add_pq_names_every_bad_field_at_once(session, world, clock):
    with pytest.raises(Invalid) as caught:
        add_pq(session, world["pa"], PQForm(provider="NOPE", inquiry_type="Gossip", subject=" ", details="x" * 10001,
                                            status="Done"), now=clock.now())
    assert set(caught.value.errors) == {"provider", "inquiry_type", "subject", "details", "status"}
    assert "at most 10000" in caught.value.errors["details"]
    assert session.exec(select(PQ)).all() == []


def test_subject_longer_than_200_is_refused(session, world, clock):
    with pytest.raises(Invalid) as caught:
        add_pq(session, world["pa"], _form(world["a"], subject="S" * 201), now=clock.now())
    assert set(caught.value.errors) == {"subject"}


def test_a_provider_cannot_file_for_another_organization(session, world, clock):
    with pytest.raises(Invalid) as caught:
        add_pq(session, world["pa"], _form(world["b"]), now=clock.now())
    assert set(caught.value.errors) == {"provider"}


def test_a_provider_cannot_set_another_status_but_the_help_desk_can(session, world, clock):
    with pytest.raises(Invalid) as caught:
        add_pq(session, world["pa"], _form(world["a"], status="Resolved"), now=clock.now())
    assert set(caught.value.errors) == {"status"}
    pq = add_pq(session, world["admin"], _form(world["b"], status="In Progress"), now=clock.now())
    assert pq.status == "In Progress" and pq.organization_id == "ORGB"


def test_routes_send_other_types_to_the_admins_queue_but_access_requests_to_the_help_desk(session, world, clock):
    set_route(session, world["admin"], "Billing", "Billing Unit", now=clock.now())
    assert route_for(session, "Billing") == "Billing Unit"
    billing = add_pq(session, world["pa"], _form(world["a"], inquiry_type="Billing",
                                                  assigned_resource="Somewhere Else"), now=clock.now())
    assert billing.assigned_resource == "Billing Unit"  # a provider's choice is not theirs to make
    access = add_pq(session, world["pa"], _form(world["a"], inquiry_type="Access Request",
                                                 assigned_resource="Billing Unit"), now=clock.now())
    assert access.assigned_resource == HELP_DESK
    with pytest.raises(Invalid):
        set_route(session, world["admin"], "Access Request", "Billing Unit")


def test_only_administrators_set_routes(session, world):
    with pytest.raises(NotAllowed):
        set_route(session, world["pa"], "Billing", "Billing Unit")


@pytest.mark.weekly_window
def test_saving_during_maintenance_is_refused(session, world):
    sunday_afternoon = datetime(2026, 11, 23, 0, 0, tzinfo=UTC)  # Sunday 3:00pm AKST
    with pytest.raises(Maintenance):
        add_pq(session, world["pa"], _form(world["a"]), now=sunday_afternoon)


def test_status_change_is_the_help_desks_and_first_one_is_the_first_response(session, world, clock, make):
    pq = make.pq(session, world["pa"], world["a"], now=clock.now())
    with pytest.raises(NotAllowed):
        update_pq_status(session, world["pa"], pq.id, "Closed")
    with pytest.raises(NotAllowed, match="No such PQ"):
        update_pq_status(session, world["pb"], pq.id, "Closed")
    later = clock.advance(hours=2)
    update_pq_status(session, world["admin"], pq.id, "In Progress", now=later)
    update_pq_status(session, world["admin"], pq.id, "Resolved", now=clock.advance(hours=1))
    assert (pq.status, pq.first_response_at) == ("Resolved", later)
    assert _actions(session, pq.id) == ["pq.created", "pq.status_changed", "pq.status_changed"]
    with pytest.raises(Invalid):
        update_pq_status(session, world["admin"], pq.id, "Bogus")


def test_take_assigns_the_pq_to_that_administrator(session, world, clock, make):
    pq = make.pq(session, world["pa"], world["a"], now=clock.now())
    with pytest.raises(NotAllowed):
        take_pq(session, world["pa"], pq.id)
    with pytest.raises(NotAllowed):
        take_pq(session, world["pb"], pq.id)
    take_pq(session, world["admin"], pq.id, now=clock.now())
    assert pq.taken_by_id == world["admin"].id
    assert _actions(session, pq.id)[-1] == "pq.taken"


def test_provider_notes_and_help_desk_only_note_types(session, world, clock, make):
    pq = make.pq(session, world["pa"], world["a"], now=clock.now())
    note = add_note(session, world["pa"], pq.id, "General", "Resolved", "More detail here.", now=clock.now())
    assert note.pq_id == pq.id and pq.status == "Pending"  # a provider's note does not change the status
    for kind in ("Internal", "Response"):
        with pytest.raises(Invalid) as caught:
            add_note(session, world["pa"], pq.id, kind, "Pending", "Sneaky.")
        assert set(caught.value.errors) == {"note_type"}
    with pytest.raises(Invalid) as caught:
        add_note(session, world["pa"], pq.id, "Nope", "Nope", "  ")
    assert set(caught.value.errors) == {"note_type", "status", "note"}


def test_a_provider_of_another_organization_cannot_add_a_note(session, world, clock, make):
    pq = make.pq(session, world["pa"], world["a"], now=clock.now())
    with pytest.raises(NotAllowed, match="No such PQ"):
        add_note(session, world["pb"], pq.id, "General", "Pending", "Not my PQ.")
    assert session.exec(select(PQNote)).all() == []


def test_a_response_answers_emails_and_sets_the_status(session, world, clock, make):
    pq = make.pq(session, world["pa"], world["a"], now=clock.now())
    session.exec(select(OutboxEmail)).all()
    answered = clock.advance(hours=3)
    add_note(session, world["admin"], pq.id, "Response", "Resolved", "Use code T1019.", now=answered)
    assert (pq.status, pq.first_response_at) == ("Resolved", answered)
    bodies = [m.body for m in session.exec(select(OutboxEmail).where(OutboxEmail.to_address == world["pa"].email))]
    assert any("Use code T1019." in body for body in bodies)
    assert _actions(session, pq.id)[-2:] == ["pq.note_added", "pq.status_changed"]


def test_changes_tell_the_live_queue_after_commit(session, world, clock, make, app_db):
    session.commit()
    heard = []
    changes.subscribe(heard.append)
    try:
        with session_scope() as scope:
            pq = make.pq(scope, scope.get(User, world["pa"].id), scope.get(Organization, "ORGA"), now=clock.now())
            assert heard == []
        with session_scope() as scope:
            add_note(scope, scope.get(User, world["admin"].id), pq.id, "Internal", "In Progress", "Looking.")
    finally:
        changes._subscribers.remove(heard.append)
    assert [c.pqs_changed for c in heard] == [{pq.id}, {pq.id}]


def _access_pq(session, world, clock, make, *, scanned: bool = True):
    pq = make.pq(session, world["pa"], world["a"], inquiry_type="Access Request", subject="Access for me",
                 details="Please grant me Access Coordinator.", now=clock.now())
    if scanned:  # the paper path: the signed form's scan on an Access Request note
        make.scan(session, world["pa"], pq, now=clock.now())
    return pq


def test_the_help_desk_grants_only_from_a_signed_form_or_a_signed_scan(session, world, clock, make):
    pq = _access_pq(session, world, clock, make, scanned=False)
    make.note(session, world["pa"], pq, "No form yet.", now=clock.now())
    with pytest.raises(Invalid, match="granted from a signed form"):
        grant_from_pq(session, world["admin"], pq.id, "ORGA", "Assessment Coordinator", now=clock.now())
    held = select(OrgRole).where(OrgRole.user_id == world["pa"].id, OrgRole.role == "Assessment Coordinator")
    assert not session.exec(held).all()
    make.scan(session, world["pa"], pq, now=clock.now())
    grant_from_pq(session, world["admin"], pq.id, "ORGA", "Assessment Coordinator", now=clock.now())
    assert session.exec(held).one()


def test_grant_from_pq_approves_the_pending_request_through_decide(session, world, clock, make):
    pq = _access_pq(session, world, clock, make)
    request = make.request(session, world["pa"], world["a"], role="Access Coordinator")
    grant_from_pq(session, world["admin"], pq.id, "ORGA", "Access Coordinator", now=clock.now())
    session.refresh(request)
    assert (request.status, request.decided_by_id) == ("approved", world["admin"].id)
    assert session.exec(select(OrgRole).where(OrgRole.user_id == world["pa"].id,
                                              OrgRole.role == "Access Coordinator")).one()
    assert pq.status == "Resolved"
    assert "pq.access_granted" in _actions(session, pq.id)
    assert session.exec(select(AuditEvent).where(AuditEvent.action == "role.request_approved")).one()


def test_grant_from_pq_works_even_where_the_organization_has_a_security_official(session, world, clock, make):
    official = make.user(session, "official_a")
    make.grant(session, official, world["a"], "Security Official")
    pq = _access_pq(session, world, clock, make)
    request = make.request(session, world["pa"], world["a"], role="Access Coordinator")
    grant_from_pq(session, world["admin"], pq.id, "ORGA", "Access Coordinator", now=clock.now())
    session.refresh(request)
    assert request.status == "approved"


def test_grant_from_pq_without_a_request_uses_the_audited_admin_grant(session, world, clock, make):
    pq = _access_pq(session, world, clock, make)
    grant_from_pq(session, world["admin"], pq.id, "ORGA", "Security Official", now=clock.now())
    held = session.exec(select(OrgRole).where(OrgRole.user_id == world["pa"].id,
                                              OrgRole.role == "Security Official")).one()
    assert held.granted_by_id == world["admin"].id
    granted = session.exec(select(AuditEvent).where(AuditEvent.action == "role.granted",
                                                    AuditEvent.target == f"pq:{pq.id}")).one()
    assert granted.subject_user_id == world["pa"].id
    with pytest.raises(Conflict):
        grants.help_desk_grant(session, world["admin"], world["pa"].id, "ORGA", "Security Official")


def test_only_the_help_desk_grants_or_rejects_from_a_pq(session, world, clock, make):
    pq = _access_pq(session, world, clock, make)
    official = make.user(session, "official_a")
    make.grant(session, official, world["a"], "Security Official")
    for actor in (world["pa"], official):
        with pytest.raises(NotAllowed):
            grant_from_pq(session, actor, pq.id, "ORGA", "Staff")
        with pytest.raises(NotAllowed):
            reject_from_pq(session, actor, pq.id, "No.")
    with pytest.raises(NotAllowed, match="No such PQ"):
        grant_from_pq(session, world["pb"], pq.id, "ORGB", "Security Official")
    with pytest.raises(NotAllowed):
        grants.help_desk_grant(session, official, world["pb"].id, "ORGA", "Staff")
    assert session.exec(select(OrgRole).where(OrgRole.user_id == world["pb"].id, OrgRole.organization_id == "ORGA")
                        ).all() == []


def test_grant_and_reject_need_an_access_request_pq(session, world, clock, make):
    pq = make.pq(session, world["pa"], world["a"], now=clock.now())
    with pytest.raises(Invalid):
        grant_from_pq(session, world["admin"], pq.id, "ORGA", "Staff")
    with pytest.raises(Invalid):
        reject_from_pq(session, world["admin"], pq.id, "Not an access request.")


def test_reject_from_pq_needs_a_reason_and_rejects_the_request(session, world, clock, make):
    pq = _access_pq(session, world, clock, make)
    request = make.request(session, world["pa"], world["a"], role="Access Coordinator")
    with pytest.raises(Invalid) as caught:
        reject_from_pq(session, world["admin"], pq.id, "  ")
    assert set(caught.value.errors) == {"reason"}
    reject_from_pq(session, world["admin"], pq.id, "Your agreement is not signed.", now=clock.now())
    session.refresh(request)
    assert (request.status, request.reason) == ("rejected", "Your agreement is not signed.")
    assert pq.status == "Resolved" and "pq.access_rejected" in _actions(session, pq.id)


def test_reject_without_a_request_emails_the_reason(session, world, clock, make):
    pq = _access_pq(session, world, clock, make)
    reject_from_pq(session, world["admin"], pq.id, "Ask your Access Coordinator.", now=clock.now())
    assert any("Ask your Access Coordinator." in m.body for m in session.exec(select(OutboxEmail)))
    assert session.exec(select(RoleRequest)).all() == []


def test_a_save_repeated_with_its_forms_key_files_one_pq(session, world, clock):
    """The answer to a save can be lost (its node stopped right after the commit): the person presses
    Save PQ again, with the key the form was opened with, and gets the PQ the first save filed."""
    first = add_pq(session, world["pa"], _form(world["a"]), now=clock.now(), client_key="form-opened-once")
    again = add_pq(session, world["pa"], _form(world["a"]), now=clock.now(), client_key="form-opened-once")
    other_form = add_pq(session, world["pa"], _form(world["a"]), now=clock.now(), client_key="another-form")
    no_key = add_pq(session, world["pa"], _form(world["a"]), now=clock.now())
    assert again.id == first.id and len({first.id, other_form.id, no_key.id}) == 3
    # The key is the filer's own: someone else's form with the same key is another PQ.
    theirs = add_pq(session, world["pb"], _form(world["b"]), now=clock.now(), client_key="form-opened-once")
    assert theirs.id != first.id
    assert _actions(session, first.id).count("pq.created") == 1


def test_the_same_forms_save_arriving_twice_at_once_files_one_pq(session, world, clock, monkeypatch):
    """Two saves of one form racing: the look-up before filing can't see the other's uncommitted
    row; the unique index decides, and the loser hands back the winner's PQ."""
    from sqlalchemy.exc import IntegrityError

    from harmony_portal.services import once

    first = add_pq(session, world["pa"], _form(world["a"]), now=clock.now(), client_key="raced")
    session.commit()
    session.add(PQ(organization_id="ORGA", provider_name="Alpine Care", inquiry_type="Billing", subject="s",
                   details="d", created_by_id=world["pa"].id, client_key="raced"))
    with pytest.raises(IntegrityError):  # the database itself holds one row per form
        session.flush()
    session.rollback()
    real_lookup = once.filed_with
    calls = []

    def late_lookup(*args):  # the first look-up (before filing) sees nothing yet, as in a race
        calls.append(args)
        return None if len(calls) == 1 else real_lookup(*args)

    monkeypatch.setattr(once, "filed_with", late_lookup)
    again = add_pq(session, world["pa"], _form(world["a"]), now=clock.now(), client_key="raced")
    assert again.id == first.id
    assert session.exec(select(PQ).where(PQ.client_key == "raced")).all() == [again]


def test_a_note_saved_twice_from_one_dialog_is_one_note(session, world, clock):
    pq = add_pq(session, world["pa"], _form(world["a"]), now=clock.now())
    first = add_note(session, world["pa"], pq.id, "General", "Pending", "Form attached.", now=clock.now(),
                     client_key="dialog-1")
    again = add_note(session, world["pa"], pq.id, "General", "Pending", "Form attached.", now=clock.now(),
                     client_key="dialog-1")
    assert again.id == first.id
    assert len(session.exec(select(PQNote).where(PQNote.pq_id == pq.id)).all()) == 1
