"""The policy that those who grant access (Security Officials and the help desk) sign in with a passkey.

When an administrator turns it on, such a user without a passkey is held: every service that
grants, decides or looks up refuses them (``check_not_held``, so an older session's forged event
is refused too), and every page sends them to "Add a passkey to continue".
"""

from __future__ import annotations

from sqlmodel import Session, col, func, select

from harmony_portal.models import OrgRole, Passkey, PortalPolicy, User
from harmony_portal.services.errors import NotAllowed
from harmony_portal.vocabulary import SECURITY_OFFICIAL

POLICY_ID = 1
HELD = "Your role requires a passkey. Add a passkey to continue."


def current(session: Session) -> PortalPolicy:
    """The policy row (defaults when none was saved yet)."""
    return session.get(PortalPolicy, POLICY_ID) or PortalPolicy(id=POLICY_ID)


def is_grantor(session: Session, user: User) -> bool:
    """A help-desk administrator or a Security Official anywhere."""
    if user.is_admin:
        return True
    return session.exec(select(OrgRole.id).where(OrgRole.user_id == user.id, OrgRole.role == SECURITY_OFFICIAL)
                        .limit(1)).first() is not None


def requires_passkey(session: Session, user: User) -> bool:
    """Whether the policy asks ``user`` to have a passkey."""
    return current(session).require_passkey_for_grantors and is_grantor(session, user)


def is_held(session: Session, user: User) -> bool:
    """Required to have a passkey and without one: may do nothing but add one."""
    if not requires_passkey(session, user):
        return False
    return session.exec(select(Passkey.id).where(Passkey.user_id == user.id).limit(1)).first() is None


def check_not_held(session: Session, user: User) -> None:
    """Raise NotAllowed while the policy holds ``user`` (the services' guard)."""
    if is_held(session, user):
        raise NotAllowed(HELD)


def grantors_without_passkey(session: Session) -> int:
    """How many active administrators and Security Officials have no passkey (what turning it on would hold)."""
    officials = select(OrgRole.user_id).where(OrgRole.role == SECURITY_OFFICIAL)
    with_passkey = select(Passkey.user_id)
    return session.exec(select(func.count()).select_from(User).where(
        User.is_active, (col(User.is_admin)) | col(User.id).in_(officials),
        col(User.id).not_in(with_passkey))).one()
