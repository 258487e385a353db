"""The app's sender: woken by a commit that queued mail, not by a rolled-back one."""

import asyncio
import time

import pytest

from harmony_portal.db import session_scope
from harmony_portal.server import mailer
from harmony_portal.services.notifications.notify import queue_email
from harmony_portal.settings import get_settings
from tests.state.conftest import run_async


def _commit_an_email() -> None:
    with session_scope() as session:
        queue_email(session, "woken@example.org", "Wake up", "b")


def _roll_back_an_email() -> None:
    with pytest.raises(RuntimeError), session_scope() as session:
        queue_email(session, "never@example.org", "Never sent", "b")
        raise RuntimeError("the change failed")


def test_a_commit_that_queued_mail_wakes_the_sender_and_a_rollback_does_not(app_db, monkeypatch):
    async def scenario():
        wakeup = asyncio.Event()
        monkeypatch.setattr(mailer, "_loop", asyncio.get_running_loop())
        monkeypatch.setattr(mailer, "_wakeup", wakeup)
        await asyncio.to_thread(_roll_back_an_email)  # services commit on worker threads
        await asyncio.sleep(0)
        rolled_back = wakeup.is_set()
        await asyncio.to_thread(_commit_an_email)
        await asyncio.sleep(0)
        return rolled_back, wakeup.is_set()

    assert run_async(scenario()) == (False, True)


@pytest.fixture
def sender_settings(monkeypatch, smtp_server):
    """SMTP on, and a poll so long that only a wake-up can explain a prompt delivery."""
    monkeypatch.setenv("SMTP_URL", smtp_server[1])
    monkeypatch.setenv("HARMONY_MAIL_POLL_SECONDS", "60")
    get_settings.cache_clear()
    yield smtp_server[0]
    monkeypatch.delenv("SMTP_URL")
    monkeypatch.delenv("HARMONY_MAIL_POLL_SECONDS")
    get_settings.cache_clear()


def test_the_sender_delivers_right_after_the_commit_without_waiting_for_the_poll(app_db, sender_settings):
    inbox = sender_settings

    async def scenario():
        sender = asyncio.create_task(mailer.run_sender())
        await asyncio.sleep(0.3)  # its first look found nothing: now it waits out the 60 s poll
        committed = time.monotonic()
        await asyncio.to_thread(_commit_an_email)
        while not inbox.messages and time.monotonic() - committed < 5:
            await asyncio.sleep(0.01)
        waited = time.monotonic() - committed
        sender.cancel()
        return waited

    waited = run_async(scenario())
    print(f"delivered {waited * 1000:.0f} ms after the commit")
    assert [m["To"] for m in inbox.messages] == ["woken@example.org"]
    assert waited < 2
    assert mailer._wakeup is None  # a stopped sender is not woken any more
