"""The one sender of the outbox: claim due emails, send them over SMTP, record each outcome.

``server/mailer`` runs ``deliver_outbox`` after every commit that queued mail and on a poll;
nothing else in the portal talks to an SMTP server.
"""

from __future__ import annotations

import base64
import logging
import os
import re
import smtplib
import socket
import threading
import time
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from email.message import EmailMessage
from email.utils import format_datetime, parseaddr
from urllib.parse import unquote, urlparse

from sqlalchemy import or_, update
from sqlalchemy.engine import Engine
from sqlmodel import Session, select

from harmony_portal.models import OutboxEmail, utc_now
from harmony_portal.services.notifications.notify import rendered_body
from harmony_portal.settings import get_settings

log = logging.getLogger(__name__)
LEASE = timedelta(minutes=2)  # a claim older than this is free again (its sender died)
BATCH = 50  # emails claimed at once by one sender
ERROR_MAX = 500  # OutboxEmail.last_error's column length


@dataclass(frozen=True)
class RetryPolicy:
    """How long a failing email is tried: ``max_attempts`` in all, waiting ``first_retry``,
    then twice as long each time; then it is marked failed."""

    max_attempts: int
    first_retry: timedelta

    @classmethod
    def from_settings(cls) -> RetryPolicy:
        settings = get_settings()
        return cls(settings.harmony_mail_max_attempts, timedelta(seconds=settings.harmony_mail_first_retry_seconds))


class _ConnectionLost(Exception):
    """The SMTP connection failed mid-batch: not the message's fault, so stop the batch."""


_USERINFO = re.compile(r"([a-z][a-z0-9+.-]*://)[^/\s@]*@", re.IGNORECASE)
_AUTH_ARGUMENT = re.compile(r"\b(AUTH\s+[A-Z0-9-]+)\s+\S+", re.IGNORECASE)


def _secrets_of(smtp_url: str | None) -> list[str]:
    """The SMTP user name and password as they may appear in an error: plain, URL-quoted, base64."""
    if not smtp_url:
        return []
    url = urlparse(smtp_url)
    user, password = unquote(url.username or ""), unquote(url.password or "")
    found = [password, url.password or ""]
    if len(user) >= 3:  # a one-letter user name would blank out every such letter in the message
        found += [user, url.username or "", base64.b64encode(user.encode()).decode()]
    if password:
        found += [base64.b64encode(password.encode()).decode(),
                  base64.b64encode(f"\0{user}\0{password}".encode()).decode()]
    return sorted({s for s in found if s}, key=len, reverse=True)


def sanitized_error(text: str, smtp_url: str | None = None) -> str:
    """An error as it may be stored and shown: one line, without the SMTP credentials.

    Servers and libraries echo what they were given (a URL with its user and password, an
    AUTH exchange); none of it may reach the outbox table or the admin page.
    """
    text = _AUTH_ARGUMENT.sub(r"\1 ***", _USERINFO.sub(r"\1***@", text))
    for secret in _secrets_of(smtp_url):
        text = text.replace(secret, "***")
    line = " ".join(text.split())
    return line if len(line) <= ERROR_MAX else line[:ERROR_MAX - 1] + "\u2026"


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


def _message(email: OutboxEmail, now: datetime) -> EmailMessage:
    """The email as relays expect it: a sender of the portal's own domain (SPF/DMARC), a date,
    an id that stays the same when the same email is retried, and marked as automatic so that
    out-of-office replies stay away."""
    sender = get_settings().harmony_mail_from
    domain = parseaddr(sender)[1].rpartition("@")[2] or "localhost"
    message = EmailMessage()
    message["From"] = sender
    message["To"] = email.to_address
    message["Subject"] = email.subject
    message["Date"] = format_datetime(now if now.tzinfo else now.replace(tzinfo=UTC))
    message["Message-ID"] = f"<outbox.{email.id}.{int(email.created_at.timestamp())}@{domain}>"
    message["Auto-Submitted"] = "auto-generated"
    message.set_content(rendered_body(email))
    return message


def _is_permanent(exc: Exception) -> bool:
    """A 5xx answer (or a message that can't even be built) will never succeed."""
    if isinstance(exc, smtplib.SMTPRecipientsRefused):
        return all(code >= 500 for code, _ in exc.recipients.values())
    if isinstance(exc, smtplib.SMTPResponseException):
        return exc.smtp_code >= 500
    return not isinstance(exc, smtplib.SMTPException)


@dataclass(frozen=True)
class _Run:
    """One delivery round: when it runs, through which server, with what patience."""

    now: datetime
    smtp_url: str
    policy: RetryPolicy

    def failed(self, email: OutboxEmail, error: str, *, permanent: bool = False) -> None:
        """Count the attempt and record why (no credentials); give up on a permanent refusal or
        after the last attempt, else wait twice as long as last time."""
        email.attempts += 1
        email.last_error = sanitized_error(error, self.smtp_url)
        if permanent or email.attempts >= self.policy.max_attempts:
            email.failed_at, email.next_attempt_at = self.now, None
            email.sealed = ""  # a one-time link is not kept for an email that will not go
        else:
            email.next_attempt_at = self.now + self.policy.first_retry * 2 ** (email.attempts - 1)


def _send_one(client: smtplib.SMTP, email: OutboxEmail, run: _Run) -> bool:
    """Try one email; record the outcome on the row. True when the server took it."""
    try:
        client.send_message(_message(email, run.now))
    except smtplib.SMTPServerDisconnected as exc:
        # Perhaps this very message drops the connection: it waits its turn like a refusal,
        # so it can't hold up the outbox.
        run.failed(email, f"connection lost: {exc}")
        raise _ConnectionLost from exc
    # SMTPException is an OSError: the server's refusals are caught before socket errors.
    except (smtplib.SMTPException, ValueError, UnicodeError, RuntimeError) as exc:
        run.failed(email, str(exc) or type(exc).__name__, permanent=_is_permanent(exc))
        return False
    except OSError as exc:
        run.failed(email, f"connection lost: {exc}")
        raise _ConnectionLost from exc
    email.attempts += 1
    email.sent_at = run.now
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
                   now: datetime | None = None, limit: int = BATCH, policy: RetryPolicy | None = None) -> int:
    """Claim a batch of due emails and send it through ``smtp_url``; returns how many were sent.

    Any number of senders, in any process on any node, may run this at once: each email
    is claimed by one of them and sent once. One bad email never blocks the rest: a
    refused one is marked failed with the error (or, refused for now, waits its turn to
    be tried again) and the rest go out. A server that can't be reached costs every
    claimed email an attempt, so an outage ends in "failed" (for an administrator to retry)
    rather than in mail that silently never leaves. Without an SMTP URL the emails stay in
    the outbox (the admin Outbox shows them).

    Args:
        worker: who claims (shown on the rows while held); host, process and thread by default.
        now: the moment of this run: what is due, when a retry falls due, when it was sent.
        limit: how many emails to claim at once.
        policy: attempts and back-off; from the settings by default.
    """
    if not smtp_url:
        return 0
    run = _Run(now or utc_now(), smtp_url, policy or RetryPolicy.from_settings())
    ids = claim_emails(engine, worker or default_worker(), run.now, limit)
    if not ids:
        return 0
    sent = 0
    with Session(engine, expire_on_commit=False) as session:
        batch = list(session.exec(select(OutboxEmail).where(OutboxEmail.id.in_(ids)).order_by(OutboxEmail.id)))
        try:
            client = _smtp_client(smtp_url)
        except (OSError, smtplib.SMTPException) as exc:
            error = sanitized_error(f"SMTP server unreachable: {exc}", smtp_url)
            log.warning("%s", error)
            for email in batch:
                run.failed(email, error)
            _unclaim(session, batch)
            return 0
        # Stop well inside the lease, so no other sender can take an email this one is sending.
        deadline = time.monotonic() + LEASE.total_seconds() / 2
        with client:
            while batch and time.monotonic() < deadline:
                email = batch.pop(0)
                try:
                    sent += _send_one(client, email, run)
                except _ConnectionLost:
                    log.warning("SMTP connection lost: %s", email.last_error)
                    break
                finally:
                    # Commit each outcome at once: a crash later must not send this one again.
                    _unclaim(session, [email])
        _unclaim(session, batch)  # what is left goes back to the outbox for the next round
    return sent
