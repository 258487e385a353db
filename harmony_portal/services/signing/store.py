"""A form's PDF in the private attachment store: each revision an attachment of its PQ."""

from __future__ import annotations

import logging
from datetime import datetime

from sqlmodel import Session

from harmony_portal.models import Attachment, SigningForm, User
from harmony_portal.services.pq import file_store

log = logging.getLogger(__name__)


def stored_pdf(session: Session, form: SigningForm) -> bytes | None:
    """The form's latest revision; None when it can't be read (missing or failing its integrity check)."""
    attachment = session.get(Attachment, form.attachment_id) if form.attachment_id else None
    if attachment is None:
        return None
    try:
        return b"".join(file_store.open_plain(attachment.storage_key))
    except (FileNotFoundError, file_store.StoreDamaged):
        log.error("the signed form of form %s can't be read", form.id)
        return None


def store_revision(session: Session, form: SigningForm, pdf: bytes, signed: int, actor: User,
                   now: datetime) -> Attachment:
    """Keep ``pdf`` (encrypted, private) as the form's latest revision, an attachment of its PQ."""
    name = f"harmony-access-request-pq-{form.pq_id}-signed-{signed}-of-3.pdf"
    with file_store.AttachmentWriter(name) as writer:
        writer.write(pdf)
        stored = writer.finish()
    row = Attachment(pq_id=form.pq_id, filename=stored.filename, content_type=stored.content_type, size=stored.size,
                     sha256=stored.sha256, storage_key=stored.storage_key, pages=stored.pages,
                     uploaded_by_id=actor.id, created_at=now)
    session.add(row)
    session.flush()
    return row
