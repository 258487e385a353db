"""Time-limited roles on a fixed clock: "Access ends on", the default term, Alaska's midnight across daylight
saving, the warnings, extending, the ending job (once, even with two workers at once) and stale requests."""

import json
import threading
from datetime import UTC, date, datetime, timedelta

import pytest
from sqlmodel import Session, select

from harmony_portal.models import AuditEvent, Notification, OrgRole, RoleRequest
from harmony_portal.services.errors import Invalid, NotAllowed
from harmony_portal.services.roles import decisions, term_jobs, terms
from harmony_portal.services.roles import requests as roles
from harmony_portal.vocabulary import PENDING, REQUEST_EXPIRED, STAFF


def _audit(session, action) -> list[dict]:
    rows = session.exec(select(AuditEvent).where(AuditEvent.action == action).order_by(AuditEvent.id)).all()
    return [json.loads(row.detail) for row in rows]


def _notes(session, user) -> list[str]:
    return [n.title for n in session.exec(select(Notification).where(Notification.user_id == user.id)
                                          .order_by(Notification.id))]


@pytest.fixture
def world(session, make):
    org = make.org(session, "T1", "Tern Home")
    official, holder = make.user(session, "so.tern"), make.user(session, "holder.tern")
    make.grant(session, official, org)
    return org, official, holder


def _approved(session, clock, world, ends_on=""):
    org, official, holder = world
    request = roles.request_role(session, holder, org.id, STAFF, "I work the night shift here", now=clock.now())
    decisions.approve_requests(session, official, [request.id], ends_on=ends_on, now=clock.now())
    return session.exec(select(OrgRole).where(OrgRole.user_id == holder.id)).one()


def test_access_ends_at_the_first_minute_after_the_last_day_in_alaska(session, clock, world):
    grant = _approved(session, clock, world, "2026-12-31")
    assert grant.ends_on == date(2026, 12, 31)
    assert grant.ends_at == datetime(2027, 1, 1, 9, 0, tzinfo=UTC)  # midnight AKST


@pytest.mark.parametrize(("last_day", "ends_at"), [
    (date(2027, 3, 13), datetime(2027, 3, 14, 9, 0, tzinfo=UTC)),   # the night daylight saving starts (AKST)
    (date(2027, 3, 14), datetime(2027, 3, 15, 8, 0, tzinfo=UTC)),   # the first day of AKDT
    (date(2027, 11, 6), datetime(2027, 11, 7, 8, 0, tzinfo=UTC)),   # the night it ends (still AKDT at midnight)
    (date(2027, 11, 7), datetime(2027, 11, 8, 9, 0, tzinfo=UTC)),
])
def test_the_end_follows_daylight_saving(last_day, ends_at):
    assert terms.ends_at_for(last_day) == ends_at


@pytest.mark.parametrize(("typed", "problem"), [("2026-11-17", "past"), ("next tuesday", "must be a date"),
                                               ("2032-01-01", "within 5 years")])
def test_an_unfit_end_date_is_refused_and_nothing_is_approved(session, clock, world, typed, problem):
    org, official, holder = world
    request = roles.request_role(session, holder, org.id, STAFF, "I work the night shift here", now=clock.now())
    with pytest.raises(Invalid) as caught:
        decisions.approve_requests(session, official, [request.id], ends_on=typed, now=clock.now())
    assert problem in caught.value.errors["ends_on"]
    assert session.get(RoleRequest, request.id).status == PENDING


def test_the_default_term_applies_when_the_approval_names_no_end(session, clock, world, make):
    admin = make.user(session, is_admin=True)
    with pytest.raises(NotAllowed):
        terms.set_default_term(session, world[1], STAFF, "365", now=clock.now())
    terms.set_default_term(session, admin, STAFF, "365", now=clock.now())
    grant = _approved(session, clock, world)
    assert grant.ends_on == terms.today(clock.now()) + timedelta(days=365)
    assert _audit(session, "role.default_term_changed")[-1] == {"role": STAFF, "days": "365"}


def test_a_role_ends_by_itself_at_its_time_once_and_audited_as_expired(session, clock, world):
    org, official, holder = world
    grant = _approved(session, clock, world, "2026-11-20")
    assert terms.end_due(session, now=grant.ends_at - timedelta(seconds=1)) == 0
    assert terms.end_due(session, now=grant.ends_at) == 1
    assert terms.end_due(session, now=grant.ends_at) == 0
    assert session.exec(select(OrgRole).where(OrgRole.user_id == holder.id)).all() == []
    expired = _audit(session, "role.expired")
    assert len(expired) == 1 and expired[0]["ends_on"] == "2026-11-20"
    assert _audit(session, "role.removed") == []  # ended (expired) is not removed
    assert f"Your {STAFF} role at Tern Home ended" in _notes(session, holder)
    assert "1 role(s) at your organization ended" in _notes(session, official)


def test_warnings_come_14_and_3_days_before_and_start_over_when_extended(session, clock, world):
    org, official, holder = world
    grant = _approved(session, clock, world, "2026-12-31")
    assert terms.send_warnings(session, now=grant.ends_at - timedelta(days=15)) == 0
    assert terms.send_warnings(session, now=grant.ends_at - timedelta(days=14)) == 1
    assert terms.send_warnings(session, now=grant.ends_at - timedelta(days=13)) == 0  # once
    assert terms.send_warnings(session, now=grant.ends_at - timedelta(days=3)) == 1
    assert grant.notified_days == 3
    warned = [t for t in _notes(session, holder) if "ends in" in t]
    assert warned == ["A role at Tern Home ends in 14 days or less", "A role at Tern Home ends in 3 days or less"]
    assert len([t for t in _notes(session, official) if "ends in" in t]) == 2
    terms.extend(session, official, grant.id, "2027-03-31", now=clock.now())
    assert grant.notified_days == 0 and grant.ends_on == date(2027, 3, 31)
    assert _audit(session, "role.term_changed")[-1]["ends_on_before"] == "2026-12-31"


def test_a_role_due_within_3_days_gets_one_warning(session, clock, world):
    grant = _approved(session, clock, world, "2026-11-19")
    assert terms.send_warnings(session, now=clock.now()) == 1
    assert terms.send_warnings(session, now=clock.now()) == 0
    assert grant.notified_days == 3


def test_who_may_extend(session, clock, world, make):
    org, official, holder = world
    grant = _approved(session, clock, world, "2026-12-31")
    other_org = make.org(session, "T2")
    stranger = make.user(session)
    make.grant(session, stranger, other_org)
    with pytest.raises(NotAllowed):
        terms.extend(session, stranger, grant.id, "2027-01-31", now=clock.now())
    own = session.exec(select(OrgRole).where(OrgRole.user_id == official.id)).one()
    with pytest.raises(NotAllowed, match="their own"):
        terms.extend(session, official, own.id, "2027-01-31", now=clock.now())
    terms.extend(session, official, grant.id, "", now=clock.now())  # until removed
    assert grant.ends_on is None and grant.ends_at is None


def test_the_sweep_runs_every_minute_and_expires_requests_nobody_decided(session, clock, world):
    org, official, holder = world
    old = roles.request_role(session, holder, org.id, STAFF, "Asked a long time ago", now=clock.now())
    assert term_jobs.expire_requests(session, "all", clock.now() + timedelta(days=29)) <= clock.now() + \
        timedelta(days=29, minutes=1)
    assert session.get(RoleRequest, old.id).status == PENDING
    term_jobs.expire_requests(session, "all", clock.now() + timedelta(days=31))
    assert session.get(RoleRequest, old.id).status == REQUEST_EXPIRED
    assert "Your role request expired" in _notes(session, holder)
    assert _audit(session, "role.request_expired")[-1]["role"] == STAFF


@pytest.mark.parametrize("engine", ["postgresql"], indirect=True)
def test_two_workers_ending_roles_at_once_end_each_once(engine, make, clock):
    with Session(engine, expire_on_commit=False) as s:
        org = make.org(s, "T3")
        official = make.user(s, "so.t3")
        make.grant(s, official, org)
        for n in range(terms.BATCH + 40):  # more than one batch
            holder = make.user(s, f"h{n}.t3")
            s.add(OrgRole(user_id=holder.id, organization_id=org.id, role=STAFF, ends_on=date(2026, 11, 17),
                          ends_at=terms.ends_at_for(date(2026, 11, 17))))
        s.commit()
    barrier, errors = threading.Barrier(2), []

    def worker():
        try:
            with Session(engine, expire_on_commit=False) as s:
                barrier.wait()
                term_jobs.end_roles(s, "all", clock.now())
                s.commit()
        except Exception as exc:  # reported below
            errors.append(exc)

    threads = [threading.Thread(target=worker) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    assert errors == []
    with Session(engine) as s:
        assert s.exec(select(OrgRole).where(OrgRole.role == STAFF)).all() == []
        assert len(s.exec(select(AuditEvent).where(AuditEvent.action == "role.expired")).all()) == terms.BATCH + 40
