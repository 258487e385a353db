"""Sign-in: password, TOTP with replay protection, recovery codes, lockout, help-desk tools."""

from datetime import timedelta

import pytest
from sqlmodel import select

from harmony_portal.db import session_scope
from harmony_portal.models import AuditEvent, OutboxEmail, RecoveryCode, TotpDevice, User
from harmony_portal.services.errors import Invalid, Locked, NotAllowed
from harmony_portal.services.security import current_totp
from harmony_portal.services.signin import account_control, two_factor
from harmony_portal.services.signin import authentication as auth


def _actions(session):
    return [e.action for e in session.exec(select(AuditEvent).order_by(AuditEvent.id))]


def test_password_then_code_signs_in(session, clock, make):
    user = make.user(session, "Pat.Lee")
    secret = make.enrol(session, user)
    assert auth.check_password(session, "pat.lee", make.PASSWORD, now=clock.now()).id == user.id
    auth.check_security_code(session, user.id, current_totp(secret, clock.now()), now=clock.now())
    assert _actions(session)[-1] == "auth.signed_in"


def test_unknown_user_and_wrong_password_get_the_same_message(session, clock, make):
    make.user(session, "known")
    with pytest.raises(Invalid) as unknown:
        auth.check_password(session, "nobody", make.PASSWORD, now=clock.now())
    with pytest.raises(Invalid) as wrong:
        auth.check_password(session, "known", "wrong password!", now=clock.now())
    assert str(unknown.value) == str(wrong.value) == auth.BAD_CREDENTIALS


def test_code_is_accepted_one_step_either_way_but_not_two(session, clock, make):
    user = make.user(session)
    secret = make.enrol(session, user)
    early = current_totp(secret, clock.now() - timedelta(seconds=30))
    auth.check_security_code(session, user.id, early, now=clock.now())
    with pytest.raises(Invalid):
        auth.check_security_code(session, user.id, current_totp(secret, clock.now() - timedelta(seconds=60)),
                                 now=clock.now())


def test_a_code_once_accepted_cannot_be_replayed(session, clock, make):
    user = make.user(session)
    secret = make.enrol(session, user)
    code = current_totp(secret, clock.now())
    auth.check_security_code(session, user.id, code, now=clock.now())
    with pytest.raises(Invalid) as replay:
        auth.check_security_code(session, user.id, code, now=clock.now() + timedelta(seconds=5))
    assert "already been used" in str(replay.value)


def test_five_wrong_passwords_lock_for_fifteen_minutes(session, clock, make):
    user = make.user(session, "locky")
    for _ in range(4):
        with pytest.raises(Invalid):
            auth.check_password(session, "locky", "wrong password", now=clock.now())
    # The fifth gets the same answer as the others: the password step never says "locked".
    with pytest.raises(Invalid) as fifth:
        auth.check_password(session, "locky", "wrong password", now=clock.now())
    assert str(fifth.value) == auth.BAD_CREDENTIALS and not isinstance(fifth.value, Locked)
    # The right password is refused while locked (no second factor yet: the lock is explained)...
    with pytest.raises(Locked) as locked:
        auth.check_password(session, "locky", make.PASSWORD, now=clock.advance(minutes=14))
    assert "locked until" in str(locked.value) and "Help Desk" in str(locked.value)
    # ...and the lock expires by itself.
    assert auth.check_password(session, "locky", make.PASSWORD, now=clock.advance(minutes=2)).id == user.id
    actions = _actions(session)
    assert actions.count("auth.password_failed") == 5 and actions.count("account.locked") == 1


def test_failures_older_than_the_window_do_not_count(session, clock, make):
    make.user(session, "slow")
    for _ in range(4):
        with pytest.raises(Invalid):
            auth.check_password(session, "slow", "wrong password", now=clock.now())
    clock.advance(minutes=16)
    with pytest.raises(Invalid) as caught:
        auth.check_password(session, "slow", "wrong password", now=clock.now())
    assert not isinstance(caught.value, Locked)


def test_five_wrong_codes_lock_too(session, clock, make):
    user = make.user(session)
    make.enrol(session, user)
    for _ in range(4):
        with pytest.raises(Invalid):
            auth.check_security_code(session, user.id, "000000", now=clock.now())
    with pytest.raises(Locked):
        auth.check_security_code(session, user.id, "000000", now=clock.now())


def test_repeated_locking_is_flagged_for_the_help_desk(session, clock, make):
    make.user(session, "target")
    for _ in range(3):
        for _ in range(5):
            with pytest.raises((Invalid, Locked)):
                auth.check_password(session, "target", "attacker guess", now=clock.now())
        clock.advance(minutes=16)
    assert "account.repeatedly_locked" in _actions(session)


def test_failed_sign_in_is_recorded_even_though_it_is_refused(app_db, clock, make):
    with session_scope() as session:
        make.user(session, "kept")
    with pytest.raises(Invalid), session_scope() as session:
        auth.check_password(session, "kept", "wrong password", now=clock.now())
    with session_scope() as session:
        assert session.exec(select(User).where(User.user_id == "kept")).one().failed_password_count == 1
        assert "auth.password_failed" in _actions(session)


def test_recovery_code_works_once(session, clock, make):
    user = make.user(session)
    device, secret = two_factor.begin_device(session, user)
    codes = two_factor.confirm_device(session, user, device.id, current_totp(secret, clock.now()), now=clock.now())
    assert len(codes) == 10 and len(set(codes)) == 10
    stored = session.exec(select(RecoveryCode.code_hash)).all()
    assert not set(codes) & set(stored)
    auth.use_recovery_code(session, user.id, codes[3].upper(), now=clock.now())
    with pytest.raises(Invalid):
        auth.use_recovery_code(session, user.id, codes[3], now=clock.now())
    assert "auth.recovery_code_used" in _actions(session)


def test_totp_secret_is_stored_encrypted(session, make):
    user = make.user(session)
    secret = make.enrol(session, user)
    stored = session.exec(select(TotpDevice.secret)).one()
    assert secret not in stored


def test_last_device_cannot_be_removed_but_others_can(session, clock, make):
    user = make.user(session)
    make.enrol(session, user)
    first = session.exec(select(TotpDevice)).one()
    with pytest.raises(Invalid):
        two_factor.remove_device(session, user, first.id)
    device, secret = two_factor.begin_device(session, user, "Tablet")
    assert two_factor.confirm_device(session, user, device.id, current_totp(secret, clock.now()),
                                     step_up=make.PASSWORD, now=clock.now()) == []
    two_factor.rename_device(session, user, device.id, "Work tablet")
    two_factor.remove_device(session, user, first.id, step_up=make.PASSWORD, now=clock.now())
    assert [d.name for d in two_factor.list_devices(session, user)] == ["Work tablet"]


def test_someone_elses_device_is_out_of_reach(session, make):
    owner, other = make.user(session), make.user(session)
    make.enrol(session, owner)
    device = session.exec(select(TotpDevice)).one()
    for action in (lambda: two_factor.remove_device(session, other, device.id),
                   lambda: two_factor.rename_device(session, other, device.id, "mine now")):
        with pytest.raises(NotAllowed):
            action()


def test_help_desk_unlocks_and_resets_two_factor_others_cannot(session, clock, make):
    admin, user, nobody = make.user(session, is_admin=True), make.user(session, "stuck"), make.user(session)
    make.enrol(session, user)
    for _ in range(5):
        with pytest.raises((Invalid, Locked)):
            auth.check_password(session, "stuck", "wrong password", now=clock.now())
    with pytest.raises(NotAllowed):
        account_control.unlock_account(session, nobody, user.id)
    with pytest.raises(NotAllowed):
        account_control.reset_two_factor(session, nobody, user.id)
    account_control.unlock_account(session, admin, user.id, now=clock.now())
    assert auth.check_password(session, "stuck", make.PASSWORD, now=clock.now()).id == user.id
    account_control.reset_two_factor(session, admin, user.id, now=clock.now())
    assert auth.confirmed_devices(session, user.id) == []
    assert {"account.unlocked", "account.two_factor_reset"} <= set(_actions(session))


def test_no_secret_ever_reaches_the_audit_log(session, clock, make):
    user = make.user(session, "audited")
    secret = make.enrol(session, user)
    code = current_totp(secret, clock.now())
    with pytest.raises(Invalid):
        auth.check_password(session, "audited", "my secret guess", now=clock.now())
    auth.check_security_code(session, user.id, code, now=clock.now())
    blob = " ".join(f"{e.target} {e.detail}" for e in session.exec(select(AuditEvent)))
    for secret_text in ("my secret guess", make.PASSWORD, code, secret):
        assert secret_text not in blob


def test_locked_account_looks_like_a_wrong_password_until_the_second_factor(session, clock, make):
    user = make.user(session, "locked.out", email="owner@example.org")
    secret = make.enrol(session, user)
    for _ in range(5):
        with pytest.raises(Invalid):
            auth.check_password(session, "locked.out", "attacker guess", now=clock.now())
    assert session.get(User, user.id).locked_until is not None
    with pytest.raises(Invalid) as wrong:
        auth.check_password(session, "locked.out", "another guess", now=clock.now())
    assert str(wrong.value) == auth.BAD_CREDENTIALS and not isinstance(wrong.value, Locked)
    # The right password goes on to the second step, which explains the lock.
    assert auth.check_password(session, "locked.out", make.PASSWORD, now=clock.now()).id == user.id
    with pytest.raises(Locked):
        auth.check_security_code(session, user.id, current_totp(secret, clock.now()), now=clock.now())
    # Failures while locked do not stretch the lock.
    assert _actions(session).count("account.locked") == 1


def test_the_owner_is_told_by_email_when_the_account_locks(session, clock, make):
    make.user(session, "told", email="told@example.org")
    for _ in range(5):
        with pytest.raises(Invalid):
            auth.check_password(session, "told", "attacker guess", now=clock.now())
    emails = session.exec(select(OutboxEmail)).all()
    assert [(e.to_address, e.subject) for e in emails] == [
        ("told@example.org", "Your Harmony Portal account is locked")]
    assert "locked until" in emails[0].body


def test_an_unknown_user_id_is_not_kept_as_typed_in_the_audit_log(session, clock, make):
    typed = "Glacier-Bay-Kayak-Morning-typed-in-the-wrong-box"
    for _ in range(2):
        with pytest.raises(Invalid):
            auth.check_password(session, typed, "whatever", now=clock.now())
    rows = session.exec(select(AuditEvent).where(AuditEvent.action == "auth.password_failed")).all()
    assert all(typed[:6].lower() not in f"{e.target} {e.detail}".lower() for e in rows)
    # A short keyed digest: the same text typed twice still lines up.
    assert rows[0].target == rows[1].target and 8 <= len(rows[0].target) <= 24
