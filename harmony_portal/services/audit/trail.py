"""Audit log writes, the hash-chain check and retention pruning.

Every row carries the hash of the row before it, so a deleted or edited row
breaks the chain at that point. Secrets never go into ``detail``.

The log is append-only: the ORM refuses to flush a changed or deleted audit row, or to run
an UPDATE or DELETE on the table (``AppendOnly``). The one exception is ``prune``, which
removes the oldest rows past retention after appending an ``audit.pruned`` checkpoint naming
the hash the first kept row chains to; ``verify_chain`` trusts that row's ``prev_hash`` only
when such a checkpoint, itself inside the chain, vouches for it.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import delete, func, text
from sqlalchemy import event as sa_event
from sqlalchemy.orm import Session as OrmSession
from sqlmodel import Session, col, select

from harmony_portal.models import AuditEvent, utc_now

# Keys that must never be written into an audit row, whatever a caller passes.
_FORBIDDEN_KEYS = {"password", "code", "secret", "token", "answer", "recovery_code"}
_CHAIN_LOCK_ID = 7_311_001
_HEAD_KEY = "audit_chain_head"
_PRUNING_KEY = "audit_pruning"
PRUNED = "audit.pruned"
# Rows read per query by verify_chain: memory stays flat however long the log is.
VERIFY_BATCH = 5000
_HASHED = (AuditEvent.id, AuditEvent.at, AuditEvent.action, AuditEvent.actor_id, AuditEvent.subject_user_id,
           AuditEvent.organization_id, AuditEvent.target, AuditEvent.ip, AuditEvent.detail, AuditEvent.prev_hash,
           AuditEvent.hash)


class AppendOnly(RuntimeError):
    """Code tried to change or delete an audit row: a programming error, never a user's."""


def _row_hash(event) -> str:
    """The hash of a row (an AuditEvent or a selected row with its columns)."""
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


def _lock_chain(session: Session) -> None:
    if session.get_bind().dialect.name == "postgresql":
        # Serialise appenders (and pruning) so two transactions never chain onto the same row.
        session.execute(text("SELECT pg_advisory_xact_lock(:k)"), {"k": _CHAIN_LOCK_ID})


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
        _lock_chain(session)
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


@sa_event.listens_for(OrmSession, "before_flush")
def _refuse_changed_rows(session, _context, _instances) -> None:
    if any(isinstance(obj, AuditEvent) for obj in session.deleted) or any(
            isinstance(obj, AuditEvent) and session.is_modified(obj) for obj in session.dirty):
        raise AppendOnly("audit rows are never changed or deleted")


@sa_event.listens_for(OrmSession, "do_orm_execute")
def _refuse_bulk_changes(state) -> None:
    if not (state.is_update or state.is_delete) or state.session.info.get(_PRUNING_KEY):
        return
    target = getattr(state.statement, "table", None)
    if target is AuditEvent.__table__ or any(m.class_ is AuditEvent for m in state.all_mappers):
        raise AppendOnly("audit rows are never changed or deleted (only prune removes the oldest)")


@dataclass(frozen=True)
class Pruned:
    """What ``prune`` removed: ``rows`` rows up to id ``through_id``, vouched for by ``checkpoint_id``."""

    rows: int
    through_id: int | None = None
    checkpoint_id: int | None = None


def prune(session: Session, cutoff: datetime, *, now: datetime | None = None) -> Pruned:
    """Delete the oldest rows, those written before ``cutoff``, leaving a chain that still verifies.

    Only an unbroken run of the oldest ids goes: a row dated before ``cutoff`` but written
    after a newer one (a caller's own clock) waits for a later prune, so no gap opens inside
    the chain. The checkpoint is appended first, in the same transaction as the delete.
    """
    _lock_chain(session)
    first_kept = session.exec(select(AuditEvent.id).where(col(AuditEvent.at) >= cutoff)
                              .order_by(AuditEvent.id).limit(1)).first()
    newest_pruned = select(AuditEvent.id, AuditEvent.hash).order_by(col(AuditEvent.id).desc()).limit(1)
    if first_kept is not None:
        newest_pruned = newest_pruned.where(col(AuditEvent.id) < first_kept)
    last = session.exec(newest_pruned).first()
    if last is None:
        return Pruned(0)
    rows = session.exec(select(func.count()).select_from(AuditEvent).where(col(AuditEvent.id) <= last.id)).one()
    checkpoint = record(session, PRUNED, now=now, pruned_through_id=last.id, last_pruned_hash=last.hash,
                        rows=rows, cutoff=cutoff.isoformat())
    session.flush()
    session.info[_PRUNING_KEY] = True
    try:
        session.execute(delete(AuditEvent).where(col(AuditEvent.id) <= last.id),
                        execution_options={"synchronize_session": False})
    finally:
        session.info.pop(_PRUNING_KEY, None)
    return Pruned(rows, last.id, checkpoint.id)


def _vouched(session: Session) -> dict[str, int]:
    """The last pruned row's hash -> its id, for every checkpoint in the log."""
    vouched = {}
    for detail in session.exec(select(AuditEvent.detail).where(AuditEvent.action == PRUNED)):
        try:
            facts = json.loads(detail)
            vouched[str(facts["last_pruned_hash"])] = int(facts["pruned_through_id"])
        except (ValueError, KeyError, TypeError):
            continue  # not a checkpoint this code wrote: it vouches for nothing
    return vouched


def _in_order(session: Session, batch: int):
    after = 0
    while True:
        rows = session.exec(select(*_HASHED).where(col(AuditEvent.id) > after)
                            .order_by(AuditEvent.id).limit(batch)).all()
        yield from rows
        if len(rows) < batch:
            return
        after = rows[-1].id


def verify_chain(session: Session, batch: int = VERIFY_BATCH) -> int | None:
    """The id of the first row whose chain is broken, or None when whole.

    The oldest row starts the chain (``prev_hash`` empty) or follows pruned rows, which a
    checkpoint row must vouch for (the hash and an id below it); every later row follows the
    one before it, and every row's hash must match its content.
    """
    vouched = _vouched(session)
    prev = None
    for row in _in_order(session, batch):
        if prev is None:
            whole = row.prev_hash == "" or vouched.get(row.prev_hash, row.id) < row.id
        else:
            whole = row.prev_hash == prev
        if not whole or _row_hash(row) != row.hash:
            return row.id
        prev = row.hash
    return None
