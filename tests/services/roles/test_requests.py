"""Role requests: filing, deciding (bulk, race-safe), removing, and who may do each."""

import pytest
from sqlmodel import Session, select

from harmony_portal.models import AuditEvent, OrgRole, OutboxEmail, RoleRequest
from harmony_portal.services.errors import Conflict, Invalid, NotAllowed
from harmony_portal.services.roles import decisions, grants
from harmony_portal.services.roles import queries as role_queries
from harmony_portal.services.roles import requests as roles


@pytest.fixture
def world(session, make):
    """Organization A with two officials, organization B with one, and a requester."""
    a, b = make.org(session, "A1", "Alpha Care"), make.org(session, "B1", "Beta Home")
    so1 = make.user(session, "so.one", first_name="Olga", last_name="One")
    so2 = make.user(session, "so.two", first_name="Otto", last_name="Two")
    sob = make.user(session, "so.b", first_name="Bea", last_name="Bee")
    make.grant(session, so1, a)
    make.grant(session, so2, a)
    make.grant(session, sob, b)
    requester = make.user(session, "pam", first_name="Pamela", last_name="Cameron")
    return dict(a=a, b=b, so1=so1, so2=so2, sob=sob, requester=requester)


def test_request_is_filed_audited_and_officials_emailed(session, world, clock):
    req = roles.request_role(session, world["requester"], "A1", "Assessment Coordinator",
                             "Starting as assessment coordinator", now=clock.now())
    assert req.status == "pending"
    to = sorted(e.to_address for e in session.exec(select(OutboxEmail)))
    assert to == ["so.one@example.org", "so.two@example.org"]
    assert session.exec(select(AuditEvent.action)).all()[-1] == "role.requested"


@pytest.mark.parametrize(("org", "role", "text", "field"), [
    ("", "Staff", "A good reason here", "organization"),
    ("A1", "Emperor", "A good reason here", "role"),
    ("A1", "Staff", "too short", "justification"),
    ("A1", "Staff", "x" * 1001, "justification"),
])
def test_request_fields_are_checked(session, world, org, role, text, field):
    with pytest.raises(Invalid) as caught:
        roles.request_role(session, world["requester"], org, role, text)
    assert field in caught.value.errors


def test_duplicate_pending_and_already_held_are_refused(session, world, make):
    roles.request_role(session, world["requester"], "A1", "Staff", "Needs access for visits")
    with pytest.raises(Invalid, match=r"already asked for the Staff role at .* on .*still waiting"):
        roles.request_role(session, world["requester"], "A1", "Staff", "Needs access for visits")
    with pytest.raises(Invalid, match="already hold"):
        roles.request_role(session, world["so1"], "A1", "Security Official", "I am already one of them")


def test_a_second_identical_request_arriving_at_once_is_refused_by_the_database(session, world, monkeypatch):
    """The look-up before filing can't see a request committed a moment later by another
    process: the unique index on pending requests decides, and the filer is told."""
    first = roles.request_role(session, world["requester"], "A1", "Staff", "Needs access for visits")
    session.commit()
    monkeypatch.setattr(roles, "pending_request", lambda *_args: None)  # as if the other had not committed yet
    with pytest.raises(Invalid, match="already asked for the Staff role") as caught:
        roles.request_role(session, world["requester"], "A1", "Staff", "Needs access for visits")
    assert "role" in caught.value.errors
    session.rollback()
    pending = session.exec(select(RoleRequest).where(RoleRequest.user_id == world["requester"].id,
                                                     RoleRequest.status == "pending")).all()
    assert [r.id for r in pending] == [first.id]


def test_the_same_forms_request_sent_again_is_the_first_request_not_a_refusal(session, world):
    """The answer to Submit Request was lost (the node stopped after the commit): the form, sent
    again with the key it opened with, gets the request already filed; one audit event, one email each."""
    first = roles.request_role(session, world["requester"], "A1", "Staff", "Needs access for visits",
                               client_key="request-form-1")
    again = roles.request_role(session, world["requester"], "A1", "Staff", "Needs access for visits",
                               client_key="request-form-1")
    assert again.id == first.id
    assert session.exec(select(AuditEvent.action).where(AuditEvent.action == "role.requested")).all() == [
        "role.requested"]
    assert len(session.exec(select(OutboxEmail)).all()) == 2  # the two officials, once
    # Another form (another key) is a second request, refused as a duplicate as before.
    with pytest.raises(Invalid, match="already asked"):
        roles.request_role(session, world["requester"], "A1", "Staff", "Needs access for visits",
                           client_key="request-form-2")
    # The key is the requester's own: someone else's form with the same key files their own request.
    theirs = roles.request_role(session, world["so1"], "B1", "Staff", "Helping out at Beta Home",
                                client_key="request-form-1")
    assert theirs.id != first.id and theirs.user_id == world["so1"].id


def test_the_same_forms_request_racing_itself_gets_the_one_that_won(session, world, monkeypatch):
    """Two sends of one form at once: neither look-up sees the other; the unique index decides and
    the loser hands back the winner's request instead of "You already asked"."""
    from harmony_portal.services import once

    first = roles.request_role(session, world["requester"], "A1", "Staff", "Needs access for visits",
                               client_key="raced-form")
    session.commit()
    real_lookup, calls = once.filed_with, []

    def late_lookup(*args):  # the first look-up (before filing) sees nothing yet
        calls.append(args)
        return None if len(calls) == 1 else real_lookup(*args)

    monkeypatch.setattr(once, "filed_with", late_lookup)
    monkeypatch.setattr(roles, "pending_request", lambda *_args: None)
    again = roles.request_role(session, world["requester"], "A1", "Staff", "Needs access for visits",
                               client_key="raced-form")
    assert again.id == first.id
    assert len(session.exec(select(RoleRequest).where(RoleRequest.user_id == world["requester"].id)).all()) == 1


def test_the_database_holds_one_pending_request_per_person_organization_and_role(session, world):
    from sqlalchemy.exc import IntegrityError

    roles.request_role(session, world["requester"], "A1", "Staff", "Needs access for visits")
    session.commit()
    session.add(RoleRequest(user_id=world["requester"].id, organization_id="A1", role="Staff", justification="x"))
    with pytest.raises(IntegrityError):
        session.commit()
    session.rollback()
    # A decided request is history: a new one may be filed after it.
    session.add(RoleRequest(user_id=world["requester"].id, organization_id="A1", role="Staff", justification="x",
                            status="rejected"))
    session.commit()


def test_approve_grants_role_audits_and_emails(session, world, clock):
    req = roles.request_role(session, world["requester"], "A1", "Staff", "Needs access for visits")
    result = decisions.approve_requests(session, world["so1"], [req.id], now=clock.now())
    assert [r.id for r in result.decided] == [req.id] and not result.already
    assert session.exec(select(OrgRole).where(OrgRole.user_id == world["requester"].id)).one().role == "Staff"
    mail = session.exec(select(OutboxEmail).where(OutboxEmail.to_address == "pam@example.org")).one()
    assert "approved" in mail.subject


def test_reject_needs_a_reason_which_reaches_the_requester(session, world):
    req = roles.request_role(session, world["requester"], "A1", "Staff", "Needs access for visits")
    with pytest.raises(Invalid, match="Rejection Reason"):
        decisions.reject_requests(session, world["so1"], [req.id], "  ")
    decisions.reject_requests(session, world["so1"], [req.id], "Not our employee")
    mail = session.exec(select(OutboxEmail).where(OutboxEmail.to_address == "pam@example.org")).one()
    assert "denied" in mail.subject and "Not our employee" in mail.body and "resubmit" in mail.body
    event = session.exec(select(AuditEvent).where(AuditEvent.action == "role.request_rejected")).one()
    assert "Not our employee" in event.detail


def test_second_decision_is_told_who_decided_first(engine, world, session):
    req = roles.request_role(session, world["requester"], "A1", "Staff", "Needs access for visits")
    session.commit()
    # Two officials load the same pending request, then both decide.
    with Session(engine) as s1, Session(engine) as s2:
        decisions.approve_requests(s1, world["so1"], [req.id])
        s1.commit()
        result = decisions.reject_requests(s2, world["so2"], [req.id], "No")
        s2.commit()
    assert result.decided == [] and result.already == [(req.id, "Pamela Cameron", "Olga One")]
    with Session(engine) as s:
        assert s.get(RoleRequest, req.id).status == "approved"


def test_official_of_b_cannot_touch_a(session, world):
    req = roles.request_role(session, world["requester"], "A1", "Staff", "Needs access for visits")
    grant = session.exec(select(OrgRole).where(OrgRole.user_id == world["so1"].id)).one()
    sob = world["sob"]
    with pytest.raises(NotAllowed):
        decisions.approve_requests(session, sob, [req.id])
    with pytest.raises(NotAllowed):
        decisions.reject_requests(session, sob, [req.id], "forged")
    with pytest.raises(NotAllowed):
        grants.remove_role(session, sob, grant.id)
    with pytest.raises(NotAllowed):
        role_queries.lookup_users(session, sob, "A1")
    with pytest.raises(NotAllowed):
        role_queries.user_roles(session, sob, world["so1"].id)
    with pytest.raises(NotAllowed):
        role_queries.export_csv(session, sob, "A1")
    assert role_queries.decidable_rows(session, sob) == []


def test_a_forged_id_refuses_the_whole_batch(session, world, make):
    mine = roles.request_role(session, world["requester"], "B1", "Staff", "Needs access for visits")
    theirs = roles.request_role(session, world["requester"], "A1", "Staff", "Needs access for visits")
    with pytest.raises(NotAllowed):
        decisions.approve_requests(session, world["sob"], [mine.id, theirs.id])
    assert session.get(RoleRequest, mine.id).status == "pending"


def test_nobody_decides_their_own_request(session, world, make):
    req = roles.request_role(session, world["so1"], "A1", "Staff", "I want staff too please")
    assert all(r["id"] != str(req.id) for r in role_queries.decidable_rows(session, world["so1"]))
    with pytest.raises(NotAllowed):
        decisions.approve_requests(session, world["so1"], [req.id])


def test_help_desk_decides_while_an_organization_has_no_official(session, make):
    admin = make.user(session, "desk", is_admin=True)
    org = make.org(session, "C1")
    first = make.user(session, "first.so")
    req = roles.request_role(session, first, "C1", "Security Official", "Our first security official")
    assert [e.to_address for e in session.exec(select(OutboxEmail))] == ["desk@example.org"]
    assert [r["id"] for r in role_queries.decidable_rows(session, admin)] == [str(req.id)]
    decisions.approve_requests(session, admin, [req.id])
    # Once the organization has an official, the help desk no longer decides there.
    later = roles.request_role(session, make.user(session), org.id, "Staff", "A staff member joins")
    with pytest.raises(NotAllowed):
        decisions.approve_requests(session, admin, [later.id])


def test_bulk_decision_of_many(session, world, make):
    ids = [roles.request_role(session, make.user(session), "A1", "Staff", "Bulk onboarding day").id
           for _ in range(200)]
    result = decisions.approve_requests(session, world["so1"], ids)
    assert len(result.decided) == 200
    actions = session.exec(select(AuditEvent.action).where(AuditEvent.action == "role.request_approved")).all()
    assert len(actions) == 200
    approvals = session.exec(select(OutboxEmail).where(OutboxEmail.subject == "Your role request was approved")).all()
    assert len(approvals) == 200


def test_cancel_own_pending_only(session, world):
    req = roles.request_role(session, world["requester"], "A1", "Staff", "Needs access for visits")
    with pytest.raises(NotAllowed):
        roles.cancel_request(session, world["so1"], req.id)
    roles.cancel_request(session, world["requester"], req.id)
    assert session.get(RoleRequest, req.id).status == "cancelled"
    with pytest.raises(Conflict):
        roles.cancel_request(session, world["requester"], req.id)


def test_last_security_official_is_kept_except_by_help_desk(session, world, make):
    grant_b = session.exec(select(OrgRole).where(OrgRole.user_id == world["sob"].id)).one()
    with pytest.raises(Conflict, match="last Security Official"):
        grants.remove_role(session, world["sob"], grant_b.id)
    admin = make.user(session, is_admin=True)
    grants.remove_role(session, admin, grant_b.id, reason="Left the agency")
    mail = session.exec(select(OutboxEmail).where(OutboxEmail.to_address == "so.b@example.org")).one()
    assert "removed" in mail.subject and "Left the agency" in mail.body


def test_official_removes_a_role_in_own_organization(session, world):
    grant = session.exec(select(OrgRole).where(OrgRole.user_id == world["so2"].id)).one()
    grants.remove_role(session, world["so1"], grant.id)
    assert session.get(OrgRole, grant.id) is None
    assert session.exec(select(AuditEvent.action)).all()[-1] == "role.removed"


def test_lookup_is_exact_and_case_insensitive(session, world, make):
    staff = make.user(session, "Vj_TestUser24", email="vj@alcor.example")
    make.grant(session, staff, world["a"], "Staff")
    rows, total = role_queries.lookup_users(session, world["so1"], "A1")
    assert total == 3
    assert role_queries.lookup_users(session, world["so1"], "A1", "VJ_TESTUSER24")[0][0]["user_id"] == "Vj_TestUser24"
    assert role_queries.lookup_users(session, world["so1"], "A1", "VJ@ALCOR.EXAMPLE")[1] == 1
    assert role_queries.lookup_users(session, world["so1"], "A1", "vj_testuser")[1] == 0
    # A user of another organization is not found, and nothing says they exist.
    assert role_queries.lookup_users(session, world["so1"], "A1", "so.b")[1] == 0


def test_lookup_paginates(session, world, make):
    for _ in range(30):
        make.grant(session, make.user(session), world["b"], "Staff")
    page1, total = role_queries.lookup_users(session, world["sob"], "B1", page=1, page_size=25)
    page2, _ = role_queries.lookup_users(session, world["sob"], "B1", page=2, page_size=25)
    assert total == 31 and len(page1) == 25 and len(page2) == 6
    assert not {r["id"] for r in page1} & {r["id"] for r in page2}


def test_export_lists_users_and_roles(session, world):
    text = role_queries.export_csv(session, world["so1"], "A1")
    lines = text.strip().splitlines()
    assert lines[0].startswith("Organization,User ID") and len(lines) == 3
    assert any("so.two" in line and "Security Official" in line for line in lines)


def test_sole_official_nudge(session, world):
    assert role_queries.sole_official_orgs(session, world["sob"]) == ["Beta Home"]
    assert role_queries.sole_official_orgs(session, world["so1"]) == []
