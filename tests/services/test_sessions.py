"""Sessions: hashed tokens, 15-minute idle logoff, 12-hour limit."""

from sqlmodel import select

from harmony_portal.models import AuditEvent, UserSession
from harmony_portal.services.sessions import end_session, resolve_session, start_session


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
