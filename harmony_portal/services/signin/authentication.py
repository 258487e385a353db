"""Signing in: password, then a second factor, with lockout after repeated failures."""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlmodel import Session, col, func, select

from harmony_portal.models import AuditEvent, RecoveryCode, TotpDevice, User, utc_now
from harmony_portal.services.accounts.find import find_user
from harmony_portal.services.audit import trail as audit
from harmony_portal.services.clock import format_local
from harmony_portal.services.errors import Invalid, Locked, NotAllowed
from harmony_portal.services.notifications.email_preferences import SECURITY
from harmony_portal.services.notifications.notify import tell
from harmony_portal.services.security import (
    matching_totp_step,
    recovery_code_digests,
    short_digest,
    unseal,
    verify_password,
)
from harmony_portal.services.signin import enrolment_codes, rate_limits
from harmony_portal.services.signin.devices import confirmed_devices, has_confirmed_device
from harmony_portal.services.signin.sessions import open_enrolment_session

MAX_FAILURES = 5
FAILURE_WINDOW = timedelta(minutes=15)
LOCK_DURATION = timedelta(minutes=15)
REPEAT_LOCKS_FLAG = 3  # this many locks in a day is flagged to the help desk
BAD_CREDENTIALS = "The User ID or Password is not correct."
BAD_CODE = "That security code is not correct or has already been used."
BAD_ENROLMENT_CODE = ("That enrolment code is not correct, has expired or has already been used. "
                      "The Harmony Help Desk can give you a new one.")


def _locked_message(until: datetime) -> str:
    return (f"This account is locked until {format_local(until)} after repeated failed attempts. "
            "Try again then, or ask the Harmony Help Desk to unlock it.")


def _is_locked(user: User, now: datetime) -> bool:
    return bool(user.locked_until and user.locked_until > now)


def check_not_locked(user: User, now: datetime) -> None:
    """Raise Locked (keeping the caller's changes) while the account is locked."""
    if _is_locked(user, now):
        raise Locked(_locked_message(user.locked_until), user.locked_until).keeping_changes()


def _tell_owner_of_lock(session: Session, user: User) -> None:
    """The password step no longer says an account is locked, so its owner hears it by email."""
    tell(
        session, user, SECURITY, "Your Harmony Portal account is locked",
        note=f"After repeated failed attempts to sign in, your account was locked until "
             f"{format_local(user.locked_until)}.",
        email=f"Hello {user.first_name},\n\nAfter repeated failed attempts to sign in to User ID {user.user_id}, "
        f"the account is locked until {format_local(user.locked_until)}.\n\n"
        "If this was not you, someone may know your password: change it once you can sign in, "
        "or ask the Harmony Help Desk for help.\n",
    )


def register_failure(session: Session, user: User, kind: str, now: datetime, ip: str) -> None:
    """Count a failed password, challenge answer or code; the fifth in the window locks the account.

    A wrong challenge answer counts with the passwords: both are things the person knows.
    """
    if user.failure_window_start is None or now - user.failure_window_start > FAILURE_WINDOW:
        user.failure_window_start = now
        user.failed_password_count = 0
        user.failed_code_count = 0
    if kind in ("password", "challenge"):
        user.failed_password_count += 1
        count = user.failed_password_count
    else:
        user.failed_code_count += 1
        count = user.failed_code_count
    audit.record(session, f"auth.{kind}_failed", subject_user_id=user.id, ip=ip, now=now, failures=count)
    if count >= MAX_FAILURES:
        user.locked_until = now + LOCK_DURATION
        user.failure_window_start = None
        user.failed_password_count = user.failed_code_count = 0
        audit.record(session, "account.locked", subject_user_id=user.id, ip=ip, now=now,
                     until=user.locked_until.isoformat())
        _tell_owner_of_lock(session, user)
        recent_locks = session.exec(
            select(func.count()).select_from(AuditEvent).where(
                AuditEvent.action == "account.locked", AuditEvent.subject_user_id == user.id,
                AuditEvent.at >= now - timedelta(days=1))
        ).one()
        if recent_locks >= REPEAT_LOCKS_FLAG:
            audit.record(session, "account.repeatedly_locked", subject_user_id=user.id, ip=ip, now=now,
                         locks_in_24h=recent_locks)
    session.add(user)


def typed_user_id_label(user_id: str) -> str:
    """What the audit log keeps of a User ID that matched no account.

    People type passwords into the User ID box, so only a short keyed digest is kept:
    repeated attempts with the same text still line up.
    """
    return f"unknown#{short_digest(user_id.strip().lower(), 'user-id')}"


def check_password(session: Session, user_id: str, password: str, *, ip: str = "",
                   now: datetime | None = None) -> User:
    """First step of sign-in. Returns the user, or raises Invalid (or RateLimited).

    An unknown User ID, a wrong password and a locked account all get the same
    message and cost the same hash time. With the right password a locked account
    goes on to the second step, which explains the lock (or at once, when there is no
    second factor yet to ask for).
    """
    now = now or utc_now()
    rate_limits.check(session, "sign_in", ip=ip, account=user_id, now=now)
    user = find_user(session, user_id) if user_id.strip() else None
    matches = verify_password(user.password_hash if user else None, password)
    if user is None or not user.is_active:
        audit.record(session, "auth.password_failed", target=typed_user_id_label(user_id), ip=ip, now=now,
                     reason="unknown user")
        raise Invalid("password", BAD_CREDENTIALS).keeping_changes()
    if _is_locked(user, now):
        if not matches:
            # Not counted: failures while locked must not stretch the lock for the owner.
            audit.record(session, "auth.password_failed", subject_user_id=user.id, ip=ip, now=now,
                         reason="locked")
            raise Invalid("password", BAD_CREDENTIALS).keeping_changes()
        if not has_confirmed_device(session, user.id):
            check_not_locked(user, now)
        return user
    if not matches:
        register_failure(session, user, "password", now, ip)
        raise Invalid("password", BAD_CREDENTIALS).keeping_changes()
    return user


def _clear_failures(session: Session, user: User) -> None:
    user.failure_window_start = None
    user.failed_password_count = user.failed_code_count = 0
    session.add(user)


def finish_sign_in(session: Session, user: User, now: datetime, ip: str, method: str) -> None:
    """The second factor passed (``method`` says which): failures forgotten, the sign-in audited."""
    _clear_failures(session, user)
    audit.record(session, "auth.signed_in", actor_id=user.id, subject_user_id=user.id, ip=ip, now=now,
                 method=method)


def _second_step_user(session: Session, user_id: int, ip: str, now: datetime, *, active_only: bool = False) -> User:
    """The user a second step is for, once the code rate limit and the lockout allow another try."""
    user = session.get(User, user_id)
    if user is None or (active_only and not user.is_active):
        raise NotAllowed()
    rate_limits.check(session, "code", ip=ip, account=str(user.id), now=now)
    check_not_locked(user, now)
    return user


def check_security_code(session: Session, user_id: int, code: str, *, ip: str = "",
                        now: datetime | None = None) -> User:
    """Second step: a TOTP code from any confirmed device, never one used before."""
    now = now or utc_now()
    user = _second_step_user(session, user_id, ip, now)
    for device in confirmed_devices(session, user.id):
        step = matching_totp_step(unseal(device.secret), code, now, device.last_used_step)
        if step is not None:
            # Conditional update: two requests racing with one code, only one wins.
            won = session.exec(
                select(TotpDevice).where(TotpDevice.id == device.id, TotpDevice.last_used_step < step)
                .with_for_update()
            ).first()
            if won is None:
                break
            won.last_used_step = step
            session.add(won)
            finish_sign_in(session, user, now, ip, "totp")
            return user
    register_failure(session, user, "code", now, ip)
    check_not_locked(user, now)
    raise Invalid("security_code", BAD_CODE).keeping_changes()


def use_recovery_code(session: Session, user_id: int, code: str, *, ip: str = "",
                      now: datetime | None = None) -> User:
    """Second step with a recovery code instead; each code works once."""
    now = now or utc_now()
    user = _second_step_user(session, user_id, ip, now)
    record = session.exec(
        select(RecoveryCode).where(RecoveryCode.user_id == user.id,
                                   col(RecoveryCode.code_hash).in_(recovery_code_digests(code)),
                                   RecoveryCode.used_at.is_(None))
    ).first()
    if record is None:
        register_failure(session, user, "code", now, ip)
        check_not_locked(user, now)
        raise Invalid("recovery_code", "That recovery code is not correct or has already been used.").keeping_changes()
    record.used_at = now
    session.add(record)
    left = session.exec(select(func.count()).select_from(RecoveryCode).where(
        RecoveryCode.user_id == user.id, RecoveryCode.used_at.is_(None))).one()
    audit.record(session, "auth.recovery_code_used", actor_id=user.id, subject_user_id=user.id, ip=ip,
                 now=now, codes_left=left)
    finish_sign_in(session, user, now, ip, "recovery code")
    return user


def redeem_enrolment_code(session: Session, user_id: int, code: str, *, ip: str = "",
                          now: datetime | None = None) -> str:
    """Second step after a help-desk reset: the one-time enrolment code, instead of a security code.

    Opens a session good only for enrolling one authenticator and returns its hand-off code.
    A wrong code counts towards the lockout like a wrong security code, and is rate-limited the same way.
    """
    now = now or utc_now()
    user = _second_step_user(session, user_id, ip, now, active_only=True)
    if not enrolment_codes.required(session, user.id):
        raise NotAllowed("This account does not need an enrolment code. Sign in again.")
    record = enrolment_codes.claim(session, user.id, code, now)
    if record is None:
        register_failure(session, user, "enrolment_code", now, ip)
        check_not_locked(user, now)
        raise Invalid("enrolment_code", BAD_ENROLMENT_CODE).keeping_changes()
    session_id, handoff = open_enrolment_session(session, user, ip=ip, now=now)
    enrolment_codes.bind_session(session, record, session_id)
    _clear_failures(session, user)
    audit.record(session, "two_factor.enrolment_code_used", actor_id=user.id, subject_user_id=user.id, ip=ip,
                 now=now)
    return handoff


