"""Outbox delivery through a real SMTP server (aiosmtpd on localhost): claims, retries, leases."""

import threading
import time
from datetime import timedelta

from sqlmodel import Session, select

from harmony_portal.models import OutboxEmail
from harmony_portal.services.accounts import password_reset
from harmony_portal.services.mail.outbox import LEASE, RetryPolicy, claim_emails, deliver_outbox
from harmony_portal.services.notifications.notify import queue_email
from tests.services.conftest import free_port


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


def test_an_unreachable_server_costs_an_attempt_and_the_email_waits_for_the_next(engine, clock):
    with Session(engine) as session:
        queue_email(session, "x@example.org", "s", "b")
        session.commit()
    t0 = clock.now()
    assert deliver_outbox(engine, f"smtp://127.0.0.1:{free_port()}", now=t0) == 0
    with Session(engine) as session:
        email = session.exec(select(OutboxEmail)).one()
        assert email.sent_at is None and email.claimed_at is None and email.failed_at is None
        # An outage ends, after the last attempt, in "failed" (for an administrator to retry), never in
        # mail that waits forever unseen.
        assert email.attempts == 1 and email.next_attempt_at == t0 + timedelta(minutes=1)
        assert email.last_error.startswith("SMTP server unreachable")


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


def _queue(engine, count: int, to: str = "crowd@example.org") -> None:
    with Session(engine) as session:
        for n in range(count):
            queue_email(session, to, f"Message {n}", "b")
        session.commit()


def _the_email(engine) -> OutboxEmail:
    with Session(engine) as session:
        return session.exec(select(OutboxEmail)).one()


def test_two_senders_at_once_deliver_each_email_exactly_once(engine, smtp_server):
    inbox, url = smtp_server
    _queue(engine, 50)
    start = threading.Barrier(2)
    sent_by: dict[str, int] = {}

    def sender(name: str) -> None:
        start.wait()
        sent_by[name] = 0
        while sent := deliver_outbox(engine, url, limit=5):
            sent_by[name] += sent

    threads = [threading.Thread(target=sender, args=(name,)) for name in ("a", "b")]
    began = time.monotonic()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    print(f"50 emails, two senders: {sent_by} in {time.monotonic() - began:.2f} s")
    subjects = sorted(m["Subject"] for m in inbox.messages)
    assert subjects == sorted(f"Message {n}" for n in range(50))  # each once, none twice
    assert sum(sent_by.values()) == 50
    with Session(engine) as session:
        rows = session.exec(select(OutboxEmail)).all()
        assert all(e.sent_at and e.attempts == 1 and not e.claimed_by for e in rows)


def test_a_temporary_refusal_backs_off_and_is_retried_later(engine, smtp_server, clock):
    inbox, url = smtp_server
    inbox.busy.add("later@example.org")
    _queue(engine, 1, to="later@example.org")
    t0 = clock.now()
    assert deliver_outbox(engine, url, now=t0) == 0
    email = _the_email(engine)
    assert email.attempts == 1 and "451" in email.last_error and email.failed_at is None
    assert email.next_attempt_at == t0 + timedelta(minutes=1) and email.claimed_at is None
    # Not before its time...
    assert deliver_outbox(engine, url, now=t0 + timedelta(seconds=30)) == 0
    assert _the_email(engine).attempts == 1
    # ...then again, refused again: the wait doubles.
    t1 = t0 + timedelta(minutes=1)
    assert deliver_outbox(engine, url, now=t1) == 0
    assert _the_email(engine).next_attempt_at == t1 + timedelta(minutes=2)
    inbox.busy.clear()
    assert deliver_outbox(engine, url, now=t1 + timedelta(minutes=2)) == 1
    email = _the_email(engine)
    assert email.sent_at is not None and email.attempts == 3
    assert [m["To"] for m in inbox.messages] == ["later@example.org"]


def test_a_temporary_refusal_is_given_up_after_max_attempts(engine, smtp_server, clock):
    inbox, url = smtp_server
    MAX_ATTEMPTS = RetryPolicy.from_settings().max_attempts  # noqa: N806 - the setting's default
    inbox.busy.add("later@example.org")
    _queue(engine, 1, to="later@example.org")
    for _ in range(MAX_ATTEMPTS):
        email = _the_email(engine)
        assert email.failed_at is None
        deliver_outbox(engine, url, now=email.next_attempt_at or clock.now())
    email = _the_email(engine)
    assert email.attempts == MAX_ATTEMPTS and email.failed_at is not None and email.sent_at is None
    assert deliver_outbox(engine, url, now=clock.advance(days=1)) == 0
    assert _the_email(engine).attempts == MAX_ATTEMPTS and inbox.messages == []


def test_a_claimed_email_is_left_alone_until_the_claim_expires(engine, smtp_server, clock):
    inbox, url = smtp_server
    _queue(engine, 1)
    t0 = clock.now()
    # A sender claims the email and dies before sending it.
    [claimed] = claim_emails(engine, "died-mid-send", t0)
    assert _the_email(engine).claimed_by == "died-mid-send"
    assert deliver_outbox(engine, url, worker="alive", now=t0 + LEASE / 2) == 0
    assert inbox.messages == []
    assert deliver_outbox(engine, url, worker="alive", now=t0 + LEASE + timedelta(seconds=1)) == 1
    assert len(inbox.messages) == 1
    email = _the_email(engine)
    assert email.id == claimed and email.sent_at is not None and email.claimed_at is None


def test_emails_carry_the_headers_relays_expect_and_the_configured_sender(engine, smtp_server, monkeypatch):
    from harmony_portal.settings import get_settings

    inbox, url = smtp_server
    monkeypatch.setenv("HARMONY_MAIL_FROM", "Harmony Portal <no-reply@portal.example.org>")
    get_settings.cache_clear()
    try:
        with Session(engine) as session:
            queue_email(session, "pam@example.org", "Your role request was approved", "Hello Pamela")
            session.commit()
        assert deliver_outbox(engine, url) == 1
    finally:
        get_settings.cache_clear()
    message = inbox.messages[0]
    assert message["From"] == "Harmony Portal <no-reply@portal.example.org>"
    assert message["Auto-Submitted"] == "auto-generated"
    assert message["Date"] and message["Message-ID"].endswith("@portal.example.org>")
    with Session(engine) as session:
        email = session.exec(select(OutboxEmail)).one()
    assert message["Message-ID"].startswith(f"<outbox.{email.id}.")
