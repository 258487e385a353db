"""Server-side sessions: idle logoff after 15 minutes, 12 hours at most.

The browser holds the session token only in an HttpOnly cookie. A websocket
can't set one, so signing in ends with a single-use hand-off code that an HTTP
route (``harmony_portal.server.web``) trades for the cookie on a full page load. The
token is chosen at that moment: the one the session started with is never
revealed, so the hand-off also rotates it.

Ending a session (sign-out, idle expiry, password change, two-factor reset,
device removal, account disabled) is recorded in ``changes``; once the
transaction commits, every open tab of that session loses its live data.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlmodel import Session, col, select

from harmony_portal.models import SessionHandoff, User, UserSession, utc_now
from harmony_portal.services import changes
from harmony_portal.services.audit import trail as audit
from harmony_portal.services.security import new_token, token_digest

IDLE_TIMEOUT = timedelta(minutes=15)
IDLE_WARNING = timedelta(minutes=2)
ABSOLUTE_LIMIT = timedelta(hours=12)
HANDOFF_LIFETIME = timedelta(seconds=60)
# Activity closer together than this does not rewrite last_seen_at (fewer writes).
_TOUCH_GRANULARITY = timedelta(seconds=15)

@dataclass(frozen=True)
class ActiveSession:
    """Who is signed in, whether this browser passed the second factor, and time left."""

    user: User
    record: UserSession
    idle_seconds_left: int

    @property
    def second_factor(self) -> bool:
        return self.record.second_factor_at is not None


def _open(session: Session, user: User, ip: str, second_factor: bool, now: datetime) -> tuple[UserSession, str]:
    token = new_token()
    record = UserSession(user_id=user.id, token_hash=token_digest(token), created_at=now, last_seen_at=now,
                         ip=ip[:64], second_factor_at=now if second_factor else None)
    session.add(record)
    session.flush()
    return record, token


def start_session(session: Session, user: User, *, ip: str = "", second_factor: bool = False,
                  now: datetime | None = None) -> str:
    """Open a session and return its token directly (tools, tests and benchmarks).

    Browsers never get a token this way: they sign in through :func:`sign_in`.
    """
    return _open(session, user, ip, second_factor, now or utc_now())[1]


def _new_handoff(session: Session, record: UserSession, now: datetime) -> str:
    code = new_token()
    session.add(SessionHandoff(session_id=record.id, code_hash=token_digest(code),
                               expires_at=now + HANDOFF_LIFETIME))
    return code


def sign_in(session: Session, user: User, *, ip: str = "", second_factor: bool,
            now: datetime | None = None) -> str:
    """Open a session for ``user``; returns the single-use code the cookie route redeems.

    ``second_factor`` is False only for an account with no authenticator yet: that
    session may enrol one and nothing else.
    """
    now = now or utc_now()
    record, _unrevealed = _open(session, user, ip, second_factor, now)
    return _new_handoff(session, record, now)


def open_enrolment_session(session: Session, user: User, *, ip: str = "",
                           now: datetime | None = None) -> tuple[int, str]:
    """A session good only for enrolling a first authenticator: its id and hand-off code.

    The id lets an enrolment code name the one session it opened.
    """
    now = now or utc_now()
    record, _unrevealed = _open(session, user, ip, False, now)
    return record.id, _new_handoff(session, record, now)


def redeem_handoff(session: Session, code: str, *, now: datetime | None = None) -> str | None:
    """Trade a hand-off code for a fresh session token (once, within a minute), or None."""
    if not code:
        return None
    now = now or utc_now()
    handoff = session.exec(select(SessionHandoff).where(SessionHandoff.code_hash == token_digest(code))
                           .with_for_update()).first()
    if handoff is None or handoff.used_at is not None or handoff.expires_at <= now:
        return None
    handoff.used_at = now
    session.add(handoff)
    record = session.get(UserSession, handoff.session_id)
    if record is None or record.ended_at is not None or _expiry_reason(record, now):
        return None
    token = new_token()
    record.token_hash = token_digest(token)
    record.last_seen_at = now
    session.add(record)
    return token


def rotate_session(session: Session, record: UserSession, *, now: datetime | None = None) -> str:
    """Retire the current token at once (password change); returns a hand-off code for a new one."""
    now = now or utc_now()
    record = session.get(UserSession, record.id)
    record.token_hash = token_digest(new_token())  # nobody knows this one
    session.add(record)
    return _new_handoff(session, record, now)


def record_second_factor(session: Session, record: UserSession, *, now: datetime | None = None) -> None:
    """This browser just proved an authenticator (enrolled one with a valid code)."""
    record = session.get(UserSession, record.id)
    if record is not None and record.second_factor_at is None:
        record.second_factor_at = now or utc_now()
        session.add(record)


def _expiry_reason(record: UserSession, now: datetime) -> str | None:
    if now - record.created_at >= ABSOLUTE_LIMIT:
        return "absolute"
    if now - record.last_seen_at >= IDLE_TIMEOUT:
        return "idle"
    return None


def _find(session: Session, token: str) -> UserSession | None:
    if not token:
        return None
    return session.exec(select(UserSession).where(UserSession.token_hash == token_digest(token))).first()


def _announce_ended(session: Session, ids: Iterable[int]) -> None:
    if ids := list(ids):
        changes.sessions_ended(session, ids)


def resolve_session(
    session: Session, token: str, *, now: datetime | None = None, touch: bool = True
) -> ActiveSession | None:
    """The live session behind ``token``, or None (an expired one is ended and audited).

    ``touch`` counts this as user activity; a background check passes False.
    """
    record = _find(session, token)
    if record is None or record.ended_at is not None:
        return None
    now = now or utc_now()
    user = session.get(User, record.user_id)
    reason = _expiry_reason(record, now)
    if reason or user is None or not user.is_active:
        record.ended_at = now
        session.add(record)
        audit.record(session, "session.expired", actor_id=record.user_id, subject_user_id=record.user_id,
                     now=now, reason=reason or "account inactive")
        _announce_ended(session, [record.id])
        return None
    if touch and now - record.last_seen_at >= _TOUCH_GRANULARITY:
        record.last_seen_at = now
        session.add(record)
    left = IDLE_TIMEOUT - (now - record.last_seen_at)
    absolute_left = ABSOLUTE_LIMIT - (now - record.created_at)
    return ActiveSession(user, record, int(min(left, absolute_left).total_seconds()))


def why_gone(session: Session, token: str) -> str:
    """Why ``token`` names no live session, as the sign-in page says it: "idle" when it ended for
    15 minutes without activity, else "ended" (signed out elsewhere, revoked, the cookie gone)."""
    record = _find(session, token) if token else None
    if record is not None and record.ended_at is not None and record.ended_at - record.last_seen_at >= IDLE_TIMEOUT:
        return "idle"
    return "ended"


def end_session(session: Session, token: str, *, now: datetime | None = None) -> None:
    """Sign out the browser holding ``token``."""
    record = _find(session, token)
    if record is None or record.ended_at is not None:
        return
    now = now or utc_now()
    record.ended_at = now
    session.add(record)
    audit.record(session, "auth.logout", actor_id=record.user_id, subject_user_id=record.user_id, now=now)
    _announce_ended(session, [record.id])


def end_other_sessions(session: Session, user_id: int, *, keep_id: int | None = None,
                       now: datetime | None = None) -> int:
    """Sign out every session of ``user_id`` but ``keep_id``; returns how many ended."""
    now = now or utc_now()
    ended = []
    for record in session.exec(
        select(UserSession).where(UserSession.user_id == user_id, col(UserSession.ended_at).is_(None))
    ):
        if record.id != keep_id:
            record.ended_at = now
            session.add(record)
            ended.append(record.id)
    _announce_ended(session, ended)
    return len(ended)


def live_session_ids(session: Session, user_ids: Iterable[int], *, now: datetime | None = None) -> dict[int, list[int]]:
    """Each user's sessions that are open and passed the second factor: {user id: [session id]}."""
    now = now or utc_now()
    rows = session.exec(select(UserSession.user_id, UserSession.id).where(
        col(UserSession.user_id).in_(set(user_ids)), col(UserSession.ended_at).is_(None),
        col(UserSession.second_factor_at).is_not(None),
        UserSession.created_at > now - ABSOLUTE_LIMIT, UserSession.last_seen_at > now - IDLE_TIMEOUT))
    found: dict[int, list[int]] = {}
    for user_id, session_id in rows:
        found.setdefault(user_id, []).append(session_id)
    return found


def users_of_sessions(session: Session, session_ids: Iterable[int]) -> set[int]:
    """The users whose sessions these are (any state): whose feeds a worker re-reads for its tabs."""
    ids = set(session_ids)
    if not ids:
        return set()
    return set(session.exec(select(UserSession.user_id).where(col(UserSession.id).in_(ids))))
