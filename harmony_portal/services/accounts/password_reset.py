"""Having trouble logging in? A single-use emailed link, then challenge answer and code."""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlmodel import Session, col, select, update

from harmony_portal.models import PasswordReset, User, utc_now
from harmony_portal.services.accounts.find import find_user_by_email
from harmony_portal.services.accounts.passwords import password_problem
from harmony_portal.services.audit import trail as audit
from harmony_portal.services.errors import Invalid
from harmony_portal.services.notifications.email_preferences import SECURITY
from harmony_portal.services.notifications.notify import tell
from harmony_portal.services.security import (
    hash_password,
    new_token,
    normalise_answer,
    token_digest,
    verify_password,
)
from harmony_portal.services.signin import rate_limits
from harmony_portal.services.signin.authentication import (
    check_not_locked,
    check_security_code,
    register_failure,
    use_recovery_code,
)
from harmony_portal.services.signin.sessions import end_other_sessions

RESET_LIFETIME = timedelta(minutes=30)
SENT_MESSAGE = ("If that Email Address belongs to an account, a reset link is on its way. "
                "It works once, for 30 minutes.")
EXPIRED = "This reset link is not valid: it has expired or was already used. Ask for a new one."
# One message for a wrong answer and a wrong code: which one was wrong is not said.
WRONG_ANSWER_OR_CODE = "The Challenge Answer or the security code is not correct."


def request_reset(session: Session, email: str, *, base_url: str, ip: str = "",
                  now: datetime | None = None) -> str:
    """Queue a reset link if the address is known. The answer is the same either way.

    The email is only queued: sending it here would make a known address answer
    more slowly than an unknown one.
    """
    now = now or utc_now()
    rate_limits.check(session, "reset", ip=ip, account=email, now=now)
    user = find_user_by_email(session, email) if email.strip() else None
    if user is None:
        audit.record(session, "account.reset_requested", ip=ip, now=now, known=False)
        return SENT_MESSAGE
    token = new_token()
    session.add(PasswordReset(user_id=user.id, token_hash=token_digest(token), created_at=now,
                              expires_at=now + RESET_LIFETIME))
    tell(
        session, user, SECURITY, "Reset your Harmony Portal password",
        email=f"Hello {user.first_name},\n\nSomeone asked to reset the password of User ID {user.user_id}.\n"
        "To choose a new password, open this link within 30 minutes:\n\n"
        "{{reset_link}}\n\n"
        "If this was not you, ignore this email; your password stays as it is.\n",
        # The link is a key to the account: the outbox keeps it sealed, and only until it is sent.
        sealed={"reset_link": f"{base_url.rstrip('/')}/forgot?token={token}"},
        note="Someone asked to reset your password; the link was emailed to you. If this was not you, "
             "your password stays as it is.", now=now,
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


def _check_answer(session: Session, user: User, answer: str, ip: str, now: datetime) -> None:
    """A wrong challenge answer counts towards the lockout, like a wrong password."""
    if verify_password(user.challenge_answer_hash, normalise_answer(answer)):
        return
    register_failure(session, user, "challenge", now, ip)
    check_not_locked(user, now)
    raise Invalid("challenge_answer", WRONG_ANSWER_OR_CODE).keeping_changes()


def _check_second_factor(session: Session, user: User, code: str, ip: str, now: datetime) -> None:
    """A security or recovery code; a wrong one gets the same message as a wrong answer."""
    check = use_recovery_code if "-" in code or len(code.strip()) > 8 else check_security_code
    try:
        check(session, user.id, code, ip=ip, now=now)
    except Invalid as wrong:
        raise Invalid("challenge_answer", WRONG_ANSWER_OR_CODE).keeping_changes() from wrong


def _use_up_resets(session: Session, reset: PasswordReset, now: datetime) -> None:
    """Mark this link used, or Invalid when a racing request used it first; then every
    other outstanding link of the account, so an older email can't reset it again."""
    this = session.execute(
        update(PasswordReset).where(col(PasswordReset.id) == reset.id, col(PasswordReset.used_at).is_(None))
        .values(used_at=now)
    )
    if this.rowcount != 1:
        raise Invalid("token", EXPIRED)
    session.execute(
        update(PasswordReset)
        .where(col(PasswordReset.user_id) == reset.user_id, col(PasswordReset.used_at).is_(None))
        .values(used_at=now)
    )


def complete_reset(session: Session, token: str, *, answer: str, code: str, new_password: str,
                   confirm_password: str, ip: str = "", now: datetime | None = None) -> User:
    """Set a new password: the link, the challenge answer and a second factor all needed."""
    now = now or utc_now()
    reset = _live_reset(session, token, now)
    user = session.get(User, reset.user_id)
    # The new password is checked first: its rules are no secret, and a typo there
    # should not cost the person one of their five attempts.
    if problem := password_problem(new_password, user_id=user.user_id, email=user.email):
        raise Invalid("new_password", problem)
    if new_password != confirm_password:
        raise Invalid("confirm_new_password", "Confirm New Password does not match New Password.")
    check_not_locked(user, now)
    _check_answer(session, user, answer, ip, now)
    _check_second_factor(session, user, code, ip, now)
    _use_up_resets(session, reset, now)
    user.password_hash = hash_password(new_password)
    user.password_changed_at = now
    session.add(user)
    end_other_sessions(session, user.id, now=now)
    tell(session, user, SECURITY, "Your Harmony Portal password was reset",
         email=f"Hello {user.first_name},\n\nThe password of User ID {user.user_id} was reset with the emailed "
               "link, and every other session was signed out.\n\n"
               "If this was not you, call the Harmony Help Desk at once.\n",
         note="Your password was reset and your other sessions were signed out.", now=now)
    audit.record(session, "account.reset_completed", actor_id=user.id, subject_user_id=user.id, ip=ip, now=now)
    return user
