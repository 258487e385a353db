"""Server-side drafts of the long forms (Add PQ, Add Note): nothing typed is lost.

A draft belongs to one user; its key names the form (``"new"`` for a new PQ, the PQ's
id for a note on it). Saving is an upsert (one row per user, kind and key, a unique
constraint makes two tabs saving at once safe) and is allowed during maintenance. Drafts
are the user's own scratch copy, changed by no one else, so they are not audited.
"""

from __future__ import annotations

import json
from datetime import datetime

from sqlalchemy.dialects import postgresql, sqlite
from sqlmodel import Session, delete, select

from harmony_portal.models import Draft, User, utc_now
from harmony_portal.services.errors import Invalid, NotAllowed
from harmony_portal.services.pq.access import viewable_pq

KINDS = frozenset({"pq", "note"})
MAX_BYTES = 64_000  # a PQ's Details and a Note are 10,000 characters each; room to spare
KEY_MAX = 64


def _check(session: Session, actor: User, kind: str, key: str) -> str:
    if actor is None or actor.id is None:
        raise NotAllowed("Sign in to keep a draft.")
    if kind not in KINDS:
        raise Invalid("kind", "Unknown kind of draft.")
    key = str(key).strip()
    if len(key) > KEY_MAX:
        raise Invalid("key", "Draft key too long.")
    if kind == "note":
        viewable_pq(session, actor, key)  # a note draft sits on a PQ the author may see
    return key


def save_draft(session: Session, actor: User, kind: str, key: str | int, data: dict, *,
               now: datetime | None = None) -> None:
    """Keep ``data`` (a JSON-serialisable dict of field values) as ``actor``'s draft.

    Raises:
        Invalid: unknown kind, or a draft larger than ``MAX_BYTES``.
        NotAllowed: a note draft on a PQ the actor may not see.
    """
    now = now or utc_now()
    key = _check(session, actor, kind, str(key))
    if not isinstance(data, dict):
        raise Invalid("data", "A draft is a set of fields.")
    try:
        payload = json.dumps(data, separators=(",", ":"), ensure_ascii=False)
    except (TypeError, ValueError) as error:
        raise Invalid("data", "A draft holds text fields only.") from error
    if len(payload.encode()) > MAX_BYTES:
        raise Invalid("data", "This draft is too large to keep.")
    dialect = session.get_bind().dialect.name
    insert = postgresql.insert if dialect == "postgresql" else sqlite.insert
    statement = insert(Draft).values(user_id=actor.id, kind=kind, key=key, data=payload, updated_at=now)
    session.execute(statement.on_conflict_do_update(
        index_elements=["user_id", "kind", "key"], set_={"data": payload, "updated_at": now}))


def load_draft(session: Session, actor: User, kind: str, key: str | int) -> dict | None:
    """``actor``'s own draft, or None (another user's draft is never returned)."""
    key = _check(session, actor, kind, str(key))
    draft = session.exec(select(Draft).where(Draft.user_id == actor.id, Draft.kind == kind,
                                             Draft.key == key)).first()
    if draft is None:
        return None
    try:
        data = json.loads(draft.data)
    except ValueError:
        return None
    return data if isinstance(data, dict) else None


def discard_draft(session: Session, actor: User, kind: str, key: str | int) -> None:
    """Forget ``actor``'s draft (after a save); someone else's is untouched."""
    if kind not in KINDS or actor is None or actor.id is None:
        return
    session.exec(delete(Draft).where(Draft.user_id == actor.id, Draft.kind == kind, Draft.key == str(key).strip()))
