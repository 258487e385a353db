"""Signing an Access Request in the portal, on PostgreSQL: one signature added to a two-page form
(security code checked, PAdES signature, the new revision encrypted into the store, audited), the
signing record, the signature check the PQ page shows, and one run of the scheduled-jobs runner with
10,000 forms being signed.

Aims (issue "The Access Request signed in the portal"): a signature under 300 ms median; one run
of the reminder job at 10,000 pending forms under 2 s.
"""

from __future__ import annotations

import os
import tempfile
from datetime import UTC, datetime, timedelta

from sqlalchemy import insert
from sqlmodel import Session, select

from benchmarks.common import postgres_database, summary, time_ms
from harmony_portal.db import make_engine
from harmony_portal.models import PQ, FormSigner, Organization, OrgRole, ScheduledJob, SigningForm, User
from harmony_portal.services import jobs
from harmony_portal.services.pq.filing import PQForm, add_pq
from harmony_portal.services.security import current_totp
from harmony_portal.services.signin import two_factor
from harmony_portal.services.signing import document, endings, flow, record, telling
from harmony_portal.services.signing.certificates import signing_identity
from harmony_portal.services.signing.store import stored_pdf

ROUNDS = int(os.environ.get("BENCH_ROUNDS", 15))
PENDING = int(os.environ.get("BENCH_PENDING_FORMS", 10_000))
DUE = int(os.environ.get("BENCH_DUE", 200))


def _people(session: Session) -> dict[str, tuple[User, str]]:
    session.add(Organization(id="SIGNB", name="Bench Pioneer Home", provider_type="Nursing Home"))
    people = {}
    for key, role in (("ann", "Staff"), ("sue", "Staff"), ("al", "Access Coordinator")):
        user = User(user_id=f"{key}b", user_id_key=f"{key}b", email=f"{key}b@example.org",
                    email_key=f"{key}b@example.org", first_name=key.capitalize(), last_name="Bench", password_hash="x")
        session.add(user)
        session.flush()
        session.add(OrgRole(user_id=user.id, organization_id="SIGNB", role=role))
        people[key] = (user, two_factor.enrol_trusted_device(session, user, "Phone", reason="benchmark"))
    session.commit()
    return people


def _signatures(engine, people) -> tuple[dict, dict, dict]:
    samples, records, checks = [], [], []
    ann, sue = people["ann"], people["sue"]
    for n in range(ROUNDS):
        now = datetime(2026, 11, 18, 18, 0, tzinfo=UTC) + timedelta(minutes=2 * n)
        with Session(engine, expire_on_commit=False) as s:
            pq = add_pq(s, ann[0], PQForm(provider="SIGNB", inquiry_type="Access Request", subject=f"Access {n}",
                                          details="A two-page form."), now=now)
            form = flow.start(s, ann[0], pq.id, access_for="", supervisor="sueb", agency_signer="alb",
                              code=current_totp(ann[1], now), acknowledged=True, now=now)
            s.commit()

        def sign(form_id=form.id, now=now):
            with Session(engine, expire_on_commit=False) as s:
                flow.sign(s, sue[0], form_id, current_totp(sue[1], now), now=now)
                s.commit()

        samples.append(time_ms(sign))
        with Session(engine, expire_on_commit=False) as s:
            records.append(time_ms(lambda s=s, form_id=form.id: record.signing_record(s, sue[0], form_id)))
            pdf = stored_pdf(s, s.get(SigningForm, form.id))
            checks.append(time_ms(lambda pdf=pdf: document.validate(pdf, signing_identity())))
    return summary(samples), summary(records), summary(checks)


def _pending_forms(engine, people, now: datetime) -> None:
    """``PENDING`` forms being signed, the supervisor asked on each; ``DUE`` of their reminders due now."""
    ann, sue = people["ann"][0], people["sue"][0]
    with Session(engine) as s:
        s.execute(insert(PQ), [dict(organization_id="SIGNB", provider_name="Bench Pioneer Home",
                                    inquiry_type="Access Request", subject=f"Pending {n}", details="d",
                                    status="Pending", assigned_resource="Harmony Help Desk", created_by_id=ann.id,
                                    created_at=now, updated_at=now) for n in range(PENDING)])
        pq_ids = s.exec(select(PQ.id).where(PQ.subject.startswith("Pending "))).all()
        s.execute(insert(SigningForm), [dict(pq_id=pq_id, access_for_id=ann.id, started_by_id=ann.id, status="signing",
                                             values="{}", unsigned_sha256="", signed_sha256="", certificate_sha256="",
                                             end_reason="", created_at=now, expires_at=now + timedelta(days=14))
                                        for pq_id in pq_ids])
        form_ids = s.exec(select(SigningForm.id).where(SigningForm.values == "{}")).all()
        s.execute(insert(FormSigner), [dict(form_id=f, position=2, role="supervisor", user_id=sue.id, state="asked",
                                            reason="", reminders_sent=0, asked_at=now) for f in form_ids])
        signer_ids = s.exec(select(FormSigner.id).where(FormSigner.form_id.in_(form_ids))).all()
        s.execute(insert(ScheduledJob), [dict(kind=telling.REMIND, subject=f"signer:{sid}", attempts=0, last_error="",
                                              due_at=now - timedelta(minutes=1) if n < DUE else now + timedelta(days=1))
                                         for n, sid in enumerate(signer_ids)])
        s.commit()


def _make_due(engine, now: datetime) -> None:
    with Session(engine) as s:
        later = s.exec(select(ScheduledJob).where(ScheduledJob.done_at.is_(None), ScheduledJob.due_at > now)
                       .limit(DUE)).all()
        for job in later:
            job.due_at = now - timedelta(minutes=1)
            s.add(job)
        s.commit()


def run() -> dict:
    with tempfile.TemporaryDirectory() as uploads, postgres_database() as url:
        os.environ["HARMONY_UPLOAD_DIR"] = uploads
        engine = make_engine(url)
        with Session(engine, expire_on_commit=False) as s:
            people = _people(s)
        signature, signing_record, check = _signatures(engine, people)
        now = datetime(2026, 11, 25, 18, 0, tzinfo=UTC)  # a Wednesday, 9:00am in Alaska
        _pending_forms(engine, people, now)
        runs = []
        for _round in range(3):  # each round: DUE more reminders fall due among the pending forms
            runs.append(time_ms(lambda: jobs.run_due(engine, endings.HANDLERS, now=now)))
            _make_due(engine, now)
        jobs.run_due(engine, endings.HANDLERS, now=now)
        idle = [time_ms(lambda: jobs.run_due(engine, endings.HANDLERS, now=now)) for _ in range(5)]
        engine.dispose()
    return {"add_one_signature_two_page_form_postgresql": {**signature, "aim_median_ms": 300},
            "signing_record_pdf": signing_record, "validate_signatures_on_page": check,
            f"job_run_{PENDING}_pending_forms_{DUE}_reminders_due": {**summary(runs), "aim_ms": 2000},
            f"job_run_{PENDING}_pending_forms_none_due": summary(idle)}
