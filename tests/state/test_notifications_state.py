"""Notifications, email choices and the admin Outbox through their event handlers, forged events included."""

import pytest
from sqlmodel import select

from harmony_portal.db import session_scope
from harmony_portal.live import tabs as live_tabs
from harmony_portal.live.notifications import NotificationFeed
from harmony_portal.models import AuditEvent, EmailPreference, Notification, OutboxEmail, UserSession, utc_now
from harmony_portal.services.notifications.notify import queue_email
from harmony_portal.services.roles import decisions
from harmony_portal.state.admin_outbox import AdminOutboxState
from harmony_portal.state.notifications import NotificationsState
from harmony_portal.state.profile import ProfileState
from tests.state.conftest import run_async, state_with_cookie


@pytest.fixture
def world(app_db, make):
    with session_scope() as s:
        org = make.org(s, "NS1", "Nenana Care")
        so = make.user(s, "so.nina", email="nina@example.org")
        make.grant(s, so, org)
        pam = make.user(s, "pam.s", email="pam.s@example.org")
        desk = make.user(s, "desk.s", is_admin=True)
        for user in (so, pam, desk):
            make.enrol(s, user)
        request = make.request(s, pam, org)
        decisions.approve_requests(s, so, [request.id])  # Pam is told
        failed = queue_email(s, "gone@example.org", "Your role request was approved", "Hello")
        failed.failed_at, failed.attempts, failed.last_error = utc_now(), 8, "SMTP server unreachable"
        s.flush()
        return {"so": so, "pam": pam, "desk": desk, "failed": failed.id}


def _email(email_id: int) -> OutboxEmail:
    with session_scope() as s:
        return s.get(OutboxEmail, email_id)


def test_a_page_links_the_sessions_own_feed_and_fills_it(world, signed_in):
    state_of = signed_in(world["pam"])

    async def scenario():
        page = await state_of(NotificationsState)
        await NotificationsState.link.fn(page)
        feed = await page.get_state(NotificationFeed)
        return feed.unread, [r["title"] for r in feed.rows], live_tabs.followed_by(page.router.session.client_token)

    unread, titles, following = run_async(scenario())
    assert (unread, titles) == (1, ["Your role request was approved"])
    with session_scope() as s:
        session_id = s.exec(select(UserSession.id).where(UserSession.user_id == world["pam"].id)).one()
    assert following == {session_id}  # the tab hears its own session's pushes, found from the cookie


def test_a_page_other_than_home_is_sent_the_count_alone(world, signed_in):
    state_of = signed_in(world["pam"], path="/pq")

    async def scenario():
        page = await state_of(NotificationsState)
        await NotificationsState.link.fn(page)
        feed = await page.get_state(NotificationFeed)
        token = page.router.session.client_token
        return feed.unread, list(feed.rows), live_tabs.followed_by(token), token in live_tabs._listing

    unread, rows, following, listing = run_async(scenario())
    assert (unread, rows, len(following), listing) == (1, [], 1, False)


def test_a_signed_out_tab_links_nothing_and_shows_nothing(world):
    async def scenario():
        page = await state_with_cookie(NotificationsState, "")
        await NotificationsState.link.fn(page)
        NotificationsState.mark_all_read.fn(page)
        feed = await page.get_state(NotificationFeed)
        return feed.unread, list(feed.rows), page.error, live_tabs.followed_by(page.router.session.client_token)

    unread, rows, error, following = run_async(scenario())
    assert (unread, rows, following) == (0, [], set())
    assert "session has ended" in error
    with session_scope() as s:
        assert set(s.exec(select(Notification.read_at))) == {None}  # the official's and Pam's, unread


def test_mark_all_read_reads_only_the_callers_own(world, signed_in):
    state_of = signed_in(world["so"])

    async def scenario():
        page = await state_of(NotificationsState)
        NotificationsState.mark_all_read.fn(page)
        return page.error

    assert run_async(scenario()) == ""
    with session_scope() as s:
        notes = {n.user_id: n.read_at for n in s.exec(select(Notification))}
    assert notes[world["pam"].id] is None  # Pam's stays unread: the official read only theirs
    assert notes[world["so"].id] is not None


def test_email_choices_are_saved_from_the_profile_and_security_is_no_choice(world, signed_in):
    state_of = signed_in(world["pam"])

    async def scenario():
        page = await state_of(ProfileState)
        ProfileState.load.fn(page)
        before = dict(page.email_choices)
        # Ticked: PQ emails; a forged "security" box and another user's id change nothing else.
        ProfileState.save_email_choices.fn(page, {"email_pq_updates": "on", "email_security": "",
                                                  "user_id": str(world["so"].id)})
        return before, dict(page.email_choices), page.messages

    before, after, messages = run_async(scenario())
    assert set(before.values()) == {True}
    assert after == {"role_decisions": False, "role_requests": False, "pq_updates": True, "announcements": False}
    assert messages == {"email_ok": "Email choices saved."}
    with session_scope() as s:
        assert {p.user_id for p in s.exec(select(EmailPreference))} == {world["pam"].id}


def test_an_administrator_sees_the_failure_and_retries_it(world, signed_in):
    state_of = signed_in(world["desk"])

    async def scenario():
        page = await state_of(AdminOutboxState)
        AdminOutboxState.load.fn(page)
        shown = {r["to"]: dict(r) for r in page.emails}
        AdminOutboxState.retry.fn(page, str(world["failed"]))
        again = {r["to"]: r["state"] for r in page.emails}
        return shown, page.message, page.error, again

    shown, message, error, again = run_async(scenario())
    gone = shown["gone@example.org"]
    assert (gone["state"], gone["error"], gone["retryable"]) == (
        "Failed after 8 attempts", "SMTP server unreachable", "yes")
    assert shown["pam.s@example.org"]["state"] == "Queued" and shown["pam.s@example.org"]["retryable"] == ""
    assert (message, error) == ("The email is queued again: the sender tries it at once.", "")
    assert again["gone@example.org"] == "Queued"
    assert _email(world["failed"]).failed_at is None


@pytest.mark.parametrize("who", ["so", "pam", None])
def test_a_forged_retry_or_load_by_anyone_else_changes_and_shows_nothing(world, signed_in, who):
    async def scenario():
        if who is None:
            page = await state_with_cookie(AdminOutboxState, "")
        else:
            page = await signed_in(world[who])(AdminOutboxState)
        AdminOutboxState.load.fn(page)
        load_error, emails = page.error, list(page.emails)
        for forged in (str(world["failed"]), world["failed"], "0", None, ["1"], "9" * 40):
            AdminOutboxState.retry.fn(page, forged)
        return load_error, emails, page.error, list(page.emails)

    load_error, emails, retry_error, after = run_async(scenario())
    assert emails == [] and after == []
    assert load_error and retry_error  # a sentence, not a stack trace
    email = _email(world["failed"])
    assert email.failed_at is not None and email.attempts == 8
    with session_scope() as s:
        assert s.exec(select(AuditEvent).where(AuditEvent.action == "outbox.retried")).all() == []
