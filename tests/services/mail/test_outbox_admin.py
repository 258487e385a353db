"""The admin Outbox: each email's state, errors without credentials, and Retry (administrators only)."""

from datetime import timedelta

import pytest
from sqlmodel import select

from harmony_portal.models import AuditEvent, OutboxEmail
from harmony_portal.services.accounts import password_reset
from harmony_portal.services.errors import Conflict, NotAllowed
from harmony_portal.services.mail import outbox_admin
from harmony_portal.services.mail.outbox import LEASE, RetryPolicy, deliver_outbox, sanitized_error
from harmony_portal.services.notifications.notify import queue_email
from tests.services.conftest import free_port

POLICY = RetryPolicy(max_attempts=2, first_retry=timedelta(minutes=1))


def _rows_by_to(session, admin, now) -> dict[str, dict]:
    return {r["to"]: r for r in outbox_admin.outbox_rows(session, admin, now=now)}


def _failed_email(session, to: str = "late@example.org", **fields) -> OutboxEmail:
    email = queue_email(session, to, "Your role request was approved", "Hello")
    for name, value in fields.items():
        setattr(email, name, value)
    session.add(email)
    session.flush()
    return email


def test_each_state_is_shown_in_words(session, make, clock):
    admin = make.user(session, "desk.o", is_admin=True)
    now = clock.now()
    queue_email(session, "queued@example.org", "s", "b")
    _failed_email(session, "sending@example.org", claimed_at=now - timedelta(seconds=5), claimed_by="w")
    _failed_email(session, "stale@example.org", claimed_at=now - LEASE - timedelta(seconds=1), claimed_by="died")
    _failed_email(session, "retrying@example.org", attempts=2, next_attempt_at=now + timedelta(minutes=2),
                  last_error="(451, b'4.2.1 Mailbox busy')")
    _failed_email(session, "failed@example.org", attempts=8, failed_at=now, last_error="SMTP server unreachable")
    _failed_email(session, "sent@example.org", attempts=1, sent_at=now)
    rows = _rows_by_to(session, admin, now)
    assert rows["queued@example.org"]["state"] == "Queued"
    assert rows["sending@example.org"]["state"] == "Sending"
    assert rows["stale@example.org"]["state"] == "Queued"  # its sender died: free for the next round
    retrying = rows["retrying@example.org"]
    assert retrying["state"].startswith("Retrying (attempt 3 of 8, next try at ")
    assert "Mailbox busy" in retrying["error"] and retrying["retryable"] == ""
    failed = rows["failed@example.org"]
    assert (failed["state"], failed["error"], failed["retryable"]) == (
        "Failed after 8 attempts", "SMTP server unreachable", "yes")
    assert rows["sent@example.org"]["state"].startswith("Sent ")


def test_errors_are_shown_and_stored_without_the_smtp_credentials(session, make, clock, monkeypatch):
    url = "smtp://mailer%40portal:S3cret-Pa55@127.0.0.1:{port}"
    dirty = ("535 5.7.8 Authentication failed for mailer@portal / S3cret-Pa55 via "
             "smtp://mailer%40portal:S3cret-Pa55@mail.example; AUTH PLAIN AG1haWxlckBwb3J0YWwAUzNjcmV0LVBhNTU=")
    clean = sanitized_error(dirty, url)
    assert "S3cret" not in clean and "mailer@portal" not in clean and "AG1haWxlckBwb3J0YWwAUzNjcmV0LVBhNTU=" \
        not in clean
    assert clean.startswith("535 5.7.8 Authentication failed")
    # A real failure through an unreachable server: what is stored has no credentials either.
    monkeypatch.setenv("SMTP_URL", url.format(port=free_port()))
    from harmony_portal.settings import get_settings
    get_settings.cache_clear()
    try:
        admin = make.user(session, "desk.s", is_admin=True)
        queue_email(session, "x@example.org", "s", "b")
        session.commit()
        deliver_outbox(session.get_bind(), get_settings().smtp_address(), now=clock.now(), policy=POLICY)
        session.expire_all()
        stored = session.exec(select(OutboxEmail)).one().last_error
        assert stored.startswith("SMTP server unreachable") and "S3cret" not in stored
        # Rows stored before (or by another version) are cleaned again on the way out.
        _failed_email(session, "old@example.org", failed_at=clock.now(), attempts=1, last_error=dirty)
        assert "S3cret" not in _rows_by_to(session, admin, clock.now())["old@example.org"]["error"]
    finally:
        get_settings.cache_clear()


def test_retry_puts_a_failed_email_back_once_and_is_audited(session, make, clock):
    admin = make.user(session, "desk.r", is_admin=True)
    email = _failed_email(session, attempts=2, failed_at=clock.now(), last_error="connection lost")
    outbox_admin.retry_email(session, admin, email.id, now=clock.now())
    session.refresh(email)
    assert (email.failed_at, email.attempts, email.last_error, email.next_attempt_at) == (None, 0, "", None)
    event = session.exec(select(AuditEvent).where(AuditEvent.action == "outbox.retried")).one()
    assert event.actor_id == admin.id and event.target == f"email:{email.id}"
    assert "late@example.org" in event.detail and "connection lost" in event.detail
    with pytest.raises(Conflict, match="not waiting for a retry"):  # a double click queues it once
        outbox_admin.retry_email(session, admin, email.id)


def test_only_an_administrator_may_see_the_outbox_or_retry(session, make, clock):
    org = make.org(session, "OB1")
    official = make.user(session, "so.o")
    make.grant(session, official, org)
    email = _failed_email(session, attempts=2, failed_at=clock.now())
    for wrong in (official, make.user(session, "plain.o")):
        with pytest.raises(NotAllowed):
            outbox_admin.retry_email(session, wrong, email.id)
        with pytest.raises(NotAllowed):
            outbox_admin.outbox_rows(session, wrong)
    session.refresh(email)
    assert email.failed_at is not None and email.attempts == 2
    assert session.exec(select(AuditEvent).where(AuditEvent.action == "outbox.retried")).all() == []


def test_sent_unknown_and_link_erased_emails_are_not_retried(session, make, clock):
    admin = make.user(session, "desk.x", is_admin=True)
    sent = _failed_email(session, "sent@example.org", attempts=1, sent_at=clock.now())
    with pytest.raises(Conflict):
        outbox_admin.retry_email(session, admin, sent.id)
    with pytest.raises(NotAllowed):
        outbox_admin.retry_email(session, admin, 987654)
    # A reset email whose one-time link was erased when it failed would arrive without it.
    make.user(session, "reset.x", email="reset@example.org")
    password_reset.request_reset(session, "reset@example.org", base_url="https://portal.example")
    reset = session.exec(select(OutboxEmail).where(OutboxEmail.to_address == "reset@example.org")).one()
    reset.failed_at, reset.attempts, reset.sealed = clock.now(), 8, ""
    session.add(reset)
    session.flush()
    assert _rows_by_to(session, admin, clock.now())["reset@example.org"]["retryable"] == ""
    with pytest.raises(Conflict, match="one-time link"):
        outbox_admin.retry_email(session, admin, reset.id)


def _settings_env(monkeypatch, **env):
    from harmony_portal.settings import get_settings

    for name, value in env.items():
        if value is None:
            monkeypatch.delenv(name, raising=False)
        else:
            monkeypatch.setenv(name, value)
    get_settings.cache_clear()


def test_a_demo_machine_without_smtp_shows_each_message_whole_and_production_keeps_links_sealed(
        session, make, clock, monkeypatch):
    from harmony_portal.settings import get_settings

    admin = make.user(session, "desk.w", is_admin=True)
    user = make.user(session, "whole.msg")
    password_reset.request_reset(session, user.email, base_url="http://localhost:3000", now=clock.now())
    try:
        _settings_env(monkeypatch, HARMONY_DEMO="1", SMTP_URL=None, HARMONY_ENV="development")
        row = _rows_by_to(session, admin, clock.now())[user.email]
        assert "http://localhost:3000/forgot?token=" in row["body"]  # the reset link, usable
        assert "demo machine" in outbox_admin.delivery_note()
        _settings_env(monkeypatch, HARMONY_DEMO="0")
        row = _rows_by_to(session, admin, clock.now())[user.email]
        assert row["body"] == "" and "Set SMTP_URL=" in outbox_admin.delivery_note()
        _settings_env(monkeypatch, SMTP_URL="smtp://127.0.0.1:2525")
        assert outbox_admin.delivery_note() == ""
    finally:
        get_settings.cache_clear()
