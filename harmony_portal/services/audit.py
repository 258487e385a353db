"""Audit log writes and the hash-chain check.

Every row carries the hash of the row before it, so a deleted or edited row
breaks the chain at that point. Secrets never go into ``detail``.
"""

from __future__ import annotations

import hashlib
import json
from datetime import datetime

from sqlalchemy import event as sa_event
from sqlalchemy import text
from sqlalchemy.orm import Session as OrmSession
from sqlmodel import Session, select

from harmony_portal.models import AuditEvent, utc_now

# Keys that must never be written into an audit row, whatever a caller passes.
_FORBIDDEN_KEYS = {"password", "code", "secret", "token", "answer", "recovery_code"}
_CHAIN_LOCK_ID = 7_311_001
_HEAD_KEY = "audit_chain_head"


def _row_hash(event: AuditEvent) -> str:
    payload = json.dumps(
        [
            event.prev_hash,
            event.at.isoformat(),
            event.action,
            event.actor_id,
            event.subject_user_id,
            event.organization_id,
            event.target,
            event.ip,
            event.detail,
        ],
        separators=(",", ":"),
    )
    return hashlib.sha256(payload.encode()).hexdigest()


def record(
    session: Session,
    action: str,
    *,
    actor_id: int | None = None,
    subject_user_id: int | None = None,
    organization_id: str | None = None,
    target: str = "",
    ip: str = "",
    now: datetime | None = None,
    **detail: object,
) -> AuditEvent:
    """Add one audit row to the caller's transaction."""
    leaked = _FORBIDDEN_KEYS.intersection(detail)
    if leaked:
        raise ValueError(f"audit detail may not carry {sorted(leaked)}")
    last = session.info.get(_HEAD_KEY)
    if last is None:
        if session.get_bind().dialect.name == "postgresql":
            # Serialise appenders so two transactions never chain onto the same row.
            session.execute(text("SELECT pg_advisory_xact_lock(:k)"), {"k": _CHAIN_LOCK_ID})
        last = session.exec(select(AuditEvent.hash).order_by(AuditEvent.id.desc()).limit(1)).first() or ""
    event = AuditEvent(
        at=now or utc_now(),
        action=action,
        actor_id=actor_id,
        subject_user_id=subject_user_id,
        organization_id=organization_id,
        # Cut to the columns: an audit row must never be what makes a change fail.
        target=target[:120],
        ip=ip[:64],
        detail=json.dumps(detail, sort_keys=True, default=str),
        prev_hash=last,
    )
    event.hash = _row_hash(event)
    # No flush here: rows of one table are inserted in the order they were added,
    # so a bulk decision's hundreds of rows go out in one batch, chain intact.
    session.add(event)
    # The chain head stays valid while this transaction holds the lock (bulk
    # decisions write hundreds of rows); it is forgotten when the transaction ends.
    session.info[_HEAD_KEY] = event.hash
    return event


@sa_event.listens_for(OrmSession, "after_transaction_end")
def _forget_chain_head(session, _transaction) -> None:
    session.info.pop(_HEAD_KEY, None)


def verify_chain(session: Session) -> int | None:
    """The id of the first row whose chain is broken, or None when whole."""
    prev = ""
    for event in session.exec(select(AuditEvent).order_by(AuditEvent.id)):
        if event.prev_hash != prev or _row_hash(event) != event.hash:
            return event.id
        prev = event.hash
    return None
