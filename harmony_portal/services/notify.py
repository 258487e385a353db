"""Email: queued in the outbox inside the caller's transaction, sent after commit."""

from __future__ import annotations

import json
import logging
import smtplib
from email.message import EmailMessage
from urllib.parse import unquote, urlparse

from sqlalchemy.engine import Engine
from sqlmodel import Session, select

from harmony_portal.models import OutboxEmail, utc_now
from harmony_portal.services import changes
from harmony_portal.services.security import seal, unseal

log = logging.getLogger(__name__)
FROM_ADDRESS = "Harmony Portal <no-reply@harmony-portal.local>"
MAX_ATTEMPTS = 5  # a temporary refusal (4xx) is retried this many times, then given up


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


def _lost(email: OutboxEmail, exc: Exception) -> _ConnectionLost:
    email.last_error = f"connection lost: {exc}"[:500]
    return _ConnectionLost()


def _refused(email: OutboxEmail, exc: Exception) -> None:
    """Record why; give up at once on a permanent refusal, else after MAX_ATTEMPTS."""
    email.last_error = (str(exc) or type(exc).__name__)[:500]
    if _is_permanent(exc) or email.attempts >= MAX_ATTEMPTS:
        email.failed_at = utc_now()
        email.sealed = ""


def _send_one(client: smtplib.SMTP, email: OutboxEmail) -> bool:
    """Try one email; record the outcome on the row. True when the server took it."""
    email.attempts += 1
    try:
        client.send_message(_message(email))
    except smtplib.SMTPServerDisconnected as exc:
        raise _lost(email, exc) from exc
    # SMTPException is an OSError: the server's refusals are caught before socket errors.
    except (smtplib.SMTPException, ValueError, UnicodeError, RuntimeError) as exc:
        _refused(email, exc)
        return False
    except OSError as exc:
        raise _lost(email, exc) from exc
    email.sent_at = utc_now()
    email.sealed = ""  # sent: the link need not be kept any longer
    return True


def deliver_outbox(engine: Engine, smtp_url: str | None, limit: int = 500) -> int:
    """Send unsent outbox emails through ``smtp_url``; returns how many were sent.

    One bad email never blocks the rest: a refused one is marked failed, with the
    error, and skipped from then on. Without an SMTP URL the emails stay in the
    outbox (the admin Outbox page shows them).
    """
    if not smtp_url:
        return 0
    sent = 0
    with Session(engine) as session:
        pending = session.exec(
            select(OutboxEmail).where(OutboxEmail.sent_at.is_(None), OutboxEmail.failed_at.is_(None))
            .order_by(OutboxEmail.id).limit(limit)
        ).all()
        if not pending:
            return 0
        try:
            client = _smtp_client(smtp_url)
        except (OSError, smtplib.SMTPException) as exc:
            log.warning("SMTP server unreachable: %s", exc)
            return 0
        with client:
            for email in pending:
                try:
                    sent += _send_one(client, email)
                except _ConnectionLost:
                    log.warning("SMTP connection lost: %s", email.last_error)
                    break
                finally:
                    # Commit each outcome at once: a crash later must not send this one again.
                    session.add(email)
                    session.commit()
    return sent
