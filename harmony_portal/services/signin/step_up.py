"""Step-up: the current password or a fresh security code, asked again before a change
that would make a stolen session permanent (a new authenticator, a removed one, a new
email address).

A wrong answer counts towards the account lockout exactly like a failed sign-in, and
is audited; the refusal keeps those changes (the transaction still commits).
"""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlmodel import Session, col, select, update

from harmony_portal.models import TotpDevice, User, UserSession, utc_now
from harmony_portal.services.audit import trail as audit
from harmony_portal.services.errors import Invalid, NotAllowed
from harmony_portal.services.security import matching_totp_step, unseal, verify_password
from harmony_portal.services.signin.authentication import check_not_locked, register_failure
from harmony_portal.services.signin.devices import confirmed_devices

FIELD = "step_up"
LABEL = "Current Password or Security Code"
MISSING = ("To confirm it is you, enter your current password or a security code from "
           "one of your authenticator devices.")
WRONG = ("That is not your current password or a valid security code (each code works once). "
         "Try again.")


# How long a passkey's step-up stays good for the change it was made for (one change).
PASSKEY_STEP_UP_LIFETIME = timedelta(minutes=2)


def take_passkey_step_up(session: Session, session_id: int | None, now: datetime) -> bool:
    """Use up this session's fresh passkey step-up (``passkeys.assertion.finish_step_up``), if it has one."""
    if not session_id:
        return False
    return session.exec(update(UserSession).where(
        UserSession.id == session_id, col(UserSession.passkey_step_up_at).is_not(None),
        UserSession.passkey_step_up_at > now - PASSKEY_STEP_UP_LIFETIME).values(passkey_step_up_at=None)).rowcount == 1


def _looks_like_code(proof: str) -> bool:
    # Passwords are at least 12 characters, so six digits can only be a code.
    compact = "".join(proof.split())
    return compact.isdigit() and len(compact) == 6


def _consume_code(session: Session, user: User, code: str, now: datetime) -> bool:
    """True when ``code`` is fresh from one of the user's confirmed devices; it is then used up."""
    for device in confirmed_devices(session, user.id):
        step = matching_totp_step(unseal(device.secret), code, now, device.last_used_step)
        if step is None:
            continue
        # Conditional update: two requests racing with one code, only one wins.
        won = session.exec(
            select(TotpDevice).where(TotpDevice.id == device.id, TotpDevice.last_used_step < step)
            .with_for_update()
        ).first()
        if won is None:
            return False
        won.last_used_step = step
        session.add(won)
        return True
    return False


def verify_step_up(session: Session, actor: User, proof: str, *, purpose: str, ip: str = "",
                   session_id: int | None = None, now: datetime | None = None) -> str:
    """Check the acting user's step-up answer before a sensitive change.

    Args:
        session: the caller's transaction (the change follows in it).
        actor: the signed-in user.
        proof: what was typed in "Current Password or Security Code".
        purpose: what is being confirmed, for the audit log (``device_added`` ...).
        ip: the client's address, for the audit log.
        session_id: the acting session: a passkey it just used for a step-up answers instead (empty ``proof``).
        now: the moment (UTC).

    Returns:
        How the user proved it: ``"password"``, ``"security code"`` or ``"passkey"`` (for the change's audit row).

    Raises:
        Invalid: on the ``step_up`` field, when missing or wrong (wrong: counted and audited, kept).
        Locked: when the account is locked, or this failure locked it.
    """
    now = now or utc_now()
    user = _unlocked(session, actor, now)
    if not proof.strip() and take_passkey_step_up(session, session_id, now):
        return "passkey"
    if not proof.strip():
        # The page always asks; an event without an answer was sent around it.
        _refuse(session, user, None, purpose, ip, now)
        raise Invalid(FIELD, MISSING).keeping_changes()
    if _looks_like_code(proof):
        if _consume_code(session, user, proof, now):
            return "security code"
        kind = "code"
    else:
        if verify_password(user.password_hash, proof):
            return "password"
        kind = "password"
    _refuse(session, user, kind, purpose, ip, now)
    raise Invalid(FIELD, WRONG).keeping_changes()


def _unlocked(session: Session, actor: User, now: datetime) -> User:
    """The acting user's row, active and not locked (else NotAllowed, Locked)."""
    user = session.get(User, actor.id)
    if user is None or not user.is_active:
        raise NotAllowed()
    check_not_locked(user, now)
    return user


def _refuse(session: Session, user: User, kind: str | None, purpose: str, ip: str, now: datetime) -> None:
    """Audit a refused step-up; a wrong answer (``kind``: "code", "password") also counts toward
    the lockout, which may lock the account now (Locked)."""
    if kind is not None:
        register_failure(session, user, kind, now, ip)
    audit.record(session, "account.step_up_refused", actor_id=user.id, subject_user_id=user.id, ip=ip, now=now,
                 purpose=purpose, reason=f"wrong {kind}" if kind else "missing")
    check_not_locked(user, now)


CODE_FIELD = "security_code"
CODE_MISSING = "Enter a security code from your authenticator app."
CODE_WRONG = "That is not a valid security code (each code works once). Try again."


def verify_security_code(session: Session, actor: User, code: str, *, purpose: str, ip: str = "",
                         session_id: int | None = None, now: datetime | None = None) -> None:
    """A fresh second factor (a security code, or a passkey this session just used; the password does not
    count) before an act that must be the person's own, such as a signature. Counted, audited and locked out
    as ``verify_step_up``.

    Raises:
        Invalid: on ``security_code``, when missing or wrong (wrong: counted and audited, kept).
        Locked: when the account is locked, or this failure locked it.
    """
    now = now or utc_now()
    user = _unlocked(session, actor, now)
    if not code.strip() and take_passkey_step_up(session, session_id, now):
        return
    if _looks_like_code(code) and _consume_code(session, user, "".join(code.split()), now):
        return
    _refuse(session, user, "code" if code.strip() else None, purpose, ip, now)
    raise Invalid(CODE_FIELD, CODE_WRONG if code.strip() else CODE_MISSING).keeping_changes()
