"""The one-time enrolment code of a two-factor reset: issued once, stored as a hash, single use,
expiring, counted towards the lockout, and the only way to a session that may enrol."""

from datetime import timedelta

import pytest
from sqlmodel import select

from harmony_portal.models import AuditEvent, EnrolmentCode, TotpDevice, User, UserSession
from harmony_portal.services.errors import Invalid, Locked, NotAllowed
from harmony_portal.services.security import current_totp, token_digest
from harmony_portal.services.signin import account_control, enrolment_codes, sessions, two_factor
from harmony_portal.services.signin import authentication as auth


def _actions(session):
    return [e.action for e in session.exec(select(AuditEvent).order_by(AuditEvent.id))]


@pytest.fixture
def reset_user(session, clock, make):
    """An administrator, and a user whose two-factor sign-in they just reset: (admin, user, issued code)."""
    admin, user = make.user(session, "desk.admin", is_admin=True), make.user(session, "reset.rita")
    make.enrol(session, user)
    issued = account_control.reset_two_factor(session, admin, user.id, now=clock.now())
    return admin, user, issued


def _session_of(session, handoff: str, now) -> UserSession:
    token = sessions.redeem_handoff(session, handoff, now=now)
    return sessions.resolve_session(session, token, now=now).record


def test_a_reset_issues_a_readable_code_once_and_stores_only_a_keyed_hash(session, clock, reset_user):
    _admin, user, issued = reset_user
    assert len(issued.code) == 14 and issued.code.count("-") == 2
    assert issued.expires_at == clock.now() + timedelta(hours=72)
    [stored] = session.exec(select(EnrolmentCode).where(EnrolmentCode.user_id == user.id)).all()
    assert stored.code_hash == enrolment_codes.code_digest(issued.code) != token_digest(issued.code)
    assert issued.code not in stored.code_hash and stored.used_at is None
    blob = " ".join(f"{e.target} {e.detail}" for e in session.exec(select(AuditEvent)))
    assert issued.code not in blob and issued.code.replace("-", "") not in blob
    assert _actions(session)[-2:] == ["account.two_factor_reset", "two_factor.enrolment_code_issued"]
    assert enrolment_codes.required(session, user.id)


def test_the_code_opens_a_session_that_may_enrol_once(session, clock, make, reset_user):
    _admin, user, issued = reset_user
    handoff = auth.redeem_enrolment_code(session, user.id, issued.code.lower().replace("-", " "),
                                         now=clock.now())
    record = _session_of(session, handoff, clock.now())
    assert record.second_factor_at is None  # a session for enrolling, nothing else
    assert enrolment_codes.session_may_enrol(session, user.id, record.id)
    assert _actions(session)[-1] == "two_factor.enrolment_code_used"
    with pytest.raises(Invalid) as again:
        auth.redeem_enrolment_code(session, user.id, issued.code, now=clock.now())
    assert str(again.value) == auth.BAD_ENROLMENT_CODE

    enrolment = two_factor.start_enrolment(session, user, now=clock.now())
    codes = two_factor.confirm_device(session, user, enrolment.device_id, current_totp(enrolment.secret, clock.now()),
                                      now=clock.now())
    assert len(codes) == 10 and not enrolment_codes.required(session, user.id)


def test_the_code_expires_after_72_hours(session, clock, reset_user):
    _admin, user, issued = reset_user
    with pytest.raises(Invalid):
        auth.redeem_enrolment_code(session, user.id, issued.code, now=clock.now() + timedelta(hours=72))
    assert auth.redeem_enrolment_code(session, user.id, issued.code,
                                      now=clock.now() + timedelta(hours=71, minutes=59))


def test_a_new_reset_replaces_the_unused_code(session, clock, reset_user):
    admin, user, first = reset_user
    second = account_control.reset_two_factor(session, admin, user.id, now=clock.advance(minutes=5))
    with pytest.raises(Invalid):
        auth.redeem_enrolment_code(session, user.id, first.code, now=clock.now())
    assert auth.redeem_enrolment_code(session, user.id, second.code, now=clock.now())


def test_wrong_codes_count_towards_the_lockout(session, clock, reset_user, make):
    _admin, user, issued = reset_user
    for attempt in range(5):
        with pytest.raises(Locked if attempt == 4 else Invalid):
            auth.redeem_enrolment_code(session, user.id, "AAAA-BBBB-CCCC", ip="203.0.113.9", now=clock.now())
    assert session.get(User, user.id).locked_until == clock.now() + auth.LOCK_DURATION
    assert _actions(session).count("auth.enrolment_code_failed") == 5 and "account.locked" in _actions(session)
    with pytest.raises(Locked):  # locked: even the right code waits
        auth.redeem_enrolment_code(session, user.id, issued.code, now=clock.now())
    with pytest.raises(Locked):  # and the password step says so, as there is no device to ask about
        auth.check_password(session, user.user_id, make.PASSWORD, now=clock.now())
    assert auth.redeem_enrolment_code(session, user.id, issued.code, now=clock.advance(minutes=16))


def test_a_password_alone_opens_no_session_that_may_enrol(session, clock, make, reset_user):
    _admin, user, _issued = reset_user
    assert auth.check_password(session, user.user_id, make.PASSWORD, now=clock.now()).id == user.id
    # Whatever opens a session without the code (a tool, a forged path), it may not enrol.
    handoff = sessions.sign_in(session, user, second_factor=False, now=clock.now())
    record = _session_of(session, handoff, clock.now())
    assert not enrolment_codes.session_may_enrol(session, user.id, record.id)


def test_an_account_that_never_had_a_code_enrols_with_its_password(session, clock, make):
    newcomer = make.user(session)
    record = _session_of(session, sessions.sign_in(session, newcomer, second_factor=False, now=clock.now()),
                         clock.now())
    assert not enrolment_codes.required(session, newcomer.id)
    assert enrolment_codes.session_may_enrol(session, newcomer.id, record.id)


def test_only_accounts_waiting_for_a_code_can_redeem_one(session, clock, make):
    user = make.user(session)
    make.enrol(session, user)
    with pytest.raises(NotAllowed):
        auth.redeem_enrolment_code(session, user.id, "AAAA-BBBB-CCCC", now=clock.now())
    with pytest.raises(NotAllowed):
        auth.redeem_enrolment_code(session, 999_999, "AAAA-BBBB-CCCC", now=clock.now())


def test_only_administrators_reset_and_issue_codes(session, clock, make):
    user, other = make.user(session), make.user(session)
    make.enrol(session, other)
    with pytest.raises(NotAllowed):
        account_control.reset_two_factor(session, user, other.id, now=clock.now())
    assert session.exec(select(EnrolmentCode)).all() == []
    assert session.exec(select(TotpDevice).where(TotpDevice.user_id == other.id)).all() != []
