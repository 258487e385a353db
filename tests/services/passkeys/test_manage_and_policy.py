"""Removing passkeys, the help desk's reset, and the policy that requires a passkey of those who grant access."""

import json

import pytest
from sqlmodel import select

from harmony_portal.models import AuditEvent, OutboxEmail, Passkey, PortalPolicy
from harmony_portal.services.errors import Invalid, NotAllowed
from harmony_portal.services.guards import require_admin
from harmony_portal.services.passkeys import manage, policy, requirement
from harmony_portal.services.roles import decisions, queries
from harmony_portal.services.signin import account_control, two_factor
from tests.factories import PASSWORD


def _audit(session, action) -> list[dict]:
    rows = session.exec(select(AuditEvent).where(AuditEvent.action == action).order_by(AuditEvent.id)).all()
    return [json.loads(row.detail) for row in rows]


def test_removing_needs_the_step_up_and_never_takes_the_last_second_factor(session, clock, make, passkeys):
    user = make.user(session)
    _, row = passkeys.add(user, name="Only one")
    with pytest.raises(Invalid, match="last way to confirm"):
        manage.remove_passkey(session, user, row.id, step_up=PASSWORD, now=clock.now())
    make.enrol(session, user, now=clock.now())
    with pytest.raises(Invalid):
        manage.remove_passkey(session, user, row.id, step_up="", now=clock.now())
    manage.remove_passkey(session, user, row.id, step_up=PASSWORD, now=clock.now())
    assert session.get(Passkey, row.id) is None
    removed = _audit(session, "account.passkey_removed")[-1]
    assert removed["name"] == "Only one" and removed["step_up"] == "password"
    mail = session.exec(select(OutboxEmail).where(OutboxEmail.to_address == user.email)).all()[-1]
    assert "A passkey was removed: Only one" in mail.body


def test_an_authenticator_app_can_go_when_a_passkey_stays(session, clock, make, passkeys):
    user = make.user(session)
    make.enrol(session, user, now=clock.now())
    device = two_factor.list_devices(session, user)[0]
    with pytest.raises(Invalid, match="only device"):
        two_factor.remove_device(session, user, device.id, step_up=PASSWORD, now=clock.now())
    passkeys.add(user)
    two_factor.remove_device(session, user, device.id, step_up=PASSWORD, now=clock.now())
    assert two_factor.list_devices(session, user) == []


def test_nobody_touches_another_persons_passkey(session, clock, make, passkeys):
    alice, mallory = make.user(session), make.user(session)
    _, row = passkeys.add(alice)
    make.enrol(session, alice, now=clock.now())
    with pytest.raises(NotAllowed):
        manage.remove_passkey(session, mallory, row.id, step_up=PASSWORD, now=clock.now())
    with pytest.raises(NotAllowed):
        manage.set_passwordless(session, mallory, row.id, True, now=clock.now())
    assert session.get(Passkey, row.id).passwordless is False


def test_the_help_desk_reset_removes_every_passkey_naming_each(session, clock, make, passkeys):
    admin = make.user(session, is_admin=True)
    user = make.user(session)
    passkeys.add(user, name="Phone")
    passkeys.add(user, name="Laptop")
    account_control.reset_two_factor(session, admin, user.id, now=clock.now())
    assert session.exec(select(Passkey).where(Passkey.user_id == user.id)).all() == []
    assert {r["name"] for r in _audit(session, "account.passkey_removed")} == {"Phone", "Laptop"}
    assert _audit(session, "account.two_factor_reset")[-1]["passkeys_removed"] == 2


def _policy_on(session, clock, make, passkeys):
    admin = make.user(session, is_admin=True)
    passkeys.add(admin)
    requirement.set_requirement(session, admin, True, now=clock.now())
    return admin


def test_turning_the_requirement_on_is_audited_and_needs_an_administrator_with_a_passkey(session, clock, make,
                                                                                       passkeys):
    admin, other = make.user(session, is_admin=True), make.user(session)
    with pytest.raises(NotAllowed):
        requirement.set_requirement(session, other, True, now=clock.now())
    with pytest.raises(Invalid, match="passkey of your own"):
        requirement.set_requirement(session, admin, True, now=clock.now())
    passkeys.add(admin)
    requirement.set_requirement(session, admin, True, now=clock.now())
    assert session.get(PortalPolicy, 1).require_passkey_for_grantors is True
    assert _audit(session, "policy.passkey_requirement_changed")[-1]["required"] is True


def test_the_count_of_grantors_without_a_passkey(session, clock, make, passkeys):
    admin = make.user(session, is_admin=True)
    org = make.org(session)
    official, staff = make.user(session), make.user(session)
    make.grant(session, official, org)
    make.grant(session, staff, org, role="Staff")
    assert policy.grantors_without_passkey(session) == 2  # the administrator and the official
    passkeys.add(admin)
    assert policy.grantors_without_passkey(session) == 1


def test_a_held_official_or_administrator_is_refused_by_the_services(session, clock, make, passkeys):
    _policy_on(session, clock, make, passkeys)
    org = make.org(session)
    official, requester, other_admin = make.user(session), make.user(session), make.user(session, is_admin=True)
    make.grant(session, official, org)
    request = make.request(session, requester, org)
    assert policy.is_held(session, official) and policy.is_held(session, other_admin)
    assert not policy.is_held(session, requester)  # staff are not asked
    with pytest.raises(NotAllowed, match="requires a passkey"):
        decisions.approve_requests(session, official, [request.id], now=clock.now())
    with pytest.raises(NotAllowed, match="requires a passkey"):
        queries.decidable_rows(session, official)
    with pytest.raises(NotAllowed, match="requires a passkey"):
        require_admin(session, other_admin)
    passkeys.add(official)
    assert queries.decidable_rows(session, official)


def test_the_last_passkey_of_someone_the_policy_holds_stays(session, clock, make, passkeys):
    admin = _policy_on(session, clock, make, passkeys)
    make.enrol(session, admin, now=clock.now())
    only = session.exec(select(Passkey).where(Passkey.user_id == admin.id)).one()
    with pytest.raises(Invalid, match="requires a passkey"):
        manage.remove_passkey(session, admin, only.id, step_up=PASSWORD, now=clock.now())
