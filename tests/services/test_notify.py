"""Outbox delivery through a real SMTP server (aiosmtpd on localhost)."""

import socket

import pytest
from aiosmtpd.controller import Controller
from aiosmtpd.handlers import Message
from sqlmodel import Session, select

from harmony_portal.models import OutboxEmail
from harmony_portal.services import password_reset
from harmony_portal.services.notify import deliver_outbox, queue_email


class _Inbox(Message):
    """Keeps what it receives; refuses any recipient at refused.example.org."""

    def __init__(self):
        super().__init__()
        self.messages = []

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):  # noqa: N802 - aiosmtpd hook
        if address.endswith("@refused.example.org"):
            return "550 5.1.1 No such mailbox"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    def handle_message(self, message):
        self.messages.append(message)


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture
def smtp_server():
    inbox = _Inbox()
    controller = Controller(inbox, hostname="127.0.0.1", port=_free_port())
    controller.start()
    yield inbox, f"smtp://127.0.0.1:{controller.port}"
    controller.stop()


def test_outbox_emails_are_delivered_once(engine, smtp_server):
    inbox, url = smtp_server
    with Session(engine) as session:
        queue_email(session, "pam@example.org", "Your role request was approved", "Hello Pamela")
        session.commit()
    assert deliver_outbox(engine, url) == 1
    assert deliver_outbox(engine, url) == 0
    assert len(inbox.messages) == 1
    assert inbox.messages[0]["To"] == "pam@example.org"
    assert "approved" in inbox.messages[0]["Subject"]
    with Session(engine) as session:
        assert session.exec(select(OutboxEmail)).one().sent_at is not None


def test_without_smtp_the_email_stays_in_the_outbox(engine):
    with Session(engine) as session:
        queue_email(session, "x@example.org", "s", "b")
        session.commit()
    assert deliver_outbox(engine, None) == 0
    with Session(engine) as session:
        assert session.exec(select(OutboxEmail)).one().sent_at is None


def test_unreachable_server_keeps_the_email(engine):
    with Session(engine) as session:
        queue_email(session, "x@example.org", "s", "b")
        session.commit()
    assert deliver_outbox(engine, f"smtp://127.0.0.1:{_free_port()}") == 0
    with Session(engine) as session:
        assert session.exec(select(OutboxEmail)).one().sent_at is None


def test_one_bad_email_never_blocks_the_rest(engine, smtp_server):
    inbox, url = smtp_server
    with Session(engine) as session:
        queue_email(session, "first@example.org", "s", "b")
        queue_email(session, "nobody@refused.example.org", "s", "b")
        queue_email(session, "broken@example.org\nBcc: everyone@example.org", "s", "b")
        queue_email(session, "last@example.org", "s", "b")
        session.commit()
    assert deliver_outbox(engine, url) == 2
    assert sorted(m["To"] for m in inbox.messages) == ["first@example.org", "last@example.org"]
    with Session(engine) as session:
        failed = session.exec(select(OutboxEmail).where(OutboxEmail.failed_at.is_not(None))
                              .order_by(OutboxEmail.id)).all()
        assert [e.to_address[:6] for e in failed] == ["nobody", "broken"]
        assert "550" in failed[0].last_error and failed[0].attempts == 1
        assert failed[1].last_error
    # Given up on: the next run neither retries them nor counts them.
    assert deliver_outbox(engine, url) == 0
    with Session(engine) as session:
        assert [e.attempts for e in session.exec(select(OutboxEmail).order_by(OutboxEmail.id))] == [1, 1, 1, 1]


def test_the_reset_link_is_filled_in_at_send_time_and_then_forgotten(engine, smtp_server, make):
    inbox, url = smtp_server
    with Session(engine) as session:
        make.user(session, "mailed", email="mailed@example.org")
        password_reset.request_reset(session, "mailed@example.org", base_url="https://portal.example")
        session.commit()
    assert deliver_outbox(engine, url) == 1
    assert "https://portal.example/forgot?token=" in inbox.messages[0].get_payload()
    with Session(engine) as session:
        stored = session.exec(select(OutboxEmail)).one()
        assert "token=" not in stored.body and stored.sealed == ""
