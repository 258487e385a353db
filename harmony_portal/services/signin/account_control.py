"""The help desk's hand on an account's sign-in: unlock it, reset its two-factor devices, disable or enable it."""

from __future__ import annotations

from datetime import datetime

from sqlmodel import Session, select

from harmony_portal.models import RecoveryCode, TotpDevice, User, utc_now
from harmony_portal.services.audit import trail as audit
from harmony_portal.services.errors import Invalid
from harmony_portal.services.guards import require_admin
from harmony_portal.services.notifications.email_preferences import SECURITY
from harmony_portal.services.notifications.notify import tell
from harmony_portal.services.passkeys.manage import remove_all as remove_all_passkeys
from harmony_portal.services.signin import enrolment_codes
from harmony_portal.services.signin.enrolment_codes import IssuedCode
from harmony_portal.services.signin.sessions import end_other_sessions


def unlock_account(session: Session, actor: User, user_id: int, *, now: datetime | None = None) -> None:
    """Help desk: lift a lock before it expires."""
    require_admin(session, actor)
    user = session.get(User, user_id)
    if user is None:
        raise Invalid("user", "No such user.")
    user.locked_until = None
    user.failure_window_start = None
    user.failed_password_count = user.failed_code_count = 0
    session.add(user)
    audit.record(session, "account.unlocked", actor_id=actor.id, subject_user_id=user.id, now=now)


def reset_two_factor(session: Session, actor: User, user_id: int, *, now: datetime | None = None) -> IssuedCode:
    """Help desk: remove every device, passkey and recovery code; the user enrols again at sign-in.

    Returns the one-time enrolment code (to read out to the user, shown once): after their
    password they must enter it before they can enrol, so a stolen password alone is not enough.
    """
    now = now or utc_now()
    actor = require_admin(session, actor)
    user = session.get(User, user_id)
    if user is None:
        raise Invalid("user", "No such user.")
    for device in session.exec(select(TotpDevice).where(TotpDevice.user_id == user.id)):
        session.delete(device)
    for code in session.exec(select(RecoveryCode).where(RecoveryCode.user_id == user.id)):
        session.delete(code)
    passkeys = remove_all_passkeys(session, user, actor, now=now)
    ended = end_other_sessions(session, user.id, now=now)  # whoever holds them must prove it again
    audit.record(session, "account.two_factor_reset", actor_id=actor.id, subject_user_id=user.id, now=now,
                 sessions_ended=ended, passkeys_removed=passkeys)
    tell(session, user, SECURITY, "Your Harmony Portal two-factor devices were reset",
         email=f"Hello {user.first_name},\n\nThe Harmony Help Desk removed every two-factor device, passkey and "
               f"recovery code of User ID {user.user_id}. When you next sign in, enter the enrolment code the help "
               "desk gives you, then set up a new device.\n\n"
               "If you did not ask for this, call the Harmony Help Desk at once.\n",
         note="The Harmony Help Desk removed your two-factor devices: you set up a new one at your next sign-in.",
         now=now)
    return enrolment_codes.issue_code(session, user, actor=actor, now=now)


def set_account_active(session: Session, actor: User, user_id: int, active: bool, *,
                       now: datetime | None = None) -> None:
    """Help desk: disable an account (every session ends at once) or enable it again."""
    require_admin(session, actor)
    user = session.get(User, user_id)
    if user is None:
        raise Invalid("user", "No such user.")
    if user.id == actor.id and not active:
        raise Invalid("user", "You can't disable your own account.")
    changed = user.is_active != active
    user.is_active = active
    session.add(user)
    ended = 0 if active else end_other_sessions(session, user.id, now=now)
    audit.record(session, "account.enabled" if active else "account.disabled", actor_id=actor.id,
                 subject_user_id=user.id, now=now, sessions_ended=ended)
    if changed:
        _tell_of_activity(session, user, active, now)


def _tell_of_activity(session: Session, user: User, active: bool, now: datetime | None) -> None:
    """A disabled account's owner can't sign in to read a notification: the email says it."""
    state = "enabled again" if active else "disabled"
    what = ("You can sign in again." if active
            else "You can't sign in until it is enabled again; call the Harmony Help Desk with any questions.")
    tell(session, user, SECURITY, f"Your Harmony Portal account was {state}",
         email=f"Hello {user.first_name},\n\nThe Harmony Help Desk {state} User ID {user.user_id}. {what}\n",
         note=f"The Harmony Help Desk {state} your account.", now=now)
