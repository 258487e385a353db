"""Telling people: in-app notifications with every email, each person's email choices, security emails always."""

import pytest
from sqlmodel import Session, select

from harmony_portal.models import AuditEvent, EmailPreference, Notification, OutboxEmail
from harmony_portal.services.accounts import password_reset
from harmony_portal.services.accounts import profile as accounts
from harmony_portal.services.errors import DomainError
from harmony_portal.services.notifications import email_preferences
from harmony_portal.services.notifications import in_app as notifications
from harmony_portal.services.notifications.email_preferences import (
    PQ_UPDATES,
    ROLE_DECISIONS,
    ROLE_REQUESTS,
    SECURITY,
)
from harmony_portal.services.pq.filing import PQForm, add_note, add_pq
from harmony_portal.services.roles import decisions, grants
from harmony_portal.services.roles import requests as roles
from harmony_portal.services.signin import account_control, authentication


@pytest.fixture
def world(session, make):
    org = make.org(session, "N1", "Nome Care")
    so = make.user(session, "so.nell", email="nell@example.org")
    make.grant(session, so, org)
    pam = make.user(session, "pam.n", first_name="Pam", email="pam@example.org")
    return {"org": org, "so": so, "pam": pam}


def _mail_to(session: Session, address: str) -> list[OutboxEmail]:
    return list(session.exec(select(OutboxEmail).where(OutboxEmail.to_address == address)
                             .order_by(OutboxEmail.id)))


def _notes_of(session: Session, user) -> list[Notification]:
    return list(session.exec(select(Notification).where(Notification.user_id == user.id)
                             .order_by(Notification.id)))


def test_every_choice_is_on_until_turned_off_and_the_change_is_audited(session, world, clock):
    pam = world["pam"]
    assert email_preferences.choices_of(session, pam.id) == {
        ROLE_DECISIONS: True, ROLE_REQUESTS: True, PQ_UPDATES: True, email_preferences.ANNOUNCEMENTS: True}
    # An unticked box is not sent; a "security" key is no choice at all and is ignored.
    saved = email_preferences.save_choices(session, pam, {PQ_UPDATES: True, SECURITY: False}, now=clock.now())
    assert saved == {ROLE_DECISIONS: False, ROLE_REQUESTS: False, PQ_UPDATES: True,
                     email_preferences.ANNOUNCEMENTS: False}
    assert email_preferences.choices_of(session, pam.id) == saved
    assert SECURITY not in {p.category for p in session.exec(select(EmailPreference))}
    event = session.exec(select(AuditEvent).where(AuditEvent.action == "account.email_preferences_changed")).one()
    assert event.actor_id == event.subject_user_id == pam.id


def test_a_decision_is_a_notification_and_an_email_unless_that_email_is_turned_off(session, world, make):
    pam, so = world["pam"], world["so"]
    first = make.request(session, pam, world["org"])
    decisions.approve_requests(session, so, [first.id])
    assert [m.subject for m in _mail_to(session, "pam@example.org")] == ["Your role request was approved"]
    assert _mail_to(session, "pam@example.org")[0].category == ROLE_DECISIONS

    email_preferences.save_choices(session, pam, {ROLE_DECISIONS: False})
    second = make.request(session, pam, world["org"], "Access Coordinator")
    decisions.reject_requests(session, so, [second.id], "Not on our staff list")
    assert len(_mail_to(session, "pam@example.org")) == 1  # no second email...
    approved, rejected = _notes_of(session, pam)  # ...but the notification, always
    assert (approved.title, approved.link, approved.read_at) == ("Your role request was approved", "/", None)
    assert rejected.title == "Your role request was denied" and "Not on our staff list" in rejected.body
    assert rejected.link == f"/roles/request?resubmit={second.id}" and rejected.category == ROLE_DECISIONS


def test_new_requests_reach_each_decider_who_wants_them_and_never_the_requester(session, world, make):
    so2 = make.user(session, "so.two.n", email="so2@example.org")
    make.grant(session, so2, world["org"])
    email_preferences.save_choices(session, so2, {ROLE_DECISIONS: True})  # no ROLE_REQUESTS emails
    roles.request_role(session, world["pam"], "N1", "Staff", "Needs access for home visits")
    assert [m.subject for m in _mail_to(session, "nell@example.org")] == ["Role request waiting: Staff at Nome Care"]
    assert _mail_to(session, "so2@example.org") == []
    for official in (world["so"], so2):
        [note] = _notes_of(session, official)
        assert note.link == "/security-official/requests" and note.category == ROLE_REQUESTS
    assert _notes_of(session, world["pam"]) == []


def test_a_removal_and_a_pq_response_are_told(session, world, make):
    pam, so = world["pam"], world["so"]
    grant = make.grant(session, pam, world["org"], "Staff")
    pq = add_pq(session, pam, PQForm(provider="N1", inquiry_type="Billing", subject="Which code?",
                                    details="Which code applies to respite care?"))
    grants.remove_role(session, so, grant.id, reason="Left the agency")
    desk = make.user(session, "desk.n", is_admin=True)
    email_preferences.save_choices(session, pam, {})  # every optional email off
    add_note(session, desk, pq.id, "Response", "Resolved", "Use code T1005.")
    titles = [n.title for n in _notes_of(session, pam)]
    assert titles == [f"PQ {pq.id} received: Which code?", "Your Staff role at Nome Care was removed",
                      f"Response to your PQ {pq.id}: Which code?"]
    assert "Left the agency" in _notes_of(session, pam)[1].body
    assert _notes_of(session, pam)[-1].link == f"/pq/{pq.id}"
    # Emailed while she wanted them; the response came after she turned PQ emails off.
    assert [m.subject for m in _mail_to(session, "pam@example.org")] == titles[:2]


def test_security_emails_are_sent_whatever_the_choices(session, world, clock):
    pam = world["pam"]
    email_preferences.save_choices(session, pam, {})
    password_reset.request_reset(session, "pam@example.org", base_url="https://portal.example")
    for _ in range(5):
        with pytest.raises(DomainError):  # the wrong password; the fifth locks the account
            authentication.check_password(session, "pam.n", "not her password", now=clock.now())
    subjects = [m.subject for m in _mail_to(session, "pam@example.org")]
    assert subjects == ["Reset your Harmony Portal password", "Your Harmony Portal account is locked"]
    assert {m.category for m in _mail_to(session, "pam@example.org")} == {SECURITY}
    # The notification says what happened; the reset link itself never leaves the sealed email.
    reset_note = _notes_of(session, pam)[0]
    assert reset_note.category == SECURITY and "token" not in reset_note.body


def test_a_password_change_and_a_disabled_account_are_told_by_email(session, world, make):
    pam = world["pam"]
    email_preferences.save_choices(session, pam, {})
    accounts.change_password(session, pam, make.PASSWORD, "Kenai-River-Salmon-Dawn-42",
                             "Kenai-River-Salmon-Dawn-42", keep_session_id=None)
    desk = make.user(session, "desk.d", is_admin=True)
    account_control.set_account_active(session, desk, pam.id, False)
    account_control.set_account_active(session, desk, pam.id, False)  # no change: nothing more to tell
    assert [m.subject for m in _mail_to(session, "pam@example.org")] == [
        "Your Harmony Portal password was changed", "Your Harmony Portal account was disabled"]


def test_a_rolled_back_change_leaves_no_notification_and_no_email(engine, make):
    with Session(engine) as session:
        org = make.org(session, "RB1")
        so = make.user(session, "so.rb")
        make.grant(session, so, org)
        asker = make.user(session, "asker.rb")
        session.commit()
        roles.request_role(session, asker, "RB1", "Staff", "Needs access for home visits")
        assert session.exec(select(Notification)).all() != []
        session.rollback()
        assert session.exec(select(Notification)).all() == []
        assert session.exec(select(OutboxEmail)).all() == []


def test_mark_all_read_marks_only_ones_own(session, world, make):
    pam, so = world["pam"], world["so"]
    request = make.request(session, pam, world["org"])  # the official is told
    decisions.approve_requests(session, so, [request.id])  # and then Pam
    assert notifications.unread_count(session, pam.id) == 1 and notifications.unread_count(session, so.id) == 1
    assert notifications.mark_all_read(session, pam) == 1
    assert notifications.unread_count(session, pam.id) == 0 and notifications.unread_count(session, so.id) == 1
    rows = notifications.recent_rows(session, pam.id)
    assert [r["unread"] for r in rows] == [""] and rows[0]["category"] == "Role request decisions"
    assert notifications.mark_all_read(session, pam) == 0
