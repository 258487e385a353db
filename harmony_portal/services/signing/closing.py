"""A form that stops being signed (declined, withdrawn, expired, void): said once, to everyone asked."""

from __future__ import annotations

from datetime import datetime

from sqlmodel import Session

from harmony_portal.models import PQ, SigningForm, User
from harmony_portal.services import changes, jobs
from harmony_portal.services.audit import trail as audit
from harmony_portal.services.signing import telling
from harmony_portal.vocabulary import DECLINED, EXPIRED, SIGNING, VOID, WITHDRAWN

EXPIRED_WHY = "The form was not signed by all three within 10 business days; start it again from the PQ."
TITLES = {DECLINED: "declined", WITHDRAWN: "withdrawn", EXPIRED: "expired unsigned", VOID: "void"}


def end(session: Session, form: SigningForm, pq: PQ, status: str, why: str, actor: User | None,
        now: datetime) -> None:
    """Mark ``form`` ``status`` with ``why`` (``actor`` None: the portal itself, e.g. the expiry job);
    nobody can sign it further, its reminders stop, and everyone asked is told."""
    if form.status != SIGNING:
        return
    form.status, form.end_reason, form.ended_at = status, why[:1000], now
    form.ended_by_id = actor.id if actor else None
    session.add(form)
    for signer in telling.signers_of(session, form):
        jobs.cancel(session, telling.REMIND, f"signer:{signer.id}")
    jobs.cancel(session, telling.EXPIRE, f"form:{form.id}")
    # In the PQ's History (rows whose target is the PQ) and the audit chain.
    audit.record(session, f"pq.signing_{status}", actor_id=actor.id if actor else None,
                 subject_user_id=pq.created_by_id, organization_id=pq.organization_id, target=f"pq:{pq.id}",
                 now=now, form_id=form.id, reason=why[:300])
    telling.tell_everyone_asked(session, form, pq, f"Access Request of PQ {pq.id} {TITLES[status]}", why, now,
                                besides={actor.id} if actor else set())
    changes.pqs_changed(session, {pq.id})
