"""Telling people: an in-app notification and an email, both inside the caller's transaction.

``tell`` is how a service tells someone of a change: the notification is always written;
the email is queued in the outbox unless the person turned that category of email off
(security emails can't be). Nothing is sent here: after the commit, the outbox's one
sender (``services/mail/outbox``, run by ``server/mailer``) claims and sends it.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import insert
from sqlmodel import Session

from harmony_portal.models import OutboxEmail, User, utc_now
from harmony_portal.services import changes
from harmony_portal.services.notifications import in_app as notifications
from harmony_portal.services.notifications.email_preferences import recipients_wanting
from harmony_portal.services.security import seal, unseal

SUBJECT_MAX = 200  # OutboxEmail.subject's column length


def header_safe_subject(subject: str) -> str:
    """One line that fits the subject column.

    Subjects are built from names people typed (an organization's name, a role): a line
    break would make the message unsendable (or inject a header), and a long name would
    overflow the column.
    """
    line = " ".join("".join(c if c.isprintable() else " " for c in subject).split())
    return line if len(line) <= SUBJECT_MAX else line[:SUBJECT_MAX - 1] + "\u2026"


def queue_email(session: Session, to: str, subject: str, body: str, *, category: str = "",
                sealed: dict[str, str] | None = None) -> OutboxEmail:
    """Add an email to the outbox; it leaves only if the transaction commits.

    For an address that is nobody's account yet (a new address to confirm); every other
    email goes through ``tell``, which honours the person's choices.

    Each ``{{name}}`` in ``body`` is replaced at send time by ``sealed[name]``, which
    the outbox keeps encrypted until then: a database reader never sees it.
    """
    email = OutboxEmail(to_address=to, subject=header_safe_subject(subject), body=body, category=category,
                        sealed=seal(json.dumps(sealed)) if sealed else "")
    session.add(email)
    changes.mail_queued(session)  # the sender is woken once this commits
    return email


def queue_emails(session: Session, addresses: Iterable[str], subject: str, body: str, *, category: str = "",
                 sealed: dict[str, str] | None = None) -> None:
    """``queue_email`` to each of ``addresses``, in one statement."""
    addresses = list(addresses)
    if not addresses:
        return
    now = utc_now()
    subject = header_safe_subject(subject)
    session.execute(insert(OutboxEmail), [
        {"to_address": to, "subject": subject, "body": body, "category": category, "created_at": now,
         "sealed": seal(json.dumps(sealed)) if sealed else "", "attempts": 0, "last_error": "", "claimed_by": ""}
        for to in addresses])
    changes.mail_queued(session)


def rendered_body(email: OutboxEmail) -> str:
    """The body as it is sent: placeholders filled from the sealed values."""
    body = email.body
    for name, value in (json.loads(unseal(email.sealed)) if email.sealed else {}).items():
        body = body.replace("{{" + name + "}}", value)
    return body


def tell(session: Session, user: User, category: str, title: str, *, email: str, note: str = "",
         link: str = "", to: str | None = None, sealed: dict[str, str] | None = None,
         now: datetime | None = None) -> None:
    """Tell ``user`` of a change: a notification in the portal, and an email if they want it.

    Args:
        category: one of ``services/email_preferences``; SECURITY emails are always sent.
        title: the notification's title and the email's subject.
        email: the email's body.
        note: the notification's text: no greeting, no secrets (it is shown in the portal).
        link: the page the notification leads to (a path inside the portal).
        to: the address, when it is not the account's own (an old address told of a change).
        sealed: values kept encrypted until sent (see ``queue_email``); never in ``note``.
    """
    tell_each(session, [user], category, title, email=email, note=note, link=link, to=to, sealed=sealed,
              now=now)


def tell_each(session: Session, users: Iterable[User], category: str, title: str, *, email: str,
              note: str = "", link: str = "", to: str | None = None, sealed: dict[str, str] | None = None,
              now: datetime | None = None) -> None:
    """``tell`` several people the same thing, with one look at their email choices."""
    users = list(users)
    wanting = recipients_wanting(session, {u.id for u in users}, category)
    notifications.add_each(session, [u.id for u in users], category, title, note, link, now=now)
    queue_emails(session, [to or u.email for u in users if u.id in wanting], title, email, category=category,
                 sealed=sealed)


@dataclass(frozen=True)
class News:
    """One person's own news, for ``tell_many``."""

    user: User
    title: str
    note: str
    email: str
    link: str = ""


def tell_many(session: Session, news: list[News], category: str, *, now: datetime | None = None) -> None:
    """``tell`` each person their own news, with one look at everyone's email choices, one insert of the
    notifications and one of the emails (a sweep ending thousands of roles)."""
    if not news:
        return
    now = now or utc_now()
    wanting = recipients_wanting(session, {n.user.id for n in news}, category)
    notifications.add_many(session, [(n.user.id, n.title, n.note, n.link) for n in news], category, now=now)
    emails = [{"to_address": n.user.email, "subject": header_safe_subject(n.title), "body": n.email,
               "category": category, "created_at": now, "sealed": "", "attempts": 0, "last_error": "",
               "claimed_by": ""} for n in news if n.user.id in wanting]
    if emails:
        session.execute(insert(OutboxEmail), emails)
        changes.mail_queued(session)
