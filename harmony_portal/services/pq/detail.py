"""One PQ's page: the PQ, its notes, attachments and history, with who may see them checked once."""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime

from sqlmodel import Session, col, select

from harmony_portal.models import PQ, Attachment, AuditEvent, PQNote, User
from harmony_portal.services.pq.access import INTERNAL, sees_internal, viewable_pq
from harmony_portal.services.pq.queries import _name
from harmony_portal.services.signing.queries import SigningPanel, signing_panel
from harmony_portal.vocabulary import ACCESS_REQUEST


@dataclass(frozen=True)
class NoteRow:
    id: int
    note_type: str
    status: str
    text: str
    author_id: int
    author_user_id: str
    author_name: str
    created_at: datetime


@dataclass(frozen=True)
class HistoryRow:
    """One change to a PQ or its notes, from the audit log."""

    at: datetime
    action: str
    actor_user_id: str
    actor_name: str
    detail: dict


@dataclass(frozen=True)
class PQPage:
    """Everything one PQ's page shows, as ``actor`` may see it."""

    pq: PQ
    notes: list[NoteRow]
    attachments: list[Attachment]
    history: list[HistoryRow]
    signing: SigningPanel | None = None  # an Access Request's form signed in the portal


def pq_page(session: Session, actor: User, pq_id: int) -> PQPage:
    """The PQ, its notes, attachments and history, with who may see them checked once.

    Four queries besides the check whatever the PQ holds: the notes (Internal ones among them,
    so their files and history lines can be left out without asking again), the attachments,
    the audit rows and their actors.
    """
    pq = viewable_pq(session, actor, pq_id)
    notes = _all_notes(session, pq)
    internal = set() if sees_internal(actor) else {n.id for n in notes if n.note_type == INTERNAL}
    return PQPage(pq=pq, notes=[n for n in notes if n.id not in internal],
                  attachments=_attachments(session, pq, internal), history=_history(session, actor, pq, internal),
                  signing=signing_panel(session, actor, pq) if pq.inquiry_type == ACCESS_REQUEST else None)


def _all_notes(session: Session, pq: PQ) -> list[NoteRow]:
    query = select(PQNote, User).join(User, User.id == PQNote.author_id).where(PQNote.pq_id == pq.id)
    return [NoteRow(id=n.id, note_type=n.note_type, status=n.status, text=n.text, author_id=u.id,
                    author_user_id=u.user_id, author_name=_name(u), created_at=n.created_at)
            for n, u in session.exec(query.order_by(col(PQNote.id)))]


def _attachments(session: Session, pq: PQ, internal_notes: set[int]) -> list[Attachment]:
    files = session.exec(select(Attachment).where(Attachment.pq_id == pq.id).order_by(col(Attachment.id)))
    return [a for a in files if a.note_id not in internal_notes]


def _history(session: Session, actor: User, pq: PQ, internal_notes: set[int]) -> list[HistoryRow]:
    """Read from the audit log by its indexed ``target`` (``pq:<id>``); changes about Internal
    notes only for the help desk."""
    events = session.exec(select(AuditEvent).where(AuditEvent.target == f"pq:{pq.id}")
                          .order_by(col(AuditEvent.id))).all()
    users = {u.id: u for u in session.exec(select(User).where(
        col(User.id).in_({e.actor_id for e in events if e.actor_id is not None})))}
    rows = []
    for event in events:
        detail = json.loads(event.detail or "{}")
        if detail.get("note_id") in internal_notes or (detail.get("note_type") == INTERNAL
                                                       and not sees_internal(actor)):
            continue
        user = users.get(event.actor_id)
        rows.append(HistoryRow(at=event.at, action=event.action, actor_user_id=user.user_id if user else "",
                               actor_name=_name(user), detail=detail))
    return rows
