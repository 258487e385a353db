"""Read-only views for the Administration page (administrators only)."""

from __future__ import annotations

from sqlmodel import Session, col, or_, select

from harmony_portal.models import AuditEvent, User
from harmony_portal.services.clock import format_local
from harmony_portal.services.csv_export import to_csv
from harmony_portal.services.guards import require_admin


def find_users(session: Session, actor: User, text: str, now) -> list[dict]:
    """Accounts whose User ID, email or last name starts with ``text``."""
    require_admin(session, actor)
    key = text.strip().lower()
    if not key:
        return []
    users = session.exec(select(User).where(or_(col(User.user_id_key).startswith(key),
                                                col(User.email_key).startswith(key))).limit(25))
    return [{"id": str(u.id), "user_id": u.user_id, "name": f"{u.first_name} {u.last_name}", "email": u.email,
             "locked": "Locked until " + format_local(u.locked_until) if u.locked_until and u.locked_until > now
             else "", "disabled": "" if u.is_active else "Disabled"} for u in users]


def _people(session: Session, ids: set[int]) -> dict[int, str]:
    """How the audit log names people: "User ID (First Last)"."""
    if not ids:
        return {}
    return {u.id: f"{u.user_id} ({u.first_name} {u.last_name})"
            for u in session.exec(select(User).where(col(User.id).in_(ids)))}


def recent_audit(session: Session, actor: User, limit: int = 50) -> list[dict]:
    require_admin(session, actor)
    events = list(session.exec(select(AuditEvent).order_by(col(AuditEvent.id).desc()).limit(limit)))
    people = _people(session, {i for e in events for i in (e.actor_id, e.subject_user_id) if i})
    return [{"at": format_local(e.at), "action": e.action, "actor": people.get(e.actor_id, ""),
             "subject": people.get(e.subject_user_id, ""), "organization": e.organization_id or "",
             "detail": e.detail} for e in events]


def audit_csv(session: Session, actor: User) -> str:
    require_admin(session, actor)
    events = list(session.exec(select(AuditEvent).order_by(AuditEvent.id)))
    people = _people(session, {i for e in events for i in (e.actor_id, e.subject_user_id) if i})
    return to_csv(["id", "at_utc", "action", "actor_id", "actor", "subject_user_id", "subject", "organization_id",
                   "target", "ip", "detail", "hash"],
                  ([e.id, e.at.isoformat(), e.action, e.actor_id, people.get(e.actor_id, ""), e.subject_user_id,
                    people.get(e.subject_user_id, ""), e.organization_id, e.target, e.ip, e.detail, e.hash]
                   for e in events))
