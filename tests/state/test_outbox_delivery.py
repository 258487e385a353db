"""Delivery end to end through the app's own sender (mailer.run_sender) and a real SMTP server
(aiosmtpd on localhost): delivered; the server stops, the next email is retried, then shown as
failed on the admin Outbox; the server is back, an administrator presses Retry, it is delivered."""

import asyncio
import time

import pytest
from aiosmtpd.controller import Controller
from sqlmodel import select

from harmony_portal.db import session_scope
from harmony_portal.models import OutboxEmail, User
from harmony_portal.server import mailer
from harmony_portal.services.notifications import email_preferences
from harmony_portal.services.roles import decisions
from harmony_portal.settings import get_settings
from harmony_portal.state.admin_outbox import AdminOutboxState
from tests.services.conftest import Inbox, free_port
from tests.state.conftest import run_async

_SETTINGS = {"HARMONY_MAIL_POLL_SECONDS": "0.05", "HARMONY_MAIL_MAX_ATTEMPTS": "2",
             "HARMONY_MAIL_FIRST_RETRY_SECONDS": "0.2"}


@pytest.fixture
def mail_port(monkeypatch):
    """SMTP on a port of our own (the server is stopped and started on it), a quick poll, two attempts."""
    port = free_port()
    for name, value in {"SMTP_URL": f"smtp://127.0.0.1:{port}", **_SETTINGS}.items():
        monkeypatch.setenv(name, value)
    get_settings.cache_clear()
    yield port
    for name in ("SMTP_URL", *_SETTINGS):
        monkeypatch.delenv(name)
    get_settings.cache_clear()


async def _until(check, what: str, timeout: float = 15.0):
    """Poll ``check`` (run on a thread: it may read the database) until it returns something true."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if result := await asyncio.to_thread(check):
            return result
        await asyncio.sleep(0.02)
    raise AssertionError(f"timed out waiting for {what}")


def _email_to(address: str, subject: str) -> OutboxEmail | None:
    with session_scope() as s:
        return s.exec(select(OutboxEmail).where(OutboxEmail.to_address == address,
                                                OutboxEmail.subject == subject)).first()


def test_an_email_failed_while_the_server_was_down_is_delivered_after_retry(app_db, make, signed_in, mail_port):
    with session_scope() as s:
        org = make.org(s, "DLV1", "Delta Care")
        official = make.user(s, "so.delta")
        make.grant(s, official, org)
        email_preferences.save_choices(s, official, {})  # only Pam's emails in this inbox
        pam = make.user(s, "pam.delta", email="pam.delta@example.org")
        first, second = make.request(s, pam, org), make.request(s, pam, org, "Access Coordinator")
        desk = make.user(s, "desk.delta", is_admin=True)
    admin_tab = signed_in(desk)
    inbox = Inbox()

    def decide(request_id: int, approve: bool) -> None:
        with session_scope() as s:  # the commit wakes the sender
            who = s.get(User, official.id)
            if approve:
                decisions.approve_requests(s, who, [request_id])
            else:
                decisions.reject_requests(s, who, [request_id], "Not on our staff list")

    def failed_email():
        email = _email_to("pam.delta@example.org", "Your role request was denied")
        return email if email is not None and email.failed_at is not None else None

    async def scenario():
        sender = asyncio.create_task(mailer.run_sender())
        server = Controller(inbox, hostname="127.0.0.1", port=mail_port)
        await asyncio.to_thread(server.start)
        try:
            await asyncio.to_thread(decide, first.id, True)
            await _until(lambda: inbox.messages, "the first email")
            await asyncio.to_thread(server.stop)  # the mail server goes away mid-way

            await asyncio.to_thread(decide, second.id, False)
            email = await _until(failed_email, "the second email to be given up")
            page = await admin_tab(AdminOutboxState)
            AdminOutboxState.load.fn(page)
            shown = next(dict(r) for r in page.emails if r["id"] == str(email.id))

            server = Controller(inbox, hostname="127.0.0.1", port=mail_port)  # back, on the same port
            await asyncio.to_thread(server.start)
            AdminOutboxState.retry.fn(page, shown["id"])
            message = page.message
            await _until(lambda: len(inbox.messages) == 2, "the retried email")
            await _until(lambda: _email_to("pam.delta@example.org", "Your role request was denied").sent_at,
                         "the retried email to be marked sent")
            AdminOutboxState.load.fn(page)
            after = next(r["state"] for r in page.emails if r["id"] == shown["id"])
            return email, shown, message, after
        finally:
            sender.cancel()
            await asyncio.to_thread(server.stop)

    email, shown, message, after = run_async(scenario())
    assert [m["Subject"] for m in inbox.messages] == ["Your role request was approved", "Your role request was denied"]
    assert email.attempts == 2  # retried once after the first refusal, then given up
    assert shown["state"] == "Failed after 2 attempts" and shown["retryable"] == "yes"
    assert shown["error"].startswith("SMTP server unreachable")
    assert message.startswith("The email is queued again")
    assert after.startswith("Sent ")
