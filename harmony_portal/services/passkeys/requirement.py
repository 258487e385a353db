"""An administrator turns the passkey requirement on or off on /admin (audited)."""

from __future__ import annotations

from datetime import datetime

from sqlmodel import Session

from harmony_portal.models import PortalPolicy, User, utc_now
from harmony_portal.services.audit import trail as audit
from harmony_portal.services.errors import Invalid
from harmony_portal.services.guards import require_admin
from harmony_portal.services.passkeys import policy, records

OWN_FIRST = "Add a passkey of your own first (User Profile > Two-Factor Devices): the requirement applies to you too."


def set_requirement(session: Session, actor: User, on: bool, *, ip: str = "",
                    now: datetime | None = None) -> PortalPolicy:
    """Require (or stop requiring) a passkey of Security Officials and the help desk.

    Raises:
        NotAllowed: the actor is not an administrator.
        Invalid: turning it on without a passkey of one's own (it would hold the administrator at once).
    """
    now = now or utc_now()
    actor = require_admin(session, actor)
    row = session.get(PortalPolicy, policy.POLICY_ID) or PortalPolicy(id=policy.POLICY_ID)
    if row.require_passkey_for_grantors == on:
        return row
    if on and not records.has_passkey(session, actor.id):
        raise Invalid("require_passkey", OWN_FIRST)
    without = policy.grantors_without_passkey(session)
    row.require_passkey_for_grantors = on
    row.updated_by_id, row.updated_at = actor.id, now
    session.add(row)
    audit.record(session, "policy.passkey_requirement_changed", actor_id=actor.id, ip=ip, now=now, required=on,
                 without_passkey=without)
    return row
