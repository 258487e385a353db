"""The Users section's reads: search by User ID, email or name; one account's roles, state and security events."""

from datetime import timedelta

import pytest

from harmony_portal.services.accounts import admin_users
from harmony_portal.services.audit import trail as audit
from harmony_portal.services.clock import format_local
from harmony_portal.services.errors import Invalid, Locked, NotAllowed
from harmony_portal.services.signin import account_control
from harmony_portal.services.signin import authentication as auth


@pytest.fixture
def people(session, make):
    admin = make.user(session, "desk.dana", first_name="Dana", last_name="Desk", is_admin=True)
    mary = make.user(session, "mkuk", first_name="Mary", last_name="Kuskokwim", email="mary.k@kenai.example.org")
    other = make.user(session, "tom.b", first_name="Tom", last_name="Bering", email="tb@sitka.example.org")
    return admin, mary, other


@pytest.mark.parametrize("text", ["mkuk", "MKU", "mary.k@", "Mary", "kusko", "mary kuskokwim", "  Mary   Kus "])
def test_search_by_user_id_email_or_name(session, clock, people, text):
    admin, mary, _other = people
    found = admin_users.find_users(session, admin, text, clock.now())
    assert [u["user_id"] for u in found] == [mary.user_id]
    assert found[0] == {"id": str(mary.id), "user_id": "mkuk", "name": "Mary Kuskokwim",
                        "email": "mary.k@kenai.example.org", "state": "Active"}


def test_search_treats_wildcards_as_text_and_empty_as_nothing(session, clock, people):
    admin = people[0]
    assert admin_users.find_users(session, admin, "%", clock.now()) == []
    assert admin_users.find_users(session, admin, "_", clock.now()) == []
    assert admin_users.find_users(session, admin, "   ", clock.now()) == []


def test_only_administrators_search_or_view(session, clock, people):
    _admin, mary, other = people
    with pytest.raises(NotAllowed):
        admin_users.find_users(session, other, "mary", clock.now())
    with pytest.raises(NotAllowed):
        admin_users.user_overview(session, other, mary.id, clock.now())


def test_an_unknown_account_is_no_such_user(session, clock, people):
    with pytest.raises(Invalid, match="No such user"):
        admin_users.user_overview(session, people[0], 987_654, clock.now())


def test_the_overview_shows_roles_state_devices_and_recent_security_events(session, clock, make, people):
    admin, mary, _other = people
    make.grant(session, mary, make.org(session, "KEN1", "Kenai Care"), "Staff")
    make.enrol(session, mary)
    for _ in range(5):
        with pytest.raises((Invalid, Locked)):
            auth.check_password(session, "mkuk", "wrong guess", ip="198.51.100.7", now=clock.now())
    audit.record(session, "pq.added", actor_id=mary.id, subject_user_id=mary.id)  # not a security event
    state = admin_users.find_users(session, admin, "mkuk", clock.now())[0]["state"]
    assert state.startswith("Locked until ")

    overview = admin_users.user_overview(session, admin, mary.id, clock.now())
    assert overview.summary["locked"] == "yes" and overview.summary["sign_in"].startswith("Locked until ")
    assert (overview.summary["account"], overview.summary["active"], overview.summary["devices"]) == \
        ("Active", "yes", "1")
    assert overview.roles == [{"organization": "Kenai Care (KEN1)", "role": "Staff",
                               "since": overview.roles[0]["since"]}]
    events = [e["event"] for e in overview.events]
    assert events[:2] == ["Locked", "Wrong password"] and events.count("Wrong password") == 5
    assert overview.events[1]["ip"] == "198.51.100.7" and "failures: 5" in overview.events[1]["detail"]

    account_control.unlock_account(session, admin, mary.id, now=clock.advance(minutes=1))
    account_control.set_account_active(session, admin, mary.id, False, now=clock.now())
    overview = admin_users.user_overview(session, admin, mary.id, clock.now())
    assert (overview.summary["account"], overview.summary["active"], overview.summary["locked"]) == \
        ("Disabled", "", "")
    assert [e["event"] for e in overview.events[:2]] == ["Disabled", "Unlocked"]
    assert overview.events[0]["by"] == "desk.dana (Dana Desk)"
    assert admin_users.find_users(session, admin, "mkuk", clock.now())[0]["state"] == "Disabled"


def test_only_the_last_twenty_events_are_shown(session, clock, people):
    admin, mary, _other = people
    for n in range(25):
        audit.record(session, "auth.signed_in", actor_id=mary.id, subject_user_id=mary.id,
                     now=clock.now() + timedelta(minutes=n), method="totp")
    events = admin_users.user_overview(session, admin, mary.id, clock.now()).events
    assert len(events) == admin_users.EVENTS_SHOWN == 20
    # Newest first: the 25th sign-in heads the list, the 6th ends it.
    assert (events[0]["at"], events[-1]["at"]) == (format_local(clock.now() + timedelta(minutes=24)),
                                                   format_local(clock.now() + timedelta(minutes=5)))
