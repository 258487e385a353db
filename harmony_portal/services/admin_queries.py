"""Read-only views for the Administration page (administrators only); users: ``admin_users``."""

from __future__ import annotations

from sqlmodel import Session, col, select

from harmony_portal.models import AuditEvent, OutboxEmail, User
from harmony_portal.services.clock import format_local
from harmony_portal.services.csv_export import to_csv
from harmony_portal.services.guards import require_admin


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


def outbox(session: Session, actor: User, limit: int = 50) -> list[dict]:
    require_admin(session, actor)
    emails = session.exec(select(OutboxEmail).order_by(col(OutboxEmail.id).desc()).limit(limit))
    return [{"to": e.to_address, "subject": e.subject, "created": format_local(e.created_at),
             "sent": format_local(e.sent_at) if e.sent_at else "Not sent"} for e in emails]


def audit_csv(session: Session, actor: User) -> str:
    require_admin(session, actor)
    events = list(session.exec(select(AuditEvent).order_by(AuditEvent.id)))
    people = _people(session, {i for e in events for i in (e.actor_id, e.subject_user_id) if i})
    return to_csv(["id", "at_utc", "action", "actor_id", "actor", "subject_user_id", "subject", "organization_id",
                   "target", "ip", "detail", "hash"],
                  ([e.id, e.at.isoformat(), e.action, e.actor_id, people.get(e.actor_id, ""), e.subject_user_id,
                    people.get(e.subject_user_id, ""), e.organization_id, e.target, e.ip, e.detail, e.hash]
                   for e in events))
