"""Scheduled jobs: each due job runs once across workers, a downtime gives one catch-up run, and
nothing runs during maintenance."""

import threading
from datetime import timedelta

from sqlmodel import Session, select

from harmony_portal.models import MaintenanceWindow, ScheduledJob
from harmony_portal.services import jobs


def _schedule(engine, kind, subject, due):
    with Session(engine) as s:
        jobs.schedule(s, kind, subject, due)
        s.commit()


def test_a_due_job_runs_once_even_with_two_workers_at_once(engine, clock):
    calls, lock = [], threading.Lock()
    barrier = threading.Barrier(2)

    def handler(session, subject, now):
        with lock:
            calls.append(subject)

    for n in range(20):
        _schedule(engine, "test.once", f"item:{n}", clock.now() - timedelta(minutes=1))

    def worker():
        barrier.wait()
        jobs.run_due(engine, {"test.once": handler}, now=clock.now())

    threads = [threading.Thread(target=worker) for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sorted(calls) == sorted(f"item:{n}" for n in range(20))  # each once, none twice
    with Session(engine) as s:
        assert all(j.done_at is not None for j in s.exec(select(ScheduledJob)))


def test_a_job_not_yet_due_waits_and_a_long_downtime_gives_one_catch_up_run(engine, clock):
    runs = []

    def every_day(session, subject, now):
        runs.append(now)
        return now + timedelta(days=1)

    _schedule(engine, "test.daily", "x", clock.now() + timedelta(hours=1))
    assert jobs.run_due(engine, {"test.daily": every_day}, now=clock.now()) == 0
    later = clock.advance(days=5)  # the portal was down for five days
    assert jobs.run_due(engine, {"test.daily": every_day}, now=later) == 1
    assert jobs.run_due(engine, {"test.daily": every_day}, now=later) == 0  # not five reminders at once
    with Session(engine) as s:
        assert s.exec(select(ScheduledJob)).one().due_at == later + timedelta(days=1)


def test_nothing_runs_during_maintenance_and_it_runs_once_the_window_ends(engine, clock):
    runs = []
    _schedule(engine, "test.m", "x", clock.now() - timedelta(minutes=5))
    with Session(engine) as s:
        s.add(MaintenanceWindow(starts_at=clock.now() - timedelta(minutes=10), ends_at=clock.now() + timedelta(hours=1),
                                reason="Upgrade"))
        s.commit()
    assert jobs.run_due(engine, {"test.m": lambda s, subj, now: runs.append(now)}, now=clock.now()) == 0
    after = clock.advance(hours=2)
    assert jobs.run_due(engine, {"test.m": lambda s, subj, now: runs.append(now)}, now=after) == 1
    assert runs == [after]


def test_a_failing_job_is_kept_with_its_error_and_tried_again_after_its_lease(engine, clock):
    def broken(session, subject, now):
        raise RuntimeError("smtp down")

    _schedule(engine, "test.fail", "x", clock.now())
    assert jobs.run_due(engine, {"test.fail": broken}, now=clock.now()) == 0
    with Session(engine) as s:
        job = s.exec(select(ScheduledJob)).one()
        assert job.done_at is None and "smtp down" in job.last_error and job.attempts == 1
    assert jobs.run_due(engine, {"test.fail": broken}, now=clock.now() + timedelta(minutes=1)) == 0  # leased
    jobs.run_due(engine, {"test.fail": lambda s, subj, now: None}, now=clock.now() + jobs.LEASE + timedelta(seconds=1))
    with Session(engine) as s:
        assert s.exec(select(ScheduledJob)).one().done_at is not None
