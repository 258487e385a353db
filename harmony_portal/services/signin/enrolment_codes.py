"""One-time enrolment codes: after the help desk resets someone's two-factor sign-in,
their password alone must not be enough to enrol a new authenticator.

The help desk reads the code to the account's owner (over the phone, say) and the owner
types it after their password. Only a keyed hash is stored. A code works once, for 72
hours; a new reset makes any unused earlier code stop working. Using a code opens one
session, and only that session may enrol the account's first device: a stolen password
opens no other that can.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlmodel import Session, col, select, update

from harmony_portal.models import EnrolmentCode, User
from harmony_portal.services.audit import trail as audit
from harmony_portal.services.security import keyed_name, keyed_names
from harmony_portal.services.signin.devices import has_confirmed_device

CODE_LIFETIME = timedelta(hours=72)
# No 0/O or 1/I: the code is read aloud and typed by someone else.
_ALPHABET = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789"
_LENGTH = 12  # 60 bits: with the lockout after five wrong codes, out of reach of guessing


@dataclass(frozen=True)
class IssuedCode:
    """A code just issued: shown once to the administrator, never stored in the clear."""

    code: str
    expires_at: datetime


def new_code() -> str:
    """A random code, grouped for reading aloud: ``ABCD-EFGH-JKLM``."""
    raw = "".join(secrets.choice(_ALPHABET) for _ in range(_LENGTH))
    return "-".join(raw[i:i + 4] for i in range(0, _LENGTH, 4))


def _normalised(code: str) -> str:
    return "".join(ch for ch in code.upper() if ch.isalnum())


def code_digest(code: str) -> str:
    """What the database keeps: a keyed hash of the code without case, spaces or dashes."""
    return keyed_name("enrolment-code", _normalised(code))


def code_digests(code: str) -> list[str]:
    """The digest under every configured key: a code issued just before a key rotation still works."""
    return keyed_names("enrolment-code", _normalised(code))


def issue_code(session: Session, user: User, *, actor: User, now: datetime) -> IssuedCode:
    """A new code for ``user``; earlier unused ones stop working. The caller has authorized ``actor``."""
    session.execute(update(EnrolmentCode).where(EnrolmentCode.user_id == user.id,
                                                col(EnrolmentCode.used_at).is_(None),
                                                EnrolmentCode.expires_at > now)
                    .values(expires_at=now))
    code = new_code()
    expires_at = now + CODE_LIFETIME
    session.add(EnrolmentCode(user_id=user.id, code_hash=code_digest(code), issued_by_id=actor.id,
                              created_at=now, expires_at=expires_at))
    audit.record(session, "two_factor.enrolment_code_issued", actor_id=actor.id, subject_user_id=user.id,
                 now=now, expires=expires_at.isoformat())
    return IssuedCode(code, expires_at)


def _latest(session: Session, user_id: int) -> EnrolmentCode | None:
    return session.exec(select(EnrolmentCode).where(EnrolmentCode.user_id == user_id)
                        .order_by(col(EnrolmentCode.id).desc()).limit(1)).first()


def required(session: Session, user_id: int) -> bool:
    """True while the account has no working authenticator and the help desk issued it a code.

    An account that never had a device (a new sign-up) enrols with its password, as before.
    """
    return not has_confirmed_device(session, user_id) and _latest(session, user_id) is not None


def session_may_enrol(session: Session, user_id: int, session_id: int) -> bool:
    """Whether this session (opened without a second factor) may enrol the account's first device.

    Any session may when no code was ever issued; otherwise only the one the latest code opened.
    """
    latest = _latest(session, user_id)
    return latest is None or latest.session_id == session_id


def claim(session: Session, user_id: int, code: str, now: datetime) -> EnrolmentCode | None:
    """The user's latest code, if ``code`` is it and it is unused and unexpired, now marked used; else None."""
    latest = _latest(session, user_id)
    if latest is None or latest.used_at is not None or latest.expires_at <= now:
        return None
    if not any(secrets.compare_digest(latest.code_hash, digest) for digest in code_digests(code)):
        return None
    # Single use even when two requests race with the same code: only one UPDATE matches.
    won = session.execute(update(EnrolmentCode).where(EnrolmentCode.id == latest.id,
                                                      col(EnrolmentCode.used_at).is_(None))
                          .values(used_at=now).execution_options(synchronize_session=False))
    if won.rowcount != 1:
        return None
    session.refresh(latest)
    return latest


def bind_session(session: Session, record: EnrolmentCode, session_id: int) -> None:
    """Remember which session the code opened: the one allowed to enrol."""
    record.session_id = session_id
    session.add(record)
