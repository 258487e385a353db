"""The Users section of Administration: find an account, and see its roles, state and security events.

Read-only; the actions (unlock, reset two-factor, disable) are in ``authentication``.
Administrators only, checked here.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy import String, func, literal_column
from sqlmodel import Session, col, or_, select

from harmony_portal.models import AuditEvent, Organization, OrgRole, User
from harmony_portal.services.accounts.identity import users_by_ids
from harmony_portal.services.clock import format_local
from harmony_portal.services.errors import Invalid
from harmony_portal.services.guards import require_admin
from harmony_portal.services.roles.requests import full_name
from harmony_portal.services.signin.devices import confirmed_devices

FOUND_LIMIT = 25
EVENTS_SHOWN = 20
# The audit actions that tell the story of an account's sign-ins, and how the admin page names them.
SECURITY_EVENTS = {
    "auth.signed_in": "Signed in",
    "auth.password_failed": "Wrong password",
    "auth.code_failed": "Wrong security or recovery code",
    "auth.challenge_failed": "Wrong challenge answer",
    "auth.enrolment_code_failed": "Wrong enrolment code",
    "auth.recovery_code_used": "Used a recovery code",
    "auth.logout": "Signed out",
    "session.expired": "Session ended",
    "account.locked": "Locked",
    "account.repeatedly_locked": "Locked repeatedly",
    "account.unlocked": "Unlocked",
    "account.two_factor_reset": "Two-factor reset",
    "two_factor.enrolment_code_issued": "Enrolment code issued",
    "two_factor.enrolment_code_used": "Enrolment code used",
    "account.device_added": "Device added",
    "account.device_removed": "Device removed",
    "account.device_enrolled": "Device set up by an operator",
    "account.recovery_codes_issued": "Recovery codes issued",
    "account.disabled": "Disabled",
    "account.enabled": "Enabled",
    "account.password_changed": "Password changed",
    "account.reset_requested": "Password reset requested",
    "account.reset_completed": "Password reset",
    "account.step_up_refused": "Confirmation refused",
    "account.passkey_added": "Passkey added",
    "account.passkey_removed": "Passkey removed",
    "account.passkey_changed": "Passkey changed",
    "auth.passkey_used": "Used a passkey",
    "auth.passkey_failed": "Passkey not accepted",
}


def _state_of(user: User, now: datetime) -> str:
    if not user.is_active:
        return "Disabled"
    if user.locked_until and user.locked_until > now:
        return "Locked until " + format_local(user.locked_until)
    return "Active"


def find_users(session: Session, actor: User, text: str, now: datetime) -> list[dict[str, str]]:
    """Accounts whose User ID, email, first or last name, or "first last" starts with ``text``."""
    require_admin(session, actor)
    key = " ".join(text.split()).lower()
    if not key:
        return []
    last = func.lower(User.last_name)
    # A first name that starts with the text makes "first last" start with it too, so the
    # full name covers both. Each condition has its prefix index (models/accounts.py).
    first_last = func.lower(User.first_name) + literal_column("' '", String) + last
    matching = select(User.id).where(or_(
        col(User.user_id_key).startswith(key, autoescape=True), col(User.email_key).startswith(key, autoescape=True),
        last.startswith(key, autoescape=True), first_last.startswith(key, autoescape=True)))
    if session.get_bind().dialect.name == "postgresql":
        # The matches first (from the indexes), then their order: left to itself, the planner
        # walks every User ID in order looking for the 25 it expects soon (37,000 rows for
        # "karen" among 100,000 accounts: benchmarks/scale_pages.py).
        matching = matching.cte("matching").prefix_with("MATERIALIZED")
        matching = select(matching.c.id)
    users = session.exec(select(User).where(col(User.id).in_(matching)).order_by(User.user_id_key).limit(FOUND_LIMIT))
    return [{"id": str(u.id), "user_id": u.user_id, "name": full_name(u), "email": u.email,
             "state": _state_of(u, now)} for u in users]


@dataclass
class UserOverview:
    """One account as the Users section shows it."""

    summary: dict[str, str]
    roles: list[dict[str, str]] = field(default_factory=list)
    events: list[dict[str, str]] = field(default_factory=list)


def _detail_text(detail: str) -> str:
    """The audit row's detail as "key: value" pairs (the audit log never holds a secret)."""
    try:
        values = json.loads(detail or "{}")
    except ValueError:
        return ""
    if not isinstance(values, dict):
        return ""
    return ", ".join(f"{k.replace('_', ' ')}: {v}" for k, v in values.items())


def _events(session: Session, user: User) -> list[dict[str, str]]:
    rows = list(session.exec(select(AuditEvent).where(
        AuditEvent.subject_user_id == user.id, col(AuditEvent.action).in_(list(SECURITY_EVENTS)))
        .order_by(col(AuditEvent.id).desc()).limit(EVENTS_SHOWN)))
    others = {r.actor_id for r in rows if r.actor_id and r.actor_id != user.id}
    names = {u.id: f"{u.user_id} ({full_name(u)})" for u in users_by_ids(session, others)}
    return [{"at": format_local(r.at), "event": SECURITY_EVENTS[r.action], "by": names.get(r.actor_id, ""),
             "ip": r.ip, "detail": _detail_text(r.detail)} for r in rows]


def user_overview(session: Session, actor: User, user_id: int, now: datetime) -> UserOverview:
    """An account's details, organization roles, state and last security events (administrators only)."""
    require_admin(session, actor)
    user = session.get(User, user_id)
    if user is None:
        raise Invalid("user", "No such user.")
    devices = len(confirmed_devices(session, user.id))
    locked = bool(user.locked_until and user.locked_until > now)
    summary = {
        "id": str(user.id), "user_id": user.user_id, "name": full_name(user), "email": user.email,
        "active": "yes" if user.is_active else "", "locked": "yes" if locked else "",
        "account": "Disabled" if not user.is_active else "Active",
        "sign_in": "Locked until " + format_local(user.locked_until) if locked else "Not locked",
        "devices": str(devices), "administrator": "Yes" if user.is_admin else "No",
    }
    roles = session.exec(select(OrgRole, Organization).join(Organization, Organization.id == OrgRole.organization_id)
                         .where(OrgRole.user_id == user.id).order_by(Organization.name, OrgRole.role))
    return UserOverview(
        summary=summary,
        roles=[{"organization": f"{org.name} ({org.id})", "role": grant.role, "since": format_local(grant.granted_at)}
               for grant, org in roles],
        events=_events(session, user),
    )
