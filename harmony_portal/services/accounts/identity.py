"""Who is signed in, as the page shell shows it (name, badges, what the navigation offers)."""

from __future__ import annotations

from dataclasses import dataclass

from sqlmodel import Session, col, select

from harmony_portal.models import OrgRole, User
from harmony_portal.services.passkeys import policy, records
from harmony_portal.services.roles import requests as roles
from harmony_portal.vocabulary import SECURITY_OFFICIAL


@dataclass(frozen=True)
class Identity:
    """The shell's view of the signed-in user."""

    display_name: str
    is_admin: bool
    is_security_official: bool
    pending_count: int  # requests waiting for this user to decide (the navigation badge)
    passkey_held: bool = False  # the policy requires a passkey of them and they have none: they may only add one
    has_passkey: bool = False  # step-up dialogs offer "Use a passkey"


def describe(session: Session, user: User) -> Identity:
    """Name, roles and waiting-request count of ``user`` (replaces the queries in AuthState._set_identity)."""
    is_official = session.exec(select(OrgRole.id).where(
        OrgRole.user_id == user.id, OrgRole.role == SECURITY_OFFICIAL).limit(1)).first() is not None
    grantor = is_official or user.is_admin
    has_passkey = records.has_passkey(session, user.id)
    # What policy.is_held asks, from the answers already here (every page open reads this).
    held = grantor and not has_passkey and policy.current(session).require_passkey_for_grantors
    waiting = roles.pending_count(session, user) if grantor and not held else 0
    return Identity(display_name=roles.full_name(user), is_admin=user.is_admin,
                    is_security_official=is_official, pending_count=waiting, passkey_held=held,
                    has_passkey=has_passkey)


def current(session: Session, user: User) -> User | None:
    """The user's row as the database has it now (a session's copy may be stale)."""
    return session.get(User, user.id)


def users_by_ids(session: Session, user_ids: set[int] | list[int]) -> list[User]:
    """The users with these ids (those that exist), in id order."""
    if not user_ids:
        return []
    return list(session.exec(select(User).where(col(User.id).in_(set(user_ids))).order_by(User.id)))
