"""Having trouble logging in? A single-use emailed link, then challenge answer and code."""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlmodel import Session, select

from harmony_portal.models import PasswordReset, User, utc_now
from harmony_portal.services import audit
from harmony_portal.services.accounts import find_user_by_email
from harmony_portal.services.authentication import check_security_code, use_recovery_code
from harmony_portal.services.errors import Invalid
from harmony_portal.services.notify import queue_email
from harmony_portal.services.passwords import password_problem
from harmony_portal.services.security import (
    hash_password,
    new_token,
    normalise_answer,
    token_digest,
    verify_password,
)
from harmony_portal.services.sessions import end_other_sessions

RESET_LIFETIME = timedelta(minutes=30)
SENT_MESSAGE = ("If that Email Address belongs to an account, a reset link is on its way. "
                "It works once, for 30 minutes.")
EXPIRED = "This reset link is not valid: it has expired or was already used. Ask for a new one."


def request_reset(session: Session, email: str, *, base_url: str, ip: str = "",
                  now: datetime | None = None) -> str:
    """Email a reset link if the address is known. The answer is the same either way."""
    now = now or utc_now()
    user = find_user_by_email(session, email) if email.strip() else None
    if user is None:
        audit.record(session, "account.reset_requested", ip=ip, now=now, known=False)
        return SENT_MESSAGE
    token = new_token()
    session.add(PasswordReset(user_id=user.id, token_hash=token_digest(token), created_at=now,
                              expires_at=now + RESET_LIFETIME))
    queue_email(
        session, user.email, "Reset your Harmony Portal password",
        f"Hello {user.first_name},\n\nSomeone asked to reset the password of User ID {user.user_id}.\n"
        f"To choose a new password, open this link within 30 minutes:\n\n"
        f"{base_url.rstrip('/')}/forgot?token={token}\n\n"
        "If this was not you, ignore this email; your password stays as it is.\n",
    )
    audit.record(session, "account.reset_requested", subject_user_id=user.id, ip=ip, now=now, known=True)
    return SENT_MESSAGE


def _live_reset(session: Session, token: str, now: datetime) -> PasswordReset:
    reset = session.exec(select(PasswordReset).where(PasswordReset.token_hash == token_digest(token))).first()
    if reset is None or reset.used_at is not None or reset.expires_at <= now:
        raise Invalid("token", EXPIRED)
    return reset


def reset_user(session: Session, token: str, *, now: datetime | None = None) -> User:
    """Whose link this is (to show their challenge question), or Invalid."""
    reset = _live_reset(session, token, now or utc_now())
    return session.get(User, reset.user_id)


def complete_reset(session: Session, token: str, *, answer: str, code: str, new_password: str,
                   confirm_password: str, ip: str = "", now: datetime | None = None) -> User:
    """Set a new password: the link, the challenge answer and a second factor all needed."""
    now = now or utc_now()
    reset = _live_reset(session, token, now)
    user = session.get(User, reset.user_id)
    if not verify_password(user.challenge_answer_hash, normalise_answer(answer)):
        audit.record(session, "account.reset_failed", subject_user_id=user.id, ip=ip, now=now,
                     reason="challenge answer")
        raise Invalid("challenge_answer", "The Challenge Answer is not correct.").keeping_changes()
    if problem := password_problem(new_password, user_id=user.user_id, email=user.email):
        raise Invalid("new_password", problem)
    if new_password != confirm_password:
        raise Invalid("confirm_new_password", "Confirm New Password does not match New Password.")
    if "-" in code or len(code.strip()) > 8:
        use_recovery_code(session, user.id, code, ip=ip, now=now)
    else:
        check_security_code(session, user.id, code, ip=ip, now=now)
    reset.used_at = now
    session.add(reset)
    user.password_hash = hash_password(new_password)
    user.password_changed_at = now
    session.add(user)
    end_other_sessions(session, user.id, now=now)
    audit.record(session, "account.reset_completed", actor_id=user.id, subject_user_id=user.id, ip=ip, now=now)
    return user
