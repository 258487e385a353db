"""Attachments on a PQ's notes: the rows for files the private store has accepted."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime

from sqlmodel import Session

from harmony_portal.models import Attachment, PQNote, User, utc_now
from harmony_portal.services import changes
from harmony_portal.services.audit import trail as audit
from harmony_portal.services.errors import NotAllowed
from harmony_portal.services.pq.access import viewable_pq
from harmony_portal.services.pq.file_store import StoredFile

MAX_FILES_PER_NOTE = 10


def attach_files(session: Session, actor: User, pq_id: int, note_id: int, files: Iterable[StoredFile], *,
                 now: datetime | None = None) -> list[Attachment]:
    """Record files already stored (encrypted) against the actor's note on a PQ they can see; audited per file.

    Raises:
        NotAllowed: the PQ is not theirs to see, the note is not theirs on that PQ, or too many files.
    """
    now = now or utc_now()
    pq = viewable_pq(session, actor, pq_id)
    note = session.get(PQNote, note_id)
    if note is None or note.pq_id != pq.id or note.author_id != actor.id:
        raise NotAllowed("No such note.")
    files = list(files)
    if len(files) > MAX_FILES_PER_NOTE:
        raise NotAllowed(f"A note carries at most {MAX_FILES_PER_NOTE} files.")
    saved = []
    for stored in files:
        row = Attachment(pq_id=pq.id, note_id=note.id, filename=stored.filename, content_type=stored.content_type,
                         size=stored.size, sha256=stored.sha256, storage_key=stored.storage_key, pages=stored.pages,
                         uploaded_by_id=actor.id, created_at=now)
        session.add(row)
        session.flush()
        audit.record(session, "attachment.uploaded", actor_id=actor.id, organization_id=pq.organization_id,
                     target=f"pq:{pq.id}", now=now, attachment_id=row.id, note_id=note.id, size=stored.size,
                     sha256=stored.sha256)
        saved.append(row)
    if saved:
        changes.pqs_changed(session, {pq.id})
    return saved


def size_text(size: int) -> str:
    """A file's size as people read it: bytes, KB under 0.1 MB, else MB (decimal, as file managers show)."""
    if size < 1000:
        return f"{size} bytes"
    if size < 100_000:
        return f"{size / 1000:.1f} KB"
    return f"{size / 1_000_000:.1f} MB"
