"""Reminders after one business day and expiry after ten, on the SLA's Alaska clock, run as jobs."""

from datetime import timedelta

from sqlmodel import Session, select

from harmony_portal.models import FormSigner, OutboxEmail, ScheduledJob, SigningForm
from harmony_portal.services import jobs
from harmony_portal.services.signing import endings
from tests.services.signing.helpers import start


def _reminders(session, to_prefix: str) -> int:
    return sum(1 for e in session.exec(select(OutboxEmail))
               if e.subject.startswith("Reminder:") and e.to_address.startswith(to_prefix))


def test_the_signer_is_reminded_once_a_business_day_on_and_the_form_expires_after_ten(engine, session, world,
                                                                                      clock):
    form = start(session, world, clock)  # Wednesday 9:00am Alaska time; Sue is asked
    session.commit()
    handlers = endings.HANDLERS
    jobs.run_due(engine, handlers, now=clock.now() + timedelta(hours=10))  # Wednesday 7pm: not a business day yet
    session.expire_all()
    assert _reminders(session, "sue") == 0
    thursday = clock.now() + timedelta(days=1, hours=1, minutes=30)  # Thursday 10:30am: one business day on
    assert jobs.run_due(engine, handlers, now=thursday) == 1
    session.expire_all()
    assert _reminders(session, "sue") == 1 and _reminders(session, "als") == 0  # only whose turn it is
    # Three weeks of downtime: the form (10 business days) expires, and nobody is reminded of it.
    later = clock.now() + timedelta(days=21)
    jobs.run_due(engine, handlers, now=later)
    jobs.run_due(engine, handlers, now=later)
    session.expire_all()
    assert _reminders(session, "sue") == 1
    assert session.get(SigningForm, form.id).status == "expired"
    assert session.exec(select(ScheduledJob).where(ScheduledJob.done_at.is_(None))).all() == []
    assert any("expired" in e.subject for e in session.exec(select(OutboxEmail)) if e.to_address.startswith("ann"))
    assert session.exec(select(FormSigner).where(FormSigner.state == "asked")).one().reminders_sent == 1


def test_expiry_counts_business_days_across_a_holiday_and_dst(engine, session, world, clock):
    """Started Wednesday Nov 18, 2026: Thanksgiving (Nov 26) is an Alaska state holiday, so ten
    business days end on Dec 3, not Dec 2."""
    form = start(session, world, clock)
    session.commit()
    assert form.expires_at.date().isoformat() == "2026-12-03"
    with Session(engine) as s:
        assert s.exec(select(ScheduledJob).where(ScheduledJob.kind == "signing.expire")).one().due_at == form.expires_at


def test_a_week_of_downtime_gives_one_catch_up_reminder_not_five(engine, session, world, clock):
    start(session, world, clock)
    session.commit()
    back = clock.now() + timedelta(days=7)  # the next Wednesday: five business days missed
    jobs.run_due(engine, endings.HANDLERS, now=back)
    jobs.run_due(engine, endings.HANDLERS, now=back + timedelta(minutes=1))
    session.expire_all()
    assert _reminders(session, "sue") == 1
