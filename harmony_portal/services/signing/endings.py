"""Declining, withdrawing and resending a form; the jobs that remind signers and expire forms."""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlmodel import Session, select

from harmony_portal.models import PQ, FormSigner, SigningForm, User, utc_now
from harmony_portal.services import validation
from harmony_portal.services.errors import Conflict, Invalid, NotAllowed, RateLimited
from harmony_portal.services.maintenance.windows import as_utc
from harmony_portal.services.pq.access import is_help_desk, viewable_pq
from harmony_portal.services.pq.sla import add_business_time
from harmony_portal.services.signing import closing, flow, telling
from harmony_portal.services.signing.people import full_name
from harmony_portal.vocabulary import ASKED, DECLINED, EXPIRED, SIGNER_ROLES, SIGNING, WITHDRAWN

REASON_MAX = 1000
RESEND_EVERY = timedelta(minutes=15)


def _reason(text: str, field: str, label: str) -> str:
    reason = (text or "").strip()
    if not reason:
        raise Invalid(field, f"Enter a {label.lower()}: everyone already asked is told it.")
    if len(reason) > REASON_MAX:
        raise Invalid(field, f"The {label.lower()} is {len(reason)} characters; at most {REASON_MAX}.")
    if problem := validation.text_problem("note", reason):
        raise Invalid(field, problem)
    return reason


def decline(session: Session, actor: User, form_id: int, reason: str, *, now: datetime | None = None) -> None:
    """The signer whose turn it is declines, with a reason; the form is void and everyone asked is told."""
    now = now or utc_now()
    form, pq, signers = flow.signable(session, actor, form_id, now)
    why = _reason(reason, "decline_reason", "Decline reason")
    signer = next(s for s in signers if s.user_id == actor.id)
    signer.state, signer.declined_at, signer.reason = DECLINED, now, why
    session.add(signer)
    role = dict(SIGNER_ROLES)[signer.role].lower()
    closing.end(session, form, pq, DECLINED, f"{full_name(actor)} declined to sign as {role}: {why}", actor, now)


def _managed_form(session: Session, actor: User, form_id: object) -> tuple[SigningForm, PQ]:
    """An open form the requester, its starter or the help desk may withdraw or resend."""
    form = flow.locked_form(session, form_id)
    if form is None:
        raise NotAllowed("No such form.")
    pq = viewable_pq(session, actor, form.pq_id)
    if actor.id not in (form.access_for_id, form.started_by_id) and not is_help_desk(actor):
        raise NotAllowed("Only the requester or the Harmony Help Desk may do that.")
    if form.status != SIGNING:
        raise Conflict(f"This form is no longer being signed ({form.status}).")
    return form, pq


def withdraw(session: Session, actor: User, form_id: int, reason: str, *, now: datetime | None = None) -> None:
    """The requester (or the help desk) withdraws the form, with a reason; everyone asked is told."""
    now = now or utc_now()
    form, pq = _managed_form(session, actor, form_id)
    why = _reason(reason, "withdraw_reason", "Withdraw reason")
    closing.end(session, form, pq, WITHDRAWN, f"{full_name(actor)} withdrew the form: {why}", actor, now)


def resend(session: Session, actor: User, form_id: int, *, now: datetime | None = None) -> str:
    """Ask the signer whose turn it is again (at most every 15 minutes); returns who was asked."""
    now = now or utc_now()
    form, pq = _managed_form(session, actor, form_id)
    signer = telling.turn_of(telling.signers_of(session, form))
    if signer is None:
        raise Conflict("Nobody is waiting to sign this form.")
    last = signer.resent_at or signer.asked_at
    if last is not None and now - as_utc(last) < RESEND_EVERY:
        wait = RESEND_EVERY - (now - as_utc(last))
        raise RateLimited(f"They were asked a moment ago; you can resend in {int(wait.total_seconds() // 60) + 1} "
                          "minutes.", retry_after=int(wait.total_seconds()) + 1)
    signer.resent_at = now
    session.add(signer)
    telling.ask(session, form, signer, pq, now, reminder=True)
    return full_name(session.get(User, signer.user_id))


def remind(session: Session, subject: str, now: datetime) -> datetime | None:
    """Job: remind a signer still asked one business day on; then once each further business day.
    However long the portal was down, one reminder now, the next a business day after it."""
    found = session.exec(select(FormSigner, SigningForm, PQ).join(SigningForm, SigningForm.id == FormSigner.form_id)
                         .join(PQ, PQ.id == SigningForm.pq_id).where(FormSigner.id == _id(subject, "signer"))).first()
    if found is None:
        return None
    signer, form, pq = found
    if form.status != SIGNING or signer.state != ASKED:
        return None
    if as_utc(form.expires_at) <= now:
        return None  # it expires now instead (its own job): no reminder for a form nobody can sign
    signer.reminders_sent += 1
    session.add(signer)
    telling.ask(session, form, signer, pq, now, reminder=True, schedule_reminder=False)
    return add_business_time(now, telling.ONE_BUSINESS_DAY)


def expire(session: Session, subject: str, now: datetime) -> datetime | None:
    """Job: a form not fully signed 10 business days after it started expires."""
    form = flow.locked_form(session, _id(subject, "form"))
    if form is None or form.status != SIGNING:
        return None
    closing.end(session, form, session.get(PQ, form.pq_id), EXPIRED, closing.EXPIRED_WHY, None, now)
    return None


def _id(subject: str, kind: str) -> int:
    prefix, _, number = subject.partition(":")
    return int(number) if prefix == kind and number.isdigit() else 0


HANDLERS = {telling.REMIND: remind, telling.EXPIRE: expire}
