"""Email: queued in the outbox inside the caller's transaction, claimed and sent after commit."""

from __future__ import annotations

import json
import logging
import os
import smtplib
import socket
import threading
import time
from datetime import datetime, timedelta
from email.message import EmailMessage
from urllib.parse import unquote, urlparse

from sqlalchemy import or_, update
from sqlalchemy.engine import Engine
from sqlmodel import Session, select

from harmony_portal.models import OutboxEmail, utc_now
from harmony_portal.services import changes
from harmony_portal.services.security import seal, unseal

log = logging.getLogger(__name__)
FROM_ADDRESS = "Harmony Portal <no-reply@harmony-portal.local>"
MAX_ATTEMPTS = 5  # a temporary refusal (4xx) is retried this many times, then given up
FIRST_RETRY = timedelta(minutes=1)  # then 2, 4, 8 minutes: each retry waits twice as long
LEASE = timedelta(minutes=2)  # a claim older than this is free again (its sender died)
BATCH = 50  # emails claimed at once by one sender


SUBJECT_MAX = 200  # OutboxEmail.subject's column length


class _ConnectionLost(Exception):
    """The SMTP connection failed mid-batch: not the message's fault, so stop the batch."""


def header_safe_subject(subject: str) -> str:
    """One line that fits the subject column.

    Subjects are built from names people typed (an organization's name, a role): a line
    break would make the message unsendable (or inject a header), and a long name would
    overflow the column.
    """
    line = " ".join("".join(c if c.isprintable() else " " for c in subject).split())
    return line if len(line) <= SUBJECT_MAX else line[:SUBJECT_MAX - 1] + "\u2026"


def queue_email(session: Session, to: str, subject: str, body: str, *,
                sealed: dict[str, str] | None = None) -> OutboxEmail:
    """Add an email to the outbox; it leaves only if the transaction commits.

    Each ``{{name}}`` in ``body`` is replaced at send time by ``sealed[name]``, which
    the outbox keeps encrypted until then: a database reader never sees it.
    """
    email = OutboxEmail(to_address=to, subject=header_safe_subject(subject), body=body,
                        sealed=seal(json.dumps(sealed)) if sealed else "")
    session.add(email)
    changes.mail_queued(session)  # the sender is woken once this commits
    return email


def rendered_body(email: OutboxEmail) -> str:
    """The body as it is sent: placeholders filled from the sealed values."""
    body = email.body
    for name, value in (json.loads(unseal(email.sealed)) if email.sealed else {}).items():
        body = body.replace("{{" + name + "}}", value)
    return body


def _smtp_client(smtp_url: str) -> smtplib.SMTP:
    url = urlparse(smtp_url)
    port = url.port or (465 if url.scheme == "smtps" else 25)
    client: smtplib.SMTP
    if url.scheme == "smtps":
        client = smtplib.SMTP_SSL(url.hostname or "localhost", port, timeout=10)
    else:
        client = smtplib.SMTP(url.hostname or "localhost", port, timeout=10)
        if url.scheme == "smtp+starttls":
            client.starttls()
    if url.username:
        client.login(unquote(url.username), unquote(url.password or ""))
    return client


def _message(email: OutboxEmail) -> EmailMessage:
    message = EmailMessage()
    message["From"] = FROM_ADDRESS
    message["To"] = email.to_address
    message["Subject"] = email.subject
    message.set_content(rendered_body(email))
    return message


def _is_permanent(exc: Exception) -> bool:
    """A 5xx answer (or a message that can't even be built) will never succeed."""
    if isinstance(exc, smtplib.SMTPRecipientsRefused):
        return all(code >= 500 for code, _ in exc.recipients.values())
    if isinstance(exc, smtplib.SMTPResponseException):
        return exc.smtp_code >= 500
    return not isinstance(exc, smtplib.SMTPException)


def _retry_later(email: OutboxEmail, error: str, now: datetime, *, permanent: bool = False) -> None:
    """Record why; give up on a permanent refusal or after MAX_ATTEMPTS, else wait longer each time."""
    email.last_error = error[:500]
    if permanent or email.attempts >= MAX_ATTEMPTS:
        email.failed_at = now
        email.sealed = ""
    else:
        email.next_attempt_at = now + FIRST_RETRY * 2 ** (email.attempts - 1)


def _send_one(client: smtplib.SMTP, email: OutboxEmail, now: datetime) -> bool:
    """Try one email; record the outcome on the row. True when the server took it."""
    email.attempts += 1
    try:
        client.send_message(_message(email))
    except smtplib.SMTPServerDisconnected as exc:
        # Perhaps this very message drops the connection: it waits its turn like a refusal,
        # so it can't hold up the outbox.
        _retry_later(email, f"connection lost: {exc}", now)
        raise _ConnectionLost from exc
    # SMTPException is an OSError: the server's refusals are caught before socket errors.
    except (smtplib.SMTPException, ValueError, UnicodeError, RuntimeError) as exc:
        _retry_later(email, str(exc) or type(exc).__name__, now, permanent=_is_permanent(exc))
        return False
    except OSError as exc:
        _retry_later(email, f"connection lost: {exc}", now)
        raise _ConnectionLost from exc
    email.sent_at = now
    email.sealed = ""  # sent: the link need not be kept any longer
    return True


def default_worker() -> str:
    """Who is claiming: host, process and thread (shown while a claim is held)."""
    return f"{socket.gethostname()}:{os.getpid()}:{threading.current_thread().name}"[:100]


def claim_emails(engine: Engine, worker: str, now: datetime, limit: int = BATCH) -> list[int]:
    """Claim up to ``limit`` emails that are due; returns their ids, oldest first.

    One statement, ``UPDATE … WHERE id IN (SELECT … FOR UPDATE SKIP LOCKED) RETURNING id``:
    on PostgreSQL concurrent senders pass over each other's rows instead of waiting or
    taking them too; SQLite runs one writing statement at a time (and has no FOR UPDATE).
    A claim older than LEASE is free again: its sender died or hung.
    """
    due = (select(OutboxEmail.id)
           .where(OutboxEmail.sent_at.is_(None), OutboxEmail.failed_at.is_(None),
                  or_(OutboxEmail.next_attempt_at.is_(None), OutboxEmail.next_attempt_at <= now),
                  or_(OutboxEmail.claimed_at.is_(None), OutboxEmail.claimed_at < now - LEASE))
           .order_by(OutboxEmail.id).limit(limit).with_for_update(skip_locked=True))
    claim = (update(OutboxEmail).where(OutboxEmail.id.in_(due.scalar_subquery()))
             .values(claimed_at=now, claimed_by=worker).returning(OutboxEmail.id))
    with engine.begin() as connection:
        return sorted(connection.execute(claim).scalars())


def _unclaim(session: Session, emails: list[OutboxEmail]) -> None:
    for email in emails:
        email.claimed_at, email.claimed_by = None, ""
        session.add(email)
    session.commit()


def deliver_outbox(engine: Engine, smtp_url: str | None, *, worker: str | None = None,
                   now: datetime | None = None, limit: int = BATCH) -> int:
    """Claim a batch of due emails and send it through ``smtp_url``; returns how many were sent.

    Any number of senders, in any process on any node, may run this at once: each email
    is claimed by one of them and sent once. One bad email never blocks the rest: a
    refused one is marked failed with the error (or, refused for now, waits its turn to
    be tried again) and the rest go out. Without an SMTP URL the emails stay in the
    outbox (the admin Outbox page shows them).

    Args:
        worker: who claims (shown on the rows while held); host, process and thread by default.
        now: the moment of this run: what is due, when a retry falls due, when it was sent.
        limit: how many emails to claim at once.
    """
    if not smtp_url:
        return 0
    now = now or utc_now()
    ids = claim_emails(engine, worker or default_worker(), now, limit)
    if not ids:
        return 0
    sent = 0
    with Session(engine, expire_on_commit=False) as session:
        batch = list(session.exec(select(OutboxEmail).where(OutboxEmail.id.in_(ids)).order_by(OutboxEmail.id)))
        try:
            client = _smtp_client(smtp_url)
        except (OSError, smtplib.SMTPException) as exc:
            log.warning("SMTP server unreachable: %s", exc)
            _unclaim(session, batch)
            return 0
        # Stop well inside the lease, so no other sender can take an email this one is sending.
        deadline = time.monotonic() + LEASE.total_seconds() / 2
        with client:
            while batch and time.monotonic() < deadline:
                email = batch.pop(0)
                try:
                    sent += _send_one(client, email, now)
                except _ConnectionLost:
                    log.warning("SMTP connection lost: %s", email.last_error)
                    break
                finally:
                    # Commit each outcome at once: a crash later must not send this one again.
                    _unclaim(session, [email])
        _unclaim(session, batch)  # what is left goes back to the outbox for the next round
    return sent
