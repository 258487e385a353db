"""Sessions: hashed tokens, 15-minute idle logoff, 12-hour limit."""

from sqlmodel import select

from harmony_portal.models import AuditEvent, SessionHandoff, UserSession
from harmony_portal.services.signin.sessions import (
    end_other_sessions,
    end_session,
    live_session_ids,
    record_second_factor,
    redeem_handoff,
    resolve_session,
    rotate_session,
    sign_in,
    start_session,
)


def test_only_the_token_hash_is_stored(session, clock, make):
    user = make.user(session)
    token = start_session(session, user, now=clock.now())
    stored = session.exec(select(UserSession)).one()
    assert token not in stored.token_hash and len(token) >= 40


def test_idle_for_fifteen_minutes_signs_out(session, clock, make):
    user = make.user(session)
    token = start_session(session, user, now=clock.now())
    assert resolve_session(session, token, now=clock.advance(minutes=14)).user.id == user.id
    active = resolve_session(session, token, now=clock.advance(minutes=13), touch=False)
    assert active is not None and 100 <= active.idle_seconds_left <= 120  # warning time
    assert resolve_session(session, token, now=clock.advance(minutes=3)) is None
    assert session.exec(select(AuditEvent.action)).all()[-1] == "session.expired"


def test_background_checks_do_not_count_as_activity(session, clock, make):
    user = make.user(session)
    token = start_session(session, user, now=clock.now())
    for _ in range(4):
        resolve_session(session, token, now=clock.advance(minutes=4), touch=False)
    assert resolve_session(session, token, now=clock.now()) is None


def test_twelve_hours_is_the_absolute_limit(session, clock, make):
    user = make.user(session)
    token = start_session(session, user, now=clock.now())
    for _ in range(71):  # active every 10 minutes for 11h50m
        assert resolve_session(session, token, now=clock.advance(minutes=10)) is not None
    assert resolve_session(session, token, now=clock.advance(minutes=10)) is None


def test_logout_ends_the_session(session, clock, make):
    user = make.user(session)
    token = start_session(session, user, now=clock.now())
    end_session(session, token, now=clock.now())
    assert resolve_session(session, token, now=clock.now()) is None


def test_a_handoff_code_works_once_within_a_minute_and_rotates_the_token(session, clock, make):
    user = make.user(session)
    code = sign_in(session, user, second_factor=True, now=clock.now())
    token = redeem_handoff(session, code, now=clock.advance(seconds=5))
    assert token and resolve_session(session, token, now=clock.now()).second_factor
    assert redeem_handoff(session, code, now=clock.now()) is None  # single use
    late = sign_in(session, user, second_factor=True, now=clock.now())
    assert redeem_handoff(session, late, now=clock.advance(seconds=61)) is None  # expired
    assert redeem_handoff(session, "guess", now=clock.now()) is None
    assert code not in {h.code_hash for h in session.exec(select(SessionHandoff))}  # stored hashed


def test_a_handoff_for_an_ended_session_gives_nothing(session, clock, make):
    user = make.user(session)
    code = sign_in(session, user, second_factor=True, now=clock.now())
    end_other_sessions(session, user.id, now=clock.now())
    assert redeem_handoff(session, code, now=clock.now()) is None


def test_a_password_only_session_is_not_promoted_by_anything_but_its_own_proof(session, clock, make):
    user = make.user(session)
    token = start_session(session, user, second_factor=False, now=clock.now())
    make.enrol(session, user)  # the account gets an authenticator elsewhere
    active = resolve_session(session, token, now=clock.now())
    assert not active.second_factor
    record_second_factor(session, active.record, now=clock.now())
    assert resolve_session(session, token, now=clock.now()).second_factor


def test_rotating_retires_the_old_token_at_once(session, clock, make):
    user = make.user(session)
    old = start_session(session, user, second_factor=True, now=clock.now())
    code = rotate_session(session, resolve_session(session, old, now=clock.now()).record, now=clock.now())
    assert resolve_session(session, old, now=clock.now()) is None
    new = redeem_handoff(session, code, now=clock.now())
    assert new != old and resolve_session(session, new, now=clock.now()).second_factor


def test_live_sessions_are_open_and_past_the_second_factor(session, clock, make):
    user = make.user(session)
    full = start_session(session, user, second_factor=True, now=clock.now())
    start_session(session, user, second_factor=False, now=clock.now())
    ended = start_session(session, user, second_factor=True, now=clock.now())
    end_session(session, ended, now=clock.now())
    live = live_session_ids(session, [user.id], now=clock.now())
    assert live == {user.id: [resolve_session(session, full, now=clock.now()).record.id]}
