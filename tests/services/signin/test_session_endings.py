"""Everything that should end sessions does: two-factor reset, device removal, account disabled."""

import pytest

from harmony_portal.services.errors import Invalid, NotAllowed
from harmony_portal.services.signin import account_control, authentication, two_factor
from harmony_portal.services.signin.sessions import resolve_session, start_session
from tests.factories import PASSWORD


def test_a_two_factor_reset_ends_every_session(session, make):
    admin, user = make.user(session, is_admin=True), make.user(session)
    make.enrol(session, user)
    tokens = [start_session(session, user, second_factor=True) for _ in range(2)]
    account_control.reset_two_factor(session, admin, user.id)
    assert all(resolve_session(session, t) is None for t in tokens)


def test_removing_a_device_ends_the_other_sessions_but_not_this_one(session, make):
    user = make.user(session)
    make.enrol(session, user)
    make.enrol(session, user)
    here, elsewhere = (start_session(session, user, second_factor=True) for _ in range(2))
    keep = resolve_session(session, here).record.id
    device = two_factor.list_devices(session, user)[-1]
    two_factor.remove_device(session, user, device.id, step_up=PASSWORD, keep_session_id=keep)
    assert resolve_session(session, here) is not None
    assert resolve_session(session, elsewhere) is None


def test_disabling_an_account_ends_its_sessions_and_keeps_it_out(session, make):
    admin, user = make.user(session, is_admin=True), make.user(session)
    token = start_session(session, user, second_factor=True)
    account_control.set_account_active(session, admin, user.id, False)
    assert resolve_session(session, token) is None
    with pytest.raises(Invalid):
        authentication.check_password(session, user.user_id, PASSWORD)
    account_control.set_account_active(session, admin, user.id, True)
    assert authentication.check_password(session, user.user_id, PASSWORD).id == user.id


def test_only_administrators_disable_accounts_and_never_their_own(session, make):
    admin, user, other = make.user(session, is_admin=True), make.user(session), make.user(session)
    with pytest.raises(NotAllowed):
        account_control.set_account_active(session, user, other.id, False)
    with pytest.raises(Invalid):
        account_control.set_account_active(session, admin, admin.id, False)
    assert other.is_active and admin.is_active
