"""Who may see a PQ's attachments (a minimal version: the PQ services bring the full rules).

A PQ is visible to the user who filed it, to anyone holding a role at its
organization, and to administrators (the help desk). Internal notes, and the
files attached to them, are for administrators only.
"""

from __future__ import annotations

from sqlmodel import Session, select

from harmony_portal.models import PQ, Attachment, OrgRole, PQNote, User
from harmony_portal.services.errors import NotAllowed

INTERNAL = "Internal"


def _may_see_pq(session: Session, actor: User, pq: PQ) -> bool:
    if actor.is_admin or pq.created_by_id == actor.id:
        return True
    if pq.organization_id is None:
        return False
    held = session.exec(select(OrgRole.id).where(OrgRole.user_id == actor.id,
                                                 OrgRole.organization_id == pq.organization_id)).first()
    return held is not None


def visible_attachment(session: Session, actor: User, attachment_id: int) -> Attachment:
    """The attachment, if ``actor`` may see it; otherwise NotAllowed (also for an unknown id).

    One refusal for "not yours" and "no such file", so an id reveals nothing.
    """
    refusal = NotAllowed("There is no such attachment.")
    attachment = session.get(Attachment, attachment_id) if actor is not None else None
    if attachment is None:
        raise refusal
    pq = session.get(PQ, attachment.pq_id)
    if pq is None or not _may_see_pq(session, actor, pq):
        raise refusal
    if attachment.note_id is not None and not actor.is_admin:
        note = session.get(PQNote, attachment.note_id)
        if note is None or note.pq_id != pq.id or note.note_type == INTERNAL:
            raise refusal
    return attachment
