"""Who may see a PQ, its notes and its attachments: the one rule every PQ read goes through.

A provider sees the PQs of every organization where they hold any role, and the PQs
they filed themselves; help-desk administrators see every PQ. "Internal" notes, and the
attachments of Internal notes, are for the help desk only. Anything else is answered
exactly like an unknown id ("No such PQ."), so an id reveals nothing.
"""

from __future__ import annotations

from sqlalchemy import ColumnElement, false, or_
from sqlmodel import Session, col, select

from harmony_portal.models import PQ, Attachment, OrgRole, PQNote, User
from harmony_portal.services.errors import NotAllowed
from harmony_portal.services.roles.organizations import organization_choices

INTERNAL = "Internal"
NO_SUCH_PQ = "No such PQ."


def sees_internal(actor: User) -> bool:
    """Whether ``actor`` sees Internal notes (and works the help desk)."""
    return bool(actor.is_admin and actor.is_active)


def is_help_desk(actor: User) -> bool:
    """Help-desk administrators: they see every PQ and may work it."""
    return sees_internal(actor)


def require_help_desk(actor: User, message: str = "Only the Harmony Help Desk may do that.") -> None:
    if not is_help_desk(actor):
        raise NotAllowed(message)


def member_org_ids(session: Session, actor: User) -> list[str]:
    """Organizations where ``actor`` holds any role."""
    return sorted(set(session.exec(select(OrgRole.organization_id).where(OrgRole.user_id == actor.id))))


def visible_clause(session: Session, actor: User) -> ColumnElement[bool] | None:
    """A WHERE clause limiting PQs to those ``actor`` sees; None means every PQ."""
    if is_help_desk(actor):
        return None
    if actor.id is None:
        return false()
    orgs = member_org_ids(session, actor)
    clauses = [PQ.created_by_id == actor.id]
    if orgs:
        clauses.append(col(PQ.organization_id).in_(orgs))
    return or_(*clauses)


def can_view(session: Session, actor: User, pq: PQ) -> bool:
    """Whether ``actor`` may see ``pq`` (the same rule as ``visible_clause``)."""
    if is_help_desk(actor) or pq.created_by_id == actor.id:
        return True
    if pq.organization_id is None:
        return False
    return session.exec(select(OrgRole.id).where(
        OrgRole.user_id == actor.id, OrgRole.organization_id == pq.organization_id).limit(1)).first() is not None


def viewable_pq(session: Session, actor: User, pq_id: int) -> PQ:
    """The PQ ``pq_id`` if ``actor`` may see it.

    Raises:
        NotAllowed: "No such PQ." when it does not exist or is not the actor's to see.
    """
    try:
        pq = session.get(PQ, int(pq_id))
    except (TypeError, ValueError):
        pq = None
    if pq is None or not can_view(session, actor, pq):
        raise NotAllowed(NO_SUCH_PQ)
    return pq


def visible_attachment(session: Session, actor: User, attachment_id: int) -> Attachment:
    """The attachment if ``actor`` may see its PQ (and, for an Internal note's file, is the help desk).

    Raises:
        NotAllowed: "No such PQ." for an unknown id or one the actor may not see.
    """
    try:
        attachment = session.get(Attachment, int(attachment_id))
    except (TypeError, ValueError):
        attachment = None
    if attachment is None:
        raise NotAllowed(NO_SUCH_PQ)
    viewable_pq(session, actor, attachment.pq_id)
    if attachment.note_id is not None and not sees_internal(actor):
        note = session.get(PQNote, attachment.note_id)
        if note is None or note.note_type == INTERNAL:
            raise NotAllowed(NO_SUCH_PQ)
    return attachment


def provider_choices(session: Session, actor: User) -> list[dict[str, str]]:
    """The organizations ``actor`` may file a PQ for ("Name (ID)"): their own; the help desk any."""
    return organization_choices(session, None if is_help_desk(actor) else member_org_ids(session, actor))
