"""Read-only views for the Administration page (administrators only); the Audit Log is services/audit_log.py."""

from __future__ import annotations

from sqlmodel import Session, col, or_, select

from harmony_portal.models import User
from harmony_portal.services.clock import format_local
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


