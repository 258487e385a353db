"""Adoption: after a sign-in with password and code, someone without a passkey is offered one ("Add a
passkey?"): once, again 30 days after they said "Not now", never once they have one."""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlmodel import Session

from harmony_portal.models import User, utc_now
from harmony_portal.services.passkeys import policy, records

ASK_AGAIN_AFTER = timedelta(days=30)


def offer_now(session: Session, user: User, *, now: datetime | None = None) -> bool:
    """Whether to offer a passkey at this sign-in; offering it now is remembered (it is asked once).

    Someone the policy holds is not offered: they are sent to add one, which is not optional.
    """
    now = now or utc_now()
    fresh = session.get(User, user.id)
    # Without a passkey, someone the policy asks for one is held: they are sent to add it instead.
    if records.has_passkey(session, fresh.id) or policy.requires_passkey(session, fresh):
        return False
    if fresh.passkey_prompted_at is not None and now - fresh.passkey_prompted_at < ASK_AGAIN_AFTER:
        return False
    fresh.passkey_prompted_at = now
    session.add(fresh)
    return True
