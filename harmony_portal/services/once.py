"""One save per form: a create repeated with the key its form opened with returns the first row.

A node that stops after committing a save but before the page heard the answer leaves the form
filled in; the save sent again (by the person, or by the page on reconnecting) carries the same
key. Each table that takes such saves has a unique partial index on (owner, client_key).
"""

from __future__ import annotations

from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, select


def filed_with(session: Session, model, owner_column, owner_id: int, client_key: str | None):
    """The row ``owner_id`` already filed from the form opened with ``client_key``, if any."""
    if not client_key:
        return None
    return session.exec(select(model).where(owner_column == owner_id, model.client_key == client_key)).first()


def add_once(session: Session, row, model, owner_column, owner_id: int, client_key: str | None):
    """Add ``row``; if the same form's save won a race a moment ago, return that one instead (None: added).

    A savepoint keeps the rest of the caller's transaction when the unique index refuses the row.
    """
    try:
        with session.begin_nested():
            session.add(row)
            session.flush()
    except IntegrityError:
        if earlier := filed_with(session, model, owner_column, owner_id, client_key):
            return earlier
        raise
    return None
