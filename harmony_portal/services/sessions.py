"""Server-side sessions: idle logoff after 15 minutes, 12 hours at most."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlmodel import Session, select

from harmony_portal.models import User, UserSession, utc_now
from harmony_portal.services import audit
from harmony_portal.services.security import new_token, token_digest

IDLE_TIMEOUT = timedelta(minutes=15)
IDLE_WARNING = timedelta(minutes=2)
ABSOLUTE_LIMIT = timedelta(hours=12)
# Activity closer together than this does not rewrite last_seen_at (fewer writes).
_TOUCH_GRANULARITY = timedelta(seconds=15)


@dataclass(frozen=True)
class ActiveSession:
    """Who is signed in, and how long before idle logoff."""

    user: User
    record: UserSession
    idle_seconds_left: int


def start_session(session: Session, user: User, *, ip: str = "", now: datetime | None = None) -> str:
    """Open a session for ``user``; returns the token for the browser (never stored)."""
    now = now or utc_now()
    token = new_token()
    session.add(UserSession(user_id=user.id, token_hash=token_digest(token), created_at=now,
                            last_seen_at=now, ip=ip[:64]))  # the column's length
    return token


def _expiry_reason(record: UserSession, now: datetime) -> str | None:
    if now - record.created_at >= ABSOLUTE_LIMIT:
        return "absolute"
    if now - record.last_seen_at >= IDLE_TIMEOUT:
        return "idle"
    return None


def resolve_session(
    session: Session, token: str, *, now: datetime | None = None, touch: bool = True
) -> ActiveSession | None:
    """The live session behind ``token``, or None (an expired one is ended and audited).

    ``touch`` counts this as user activity; a background check passes False.
    """
    if not token:
        return None
    now = now or utc_now()
    record = session.exec(select(UserSession).where(UserSession.token_hash == token_digest(token))).first()
    if record is None or record.ended_at is not None:
        return None
    user = session.get(User, record.user_id)
    reason = _expiry_reason(record, now)
    if reason or user is None or not user.is_active:
        record.ended_at = now
        session.add(record)
        audit.record(session, "session.expired", actor_id=record.user_id, subject_user_id=record.user_id,
                     now=now, reason=reason or "account inactive")
        return None
    if touch and now - record.last_seen_at >= _TOUCH_GRANULARITY:
        record.last_seen_at = now
        session.add(record)
    left = IDLE_TIMEOUT - (now - record.last_seen_at)
    absolute_left = ABSOLUTE_LIMIT - (now - record.created_at)
    return ActiveSession(user, record, int(min(left, absolute_left).total_seconds()))


def end_session(session: Session, token: str, *, now: datetime | None = None) -> None:
    """Sign out the browser holding ``token``."""
    now = now or utc_now()
    record = session.exec(select(UserSession).where(UserSession.token_hash == token_digest(token))).first()
    if record is None or record.ended_at is not None:
        return
    record.ended_at = now
    session.add(record)
    audit.record(session, "auth.logout", actor_id=record.user_id, subject_user_id=record.user_id, now=now)


def end_other_sessions(session: Session, user_id: int, *, keep_id: int | None = None,
                       now: datetime | None = None) -> int:
    """Sign out every session of ``user_id`` but ``keep_id``; returns how many ended."""
    now = now or utc_now()
    ended = 0
    for record in session.exec(
        select(UserSession).where(UserSession.user_id == user_id, UserSession.ended_at.is_(None))
    ):
        if record.id != keep_id:
            record.ended_at = now
            session.add(record)
            ended += 1
    return ended
