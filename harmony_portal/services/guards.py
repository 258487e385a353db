"""Checks several services share: who may act at all."""

from __future__ import annotations

from sqlmodel import Session

from harmony_portal.models import User
from harmony_portal.services.errors import NotAllowed
from harmony_portal.services.passkeys import policy


def require_admin(session: Session, actor: User) -> User:
    """The actor, re-read from the database, if they are (still) a help-desk administrator.

    The row is read again so an administrator demoted a moment ago can't act on the
    copy their session holds.

    Raises:
        NotAllowed: the actor is not an administrator (or no longer exists), or is held by the passkey policy.
    """
    current = session.get(User, actor.id)
    if current is None or not current.is_admin:
        raise NotAllowed("Only help-desk administrators can do that.")
    policy.check_not_held(session, current)
    return current
