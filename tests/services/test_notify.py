"""Outbox delivery through a real SMTP server (aiosmtpd on localhost)."""

import socket

import pytest
from aiosmtpd.controller import Controller
from aiosmtpd.handlers import Message
from sqlmodel import Session, select

from harmony_portal.models import OutboxEmail
from harmony_portal.services.notify import deliver_outbox, queue_email


class _Inbox(Message):
    def __init__(self):
        super().__init__()
        self.messages = []

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
