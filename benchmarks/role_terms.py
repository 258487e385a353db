"""Time-limited roles on PostgreSQL: the ending job with 10,000 roles due at once (each deleted, audited
as expired, its holder and the organization's officials told), across 1,000 organizations, run as the
job runner runs it (claimed on the scheduled-jobs mechanism, batch after batch).

Aim (issue "Access reviews and time-limited roles"): the ending job for 10,000 roles due at once under 10 s.
"""

from __future__ import annotations

import os
from datetime import UTC, date, datetime

from sqlalchemy import insert
from sqlmodel import Session, func, select

from benchmarks.common import postgres_database, summary, time_ms
from harmony_portal.db import make_engine
from harmony_portal.models import AuditEvent, Organization, OrgRole, User
from harmony_portal.services import jobs
from harmony_portal.services.roles import term_jobs, terms

ROUNDS = int(os.environ.get("BENCH_ROUNDS", 3))
DUE = int(os.environ.get("BENCH_ROLES_DUE", 10_000))
ORGS = int(os.environ.get("BENCH_ORGS", 1_000))
LAST_DAY = date(2026, 11, 17)
NOW = datetime(2026, 11, 18, 18, 0, tzinfo=UTC)


def _roles_due(engine, round_no: int) -> None:
    """DUE Staff roles whose last day is over, ORGS organizations each with one Security Official."""
    with Session(engine) as s:
        prefix = f"R{round_no}-"
        s.execute(insert(Organization), [dict(id=f"{prefix}{o}", name=f"Bench Home {o}", provider_type="Nursing Home")
                                         for o in range(ORGS)])
        users = [dict(user_id=f"{prefix}u{n}", user_id_key=f"{prefix}u{n}".lower(), email=f"{prefix}u{n}@example.org",
                      email_key=f"{prefix}u{n}@example.org".lower(), first_name="Bench", last_name=f"Holder{n}",
                      password_hash="x") for n in range(DUE + ORGS)]
        ids = list(s.execute(insert(User).returning(User.id), users).scalars())
        holders, officials = ids[:DUE], ids[DUE:]
        s.execute(insert(OrgRole), [dict(user_id=officials[o], organization_id=f"{prefix}{o}",
                                         role="Security Official") for o in range(ORGS)])
        s.execute(insert(OrgRole), [dict(user_id=holder, organization_id=f"{prefix}{n % ORGS}", role="Staff",
                                         ends_on=LAST_DAY, ends_at=terms.ends_at_for(LAST_DAY), notified_days=3)
                                    for n, holder in enumerate(holders)])
        s.commit()


def _run_job(engine) -> None:
    with Session(engine) as s:
        term_jobs.ensure_scheduled(s, NOW)
        s.commit()
    while jobs.run_due(engine, {"roles.end_due": term_jobs.end_roles}, NOW) >= jobs.BATCH:
        pass


def run() -> dict:
    samples = []
    with postgres_database() as url:
        engine = make_engine(url)
        for n in range(ROUNDS):
            _roles_due(engine, n)
            samples.append(time_ms(lambda: _run_job(engine)))
            with Session(engine) as s:
                left = s.exec(select(func.count()).select_from(OrgRole).where(OrgRole.role == "Staff")).one()
                expired = s.exec(select(func.count()).select_from(AuditEvent)
                                 .where(AuditEvent.action == "role.expired")).one()
            assert left == 0 and expired == DUE * (n + 1), (left, expired)
            # The next round's job is due again: the recurring row moved a minute on.
            with Session(engine) as s:
                jobs.schedule(s, "roles.end_due", term_jobs.SWEEP, NOW)
                s.commit()
        engine.dispose()
    return {f"end_job_{DUE}_roles_due_at_once_{ORGS}_organizations": {**summary(samples), "aim_ms": 10_000}}
