"""What a transaction changed that others must hear about, told only after it commits.

A service records its change here, on the SQLAlchemy session it works in
(``requests_changed(session, {"123"})``); the first record in a transaction
registers one after-commit hook (``db.on_commit``); after a successful commit
every subscriber gets the whole set at once; after a rollback nobody hears
anything. The app subscribes: ``live/dispatch`` pushes queues and unread counts and
empties the feeds of ended sessions (``live/pq_pages`` and ``live/banner`` hear their
own kinds of change), ``server/mailer`` wakes the email sender. A command-line process
subscribes nothing, so its changes simply wait in the database.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field

from sqlmodel import Session

from harmony_portal.db import on_commit

log = logging.getLogger(__name__)
_KEY = "harmony_changes"
_subscribers: list[Callable[[Changes], None]] = []


@dataclass
class Changes:
    """Everything one transaction changed that someone else must be told."""

    request_orgs: set[str] = field(default_factory=set)  # organizations whose pending requests changed
    deciders: set[int] = field(default_factory=set)  # users whose set of decidable organizations changed
    ended_sessions: set[int] = field(default_factory=set)
    mail_queued: bool = False
    pqs_changed: set[int] = field(default_factory=set)  # PQs added, changed or noted (the help-desk queue)
    maintenance: bool = False  # the maintenance schedule or the announcements changed (every page's banner)
    notified_users: set[int] = field(default_factory=set)  # users whose in-app notifications changed
    review_orgs: set[str] = field(default_factory=set)  # organizations whose access-review rows changed
    role_holders: set[int] = field(default_factory=set)  # users whose roles (or their end dates) changed


def subscribe(subscriber: Callable[[Changes], None]) -> None:
    """Hear about every committed transaction's changes (called on the committing thread)."""
    _subscribers.append(subscriber)


def _publish(changes: Changes) -> None:
    for subscriber in _subscribers:
        try:
            subscriber(changes)
        except Exception:  # a notification must never undo or hide a committed change
            log.exception("change subscriber failed")


def _pending(session: Session) -> Changes:
    changes = session.info.get(_KEY)
    if changes is None:
        changes = session.info[_KEY] = Changes()
        on_commit(session, lambda: _publish(session.info.pop(_KEY, changes)))
    return changes


def requests_changed(session: Session, org_ids: Iterable[str]) -> None:
    _pending(session).request_orgs.update(org_ids)


def deciders_changed(session: Session, user_ids: Iterable[int]) -> None:
    _pending(session).deciders.update(user_ids)


def sessions_ended(session: Session, session_ids: Iterable[int]) -> None:
    _pending(session).ended_sessions.update(session_ids)


def mail_queued(session: Session) -> None:
    _pending(session).mail_queued = True


def pqs_changed(session: Session, pq_ids: Iterable[int]) -> None:
    _pending(session).pqs_changed.update(pq_ids)


def maintenance_changed(session: Session) -> None:
    _pending(session).maintenance = True
def notifications_changed(session: Session, user_ids: Iterable[int]) -> None:
    _pending(session).notified_users.update(user_ids)


def reviews_changed(session: Session, org_ids: Iterable[str]) -> None:
    _pending(session).review_orgs.update(org_ids)


def holders_changed(session: Session, user_ids: Iterable[int]) -> None:
    _pending(session).role_holders.update(user_ids)
