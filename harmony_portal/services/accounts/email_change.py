"""A new email address waits for a link sent to it; the old address hears about it twice.

``update_profile`` (services/accounts) starts a change after the step-up; the
change applies only when the link emailed to the new address is opened.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import update
from sqlmodel import Session, select

from harmony_portal import routes
from harmony_portal.models import EmailChange, User, utc_now
from harmony_portal.services.audit import trail as audit
from harmony_portal.services.errors import Conflict, Invalid, NotAllowed
from harmony_portal.services.notifications.email_preferences import SECURITY
from harmony_portal.services.notifications.notify import queue_email, tell
from harmony_portal.services.security import new_token, token_digest
from harmony_portal.settings import get_settings

LINK_LIFETIME = timedelta(hours=24)
LINK_INVALID = ("This confirmation link is not valid: it has expired, was already used, or was "
                "replaced by a newer one. Ask for the change again from your User Profile.")
OTHER_ACCOUNT = ("This confirmation link belongs to another account. Sign out, then open the link "
                 "again (or sign in as that account).")
TAKEN = "That Email Address is now registered to another account, so it can't be used."


def confirm_url(token: str) -> str:
    """The link in the email: HARMONY_BASE_URL plus the public confirmation page."""
    return get_settings().harmony_base_url.rstrip("/") + routes.confirm_email_url(token)


def pending_email(session: Session, user_id: int, *, now: datetime | None = None) -> str:
    """The new address waiting for confirmation, or ``""``."""
    now = now or utc_now()
    change = session.exec(
        select(EmailChange).where(EmailChange.user_id == user_id, EmailChange.used_at.is_(None),
                                  EmailChange.expires_at > now).order_by(EmailChange.id.desc())
    ).first()
    return change.new_email if change else ""


def request_email_change(session: Session, user: User, new_email: str, *, ip: str = "",
                         now: datetime) -> None:
    """Queue the confirmation link to ``new_email`` and a notice to the current address.

    The caller has already authorized the acting user and passed the step-up. An
    earlier unconfirmed request of this user stops working.
    """
    session.execute(update(EmailChange).where(EmailChange.user_id == user.id, EmailChange.used_at.is_(None))
                 .values(expires_at=now))
    token = new_token()
    session.add(EmailChange(user_id=user.id, new_email=new_email, token_hash=token_digest(token),
                            created_at=now, expires_at=now + LINK_LIFETIME))
    queue_email(  # an address that is not the account's yet: no notification, no choice
        session, new_email, "Confirm your new Harmony Portal email address", category=SECURITY,
        body=f"Hello {user.first_name},\n\nUser ID {user.user_id} asked to use this address for Harmony Portal.\n"
        "To confirm it, open this link within 24 hours:\n\n"
        f"{confirm_url(token)}\n\n"
        "Until then the account keeps its current address. If you did not ask for this, ignore this email.\n",
    )
    tell(
        session, user, SECURITY, "A change of your Harmony Portal email address was requested",
        note=f"A change of your email address to {new_email} was requested; it happens only when the link "
             "sent there is opened.", link=routes.PROFILE, now=now,
        email=f"Hello {user.first_name},\n\nSomeone signed in as User ID {user.user_id} asked to change the "
        f"account's email address from this one to {new_email}.\n"
        "The change happens only if the link sent to the new address is opened within 24 hours.\n\n"
        "If this was not you, sign in and change your password now, and call the Harmony Help Desk.\n",
    )
    audit.record(session, "account.email_change_requested", actor_id=user.id, subject_user_id=user.id, ip=ip,
                 now=now, new_email=new_email)


def _live_change(session: Session, token: str, now: datetime) -> EmailChange:
    change = session.exec(select(EmailChange).where(EmailChange.token_hash == token_digest(token))).first() \
        if token else None
    if change is None or change.used_at is not None or change.expires_at <= now:
        raise Invalid("token", LINK_INVALID)
    return change


def email_change_for(session: Session, token: str, *, now: datetime | None = None) -> str:
    """The new address a still-valid link would confirm (to show it first), or Invalid."""
    return _live_change(session, token, now or utc_now()).new_email


def confirm_email_change(session: Session, token: str, *, actor: User | None = None, ip: str = "",
                         now: datetime | None = None) -> User:
    """Apply the change the link stands for; the link works once.

    Anyone holding the link may open it (the new mailbox proves itself), but a
    signed-in ``actor`` of another account is refused, so nobody confirms a change
    for an account other than their own by mistake.
    """
    now = now or utc_now()
    change = _live_change(session, token, now)
    if actor is not None and actor.id != change.user_id:
        raise NotAllowed(OTHER_ACCOUNT)
    # Single use even when the link is opened twice at once: only one UPDATE matches.
    won = session.execute(update(EmailChange).where(EmailChange.id == change.id, EmailChange.used_at.is_(None))
                       .values(used_at=now))
    if won.rowcount != 1:
        raise Invalid("token", LINK_INVALID)
    user = session.get(User, change.user_id)
    if user is None or not user.is_active:
        raise Invalid("token", LINK_INVALID)
    other = session.exec(select(User).where(User.email_key == change.new_email.lower())).first()
    if other is not None and other.id != user.id:
        raise Conflict(TAKEN)
    old = user.email
    user.email = change.new_email
    user.email_key = change.new_email.lower()
    session.add(user)
    tell(
        session, user, SECURITY, "Your Harmony Portal email address was changed", to=old,
        note=f"Your email address is now {user.email}.", link=routes.PROFILE, now=now,
        email=f"Hello {user.first_name},\n\nThe email address of User ID {user.user_id} is now {user.email}. "
        "Emails from Harmony Portal no longer come to this address.\n\n"
        "If this was not you, call the Harmony Help Desk at once.\n",
    )
    audit.record(session, "account.email_changed", actor_id=user.id, subject_user_id=user.id, ip=ip, now=now,
                 old_email=old, new_email=user.email)
    return user
