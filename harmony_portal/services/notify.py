"""Email: queued in the outbox inside the caller's transaction, sent after commit."""

from __future__ import annotations

import logging
import smtplib
from email.message import EmailMessage
from urllib.parse import unquote, urlparse

from sqlalchemy.engine import Engine
from sqlmodel import Session, select

from harmony_portal.models import OutboxEmail, utc_now

log = logging.getLogger(__name__)
FROM_ADDRESS = "Harmony Portal <no-reply@harmony-portal.local>"


SUBJECT_MAX = 200  # OutboxEmail.subject's column length


def header_safe_subject(subject: str) -> str:
    """One line that fits the subject column.

    Subjects are built from names people typed (an organization's name, a role): a line
    break would make the message unsendable (or inject a header), and a long name would
    overflow the column.
    """
    line = " ".join("".join(c if c.isprintable() else " " for c in subject).split())
    return line if len(line) <= SUBJECT_MAX else line[:SUBJECT_MAX - 1] + "\u2026"


def queue_email(session: Session, to: str, subject: str, body: str) -> OutboxEmail:
    """Add an email to the outbox; it leaves only if the transaction commits."""
    email = OutboxEmail(to_address=to, subject=header_safe_subject(subject), body=body)
    session.add(email)
    return email


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


def deliver_outbox(engine: Engine, smtp_url: str | None, limit: int = 500) -> int:
    """Send unsent outbox emails through ``smtp_url``; returns how many were sent.

    Without an SMTP URL the emails stay in the outbox (the admin Outbox page shows them).
    """
    if not smtp_url:
        return 0
    sent = 0
    with Session(engine) as session:
        pending = session.exec(
            select(OutboxEmail).where(OutboxEmail.sent_at.is_(None)).order_by(OutboxEmail.id).limit(limit)
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
                message = EmailMessage()
                message["From"] = FROM_ADDRESS
                message["To"] = email.to_address
                message["Subject"] = email.subject
                message.set_content(email.body)
                email.attempts += 1
                try:
                    client.send_message(message)
                except smtplib.SMTPException as exc:
                    email.last_error = str(exc)[:500]
                else:
                    email.sent_at = utc_now()
                    sent += 1
                session.add(email)
        session.commit()
    return sent
