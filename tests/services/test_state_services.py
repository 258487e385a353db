"""The reads and small changes the state layer asks services for (it runs no queries itself)."""


import pytest
from sqlmodel import select

from harmony_portal.models import AuditEvent, TotpDevice
from harmony_portal.services.accounts import identity, signup
from harmony_portal.services.errors import NotAllowed
from harmony_portal.services.guards import require_admin
from harmony_portal.services.roles import grants, organizations
from harmony_portal.services.roles import queries as role_queries
from harmony_portal.services.roles import requests as roles
from harmony_portal.services.signin import two_factor
from harmony_portal.services.signin.devices import confirmed_devices, has_confirmed_device


@pytest.fixture
def world(session, make):
    org = make.org(session, "H1", "Harbor Home")
    official = make.user(session, "so.h", first_name="Hal", last_name="Harbor")
    make.grant(session, official, org)
    asker = make.user(session, "asker.h", first_name="Ada", last_name="Asker")
    return dict(org=org, official=official, asker=asker)


def test_describe_names_the_user_and_counts_what_waits(session, world, make):
    roles.request_role(session, world["asker"], "H1", "Staff", "Needs access for visits")
    seen = identity.describe(session, world["official"])
    assert seen == identity.Identity("Hal Harbor", False, True, 1)
    assert identity.describe(session, world["asker"]) == identity.Identity("Ada Asker", False, False, 0)
    admin = make.user(session, "desk.h", first_name="Desk", last_name="Admin", is_admin=True)
    assert identity.describe(session, admin).is_admin


def test_resubmission_prefills_only_the_requesters_own_request(session, world, make):
    request = roles.request_role(session, world["asker"], "H1", "Staff", "Needs access for visits")
    assert roles.resubmission_of(session, world["asker"], request.id) == roles.Resubmission(
        "H1", "Staff", "Needs access for visits")
    stranger = make.user(session, "stranger.h")
    with pytest.raises(NotAllowed) as refused:
        roles.resubmission_of(session, stranger, request.id)
    assert "Needs access" not in str(refused.value)
    with pytest.raises(NotAllowed):
        roles.resubmission_of(session, world["asker"], request.id + 1000)


def test_organization_choices_are_labelled_by_name_and_id(session, world, make):
    make.org(session, "A0", "Aleutian Care")
    assert organizations.organization_choices(session) == [
        {"id": "A0", "label": "Aleutian Care (A0)"}, {"id": "H1", "label": "Harbor Home (H1)"}]


def test_start_enrolment_drops_stale_devices_with_an_audit_row(session, world, make):
    user = world["asker"]
    first = two_factor.start_enrolment(session, user)
    assert not first.needs_step_up
    second = two_factor.start_enrolment(session, user)
    devices = session.exec(select(TotpDevice.id).where(TotpDevice.user_id == user.id)).all()
    assert devices == [second.device_id] and first.secret != second.secret  # SQLite may reuse the id
    dropped = session.exec(select(AuditEvent).where(AuditEvent.action == "account.unconfirmed_devices_dropped")).one()
    assert dropped.subject_user_id == user.id and "count" in dropped.detail
    make.enrol(session, user)
    assert two_factor.start_enrolment(session, user).needs_step_up


def test_a_trusted_device_is_confirmed_and_audited(session, world):
    user = world["asker"]
    assert not has_confirmed_device(session, user.id)
    secret = two_factor.enrol_trusted_device(session, user, "Desk phone", reason="test")
    [device] = confirmed_devices(session, user.id)
    assert device.name == "Desk phone" and secret and has_confirmed_device(session, user.id)
    event = session.exec(select(AuditEvent).where(AuditEvent.action == "account.device_enrolled")).one()
    assert event.subject_user_id == user.id and event.actor_id is None


def test_decidable_rows_never_include_the_officials_own_request(session, world, make):
    other = make.org(session, "H2", "Second Home")
    make.grant(session, world["official"], other)
    mine = roles.request_role(session, world["official"], "H1", "Staff", "Also works shifts here")
    theirs = roles.request_role(session, world["asker"], "H2", "Staff", "Needs access for visits")
    rows = role_queries.decidable_rows(session, world["official"])
    assert [r["id"] for r in rows] == [str(theirs.id)] and str(mine.id) not in {r["id"] for r in rows}
    assert role_queries.decidable_rows(session, world["asker"]) == []


def test_users_by_ids_and_current(session, world):
    ids = [world["asker"].id, world["official"].id, 999999]
    assert {u.id for u in identity.users_by_ids(session, ids)} == set(ids[:2])
    assert identity.users_by_ids(session, []) == []
    assert identity.current(session, world["asker"]).user_id == "asker.h"


def test_require_admin_refuses_everyone_else(session, world, make):
    with pytest.raises(NotAllowed):
        require_admin(session, world["official"])
    admin = make.user(session, "desk.admin", is_admin=True)
    assert require_admin(session, admin).id == admin.id


def test_direct_grant_is_for_administrators_and_operators_only(session, world, make):
    with pytest.raises(NotAllowed):
        grants.grant_role(session, world["asker"], "H1", "Staff", actor=world["official"], reason="forged")
    admin = make.user(session, "desk.grant", is_admin=True)
    grant = grants.grant_role(session, world["asker"], "H1", "Staff", actor=admin, reason="help-desk ticket 12")
    assert grant.granted_by_id == admin.id
    event = session.exec(select(AuditEvent).where(AuditEvent.action == "role.granted",
                                                  AuditEvent.subject_user_id == world["asker"].id)).one()
    assert event.actor_id == admin.id and "ticket 12" in event.detail


def test_create_account_refuses_a_taken_user_id(session, world):
    from harmony_portal.services.errors import Invalid

    with pytest.raises(Invalid) as refused:
        signup.create_account(session, user_id="asker.h", email="new@example.org", first_name="A",
                                last_name="B", password_hash="x", reason="test")
    assert "user_id" in refused.value.errors
