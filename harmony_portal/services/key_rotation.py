"""Rewriting what older keys encrypted under the current one (``harmony-portal rotate-key``).

Run it after HARMONY_SECRET_KEY changed and the old key went into HARMONY_OLD_SECRET_KEYS,
while the portal keeps serving: attachments are rewritten one at a time (a new file, then one
rename), sealed TOTP secrets and one-time links with a conditional UPDATE each (a device
changed meanwhile is left as its new value). Anything already under the current key is
skipped, so a run that stops part way is simply run again. When it reports nothing left, the
old key can be dropped, except for what can't be rewritten: recovery and enrolment codes and
backup signatures are keyed hashes of values the portal never keeps, so they stay checkable
under the old key only while it is configured (see docs/deployment.md).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from sqlalchemy import update
from sqlmodel import col, select

from harmony_portal.db import session_scope
from harmony_portal.models import Attachment, OutboxEmail, TotpDevice
from harmony_portal.services.pq import file_store
from harmony_portal.services.security import seal, sealed_under_current_key, unseal

BATCH = 200


@dataclass
class Rotation:
    files: int = 0  # rewritten under the current key
    secrets: int = 0  # TOTP secrets and sealed links resealed
    missing: int = 0  # attachment rows whose file is not in the store


def rotate(*, progress: Callable[[str], None] = lambda _line: None) -> Rotation:
    """Rewrite every file and sealed secret not yet under the current key; safe to run again."""
    done = Rotation()
    _rotate_files(done, progress)
    for model, column in ((TotpDevice, TotpDevice.secret), (OutboxEmail, OutboxEmail.sealed)):
        _reseal(model, column, done, progress)
    return done


def _rotate_files(done: Rotation, progress: Callable[[str], None]) -> None:
    after = 0
    while True:
        with session_scope() as session:
            batch = session.exec(select(Attachment.id, Attachment.storage_key).where(Attachment.id > after)
                                 .order_by(col(Attachment.id)).limit(BATCH)).all()
        if not batch:
            return
        for _id, storage_key in batch:
            try:
                done.files += file_store.rekey_stored(storage_key)
            except FileNotFoundError:
                done.missing += 1
        after = batch[-1][0]
        progress(f"attachments: {done.files} rewritten so far (up to id {after})")


def _reseal(model, column, done: Rotation, progress: Callable[[str], None]) -> None:
    after = 0
    while True:
        with session_scope() as session:
            batch = session.exec(select(model.id, column).where(model.id > after, column != "")
                                 .order_by(col(model.id)).limit(BATCH)).all()
            for row_id, sealed in batch:
                if sealed_under_current_key(sealed):
                    continue
                # Only if unchanged since read: a device re-enrolled meanwhile keeps its new secret.
                changed = session.execute(update(model).where(col(model.id) == row_id, column == sealed)
                                          .values({column.key: seal(unseal(sealed))}))
                done.secrets += changed.rowcount
        if not batch:
            return
        after = batch[-1][0]
        progress(f"{model.__tablename__}: {done.secrets} resealed so far (up to id {after})")
