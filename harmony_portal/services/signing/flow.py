"""Starting an Access Request form and signing it, in order: requester, direct supervisor, agency
authorized signer. Each signer signs from the PQ after a fresh security code; each signature is a
PAdES signature on the PDF they could read, and goes into the audit chain with the document's hash
before and after.
"""

from __future__ import annotations

import dataclasses
import json
from datetime import datetime

from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, select

from harmony_portal.models import PQ, FormSigner, SigningForm, User, utc_now
from harmony_portal.services import changes, jobs
from harmony_portal.services.errors import Conflict, Invalid, NotAllowed
from harmony_portal.services.maintenance import windows as maintenance
from harmony_portal.services.maintenance.windows import as_utc
from harmony_portal.services.pq.access import viewable_pq
from harmony_portal.services.pq.access_form import form_values as pq_form_values
from harmony_portal.services.pq.access_form_pdf import FormValues, render
from harmony_portal.services.pq.filing import audit_pq
from harmony_portal.services.pq.sla import add_business_time
from harmony_portal.services.signin import step_up
from harmony_portal.services.signing import closing, document, telling
from harmony_portal.services.signing.certificates import signing_identity
from harmony_portal.services.signing.people import Named, full_name, may_still_sign, name_people, users_by_id
from harmony_portal.services.signing.store import store_revision, stored_pdf
from harmony_portal.vocabulary import ACCESS_REQUEST, ASKED, EXPIRED, SIGNED, SIGNER_ROLES, SIGNING, VOID, WAITING

NOT_YOURS = "You are not asked to sign this form."
UNACKNOWLEDGED = "Tick each acknowledgement: the requester signs to accept them."


def form_values(pq: PQ, requester: User, supervisor: User, agency_signer: User) -> FormValues:
    """What the form says: the PQ, the person the access is for, and the three signers by name."""
    values = pq_form_values(pq, requester)
    values.signers = [(label, f"{full_name(user)} ({user.user_id})") for (_role, label), user
                      in zip(SIGNER_ROLES, (requester, supervisor, agency_signer), strict=True)]
    return values


def values_json(values: FormValues) -> str:
    return json.dumps(dataclasses.asdict(values), sort_keys=True)


def locked_form(session: Session, form_id: object) -> SigningForm | None:
    """The form, its row locked for this transaction and read afresh: a decision racing another
    (a last signature and a withdrawal, say) sees what the other committed."""
    if not isinstance(form_id, int) or isinstance(form_id, bool):
        return None
    return session.exec(select(SigningForm).where(SigningForm.id == form_id).with_for_update()
                        .execution_options(populate_existing=True)).first()


def open_form(session: Session, pq_id: int) -> SigningForm | None:
    return session.exec(select(SigningForm).where(SigningForm.pq_id == pq_id, SigningForm.status == SIGNING)).first()


def start(session: Session, actor: User, pq_id: int, *, access_for: str, supervisor: str, agency_signer: str,
          code: str, acknowledged: bool = False, ip: str = "", session_id: int | None = None,
          now: datetime | None = None) -> SigningForm:
    """The filer of an Access Request PQ names who signs, and signs first when the access is for them.

    Raises:
        NotAllowed: not the PQ's filer (or not their PQ to see).
        Invalid: not an Access Request; a named person who can't sign (keyed by field); a wrong code.
        Conflict: the PQ's form is already being signed.
    """
    now = now or utc_now()
    pq = viewable_pq(session, actor, pq_id)
    if pq.inquiry_type != ACCESS_REQUEST:
        raise Invalid("form", "Only an Access Request PQ has a form to sign.")
    if pq.created_by_id != actor.id:
        raise NotAllowed("Only the person who filed this PQ starts its form.")
    if open_form(session, pq.id):
        raise Conflict("This PQ's form is already being signed.")
    if session.exec(select(SigningForm.id).where(SigningForm.pq_id == pq.id, SigningForm.status == SIGNED)).first():
        raise Conflict("This PQ's form is already signed by all three.")
    maintenance.refuse_while_down(session, actor, now)
    named = name_people(session, actor, pq, access_for, supervisor, agency_signer)
    if named.access_for.id == actor.id and not acknowledged:
        raise Invalid("acknowledgements", UNACKNOWLEDGED)
    step_up.verify_security_code(session, actor, code, purpose="access_form_started", ip=ip, session_id=session_id,
                                 now=now)
    values = form_values(pq, named.access_for, named.supervisor, named.agency_signer)
    pdf = document.with_signature_fields(render(values))
    form = SigningForm(pq_id=pq.id, access_for_id=named.access_for.id, started_by_id=actor.id, status=SIGNING,
                       values=values_json(values), unsigned_sha256=document.sha256(pdf), created_at=now,
                       expires_at=add_business_time(now, telling.EXPIRES_AFTER))
    try:
        with session.begin_nested():
            session.add(form)
            session.flush()
    except IntegrityError:
        raise Conflict("This PQ's form is already being signed.") from None
    form.attachment_id = store_revision(session, form, pdf, 0, actor, now).id
    signers = _signers(session, form, named)
    audit_pq(session, "pq.signing_started", actor, pq, now, form_id=form.id, access_for=named.access_for.user_id,
             supervisor=named.supervisor.user_id, agency_signer=named.agency_signer.user_id,
             document_sha256=form.unsigned_sha256)
    jobs.schedule(session, telling.EXPIRE, f"form:{form.id}", form.expires_at)
    if named.access_for.id == actor.id:
        _add_signature(session, form, pq, signers, actor, pdf, now)
    else:
        _ask(session, form, signers[0], pq, now)
    changes.pqs_changed(session, {pq.id})
    return form


def _signers(session: Session, form: SigningForm, named: Named) -> list[FormSigner]:
    rows = [FormSigner(form_id=form.id, position=n, role=role, user_id=user.id, state=WAITING)
            for n, ((role, _label), user) in enumerate(
                zip(SIGNER_ROLES, (named.access_for, named.supervisor, named.agency_signer), strict=True), start=1)]
    session.add_all(rows)
    session.flush()
    return rows


def _ask(session: Session, form: SigningForm, signer: FormSigner, pq: PQ, now: datetime) -> None:
    signer.state, signer.asked_at = ASKED, now
    session.add(signer)
    telling.ask(session, form, signer, pq, now)


def sign(session: Session, actor: User, form_id: int, code: str, *, acknowledged: bool = False, ip: str = "",
         session_id: int | None = None, now: datetime | None = None) -> SigningForm:
    """The signer whose turn it is signs, after a fresh security code.

    Raises:
        NotAllowed: not a signer of this form, or not their turn (signing twice included).
        Invalid: a wrong or missing code (counted towards the lockout, audited).
        Conflict: the form is no longer being signed (declined, withdrawn, expired, void: changed since).
    """
    now = now or utc_now()
    form, pq, signers = signable(session, actor, form_id, now)
    maintenance.refuse_while_down(session, actor, now)
    if telling.turn_of(signers).role == "requester" and not acknowledged:
        raise Invalid("acknowledgements", UNACKNOWLEDGED)
    step_up.verify_security_code(session, actor, code, purpose="access_form_signed", ip=ip, session_id=session_id,
                                 now=now)
    if why := void_if_changed(session, form, pq, now):
        raise Conflict(why).keeping_changes()
    pdf = stored_pdf(session, form)
    if pdf is None:
        raise Conflict("The form's file can't be read, so it can't be signed. Withdraw it and start it again.")
    _add_signature(session, form, pq, signers, actor, pdf, now)
    changes.pqs_changed(session, {pq.id})
    return form


def signable(session: Session, actor: User, form_id: object,
             now: datetime | None = None) -> tuple[SigningForm, PQ, list[FormSigner]]:
    """The form ``actor`` may sign now (its row locked), its PQ and signers; refused as ``sign`` says
    otherwise. A form past its deadline expires here, whether or not the job got to it."""
    now = now or utc_now()
    form = locked_form(session, form_id)
    if form is None:
        raise NotAllowed(NOT_YOURS)
    pq = viewable_pq(session, actor, form.pq_id)
    signers = telling.signers_of(session, form)
    mine = next((s for s in signers if s.user_id == actor.id), None)
    if mine is None:
        raise NotAllowed(NOT_YOURS)
    if form.status == SIGNING and as_utc(form.expires_at) <= now:
        closing.end(session, form, pq, EXPIRED, closing.EXPIRED_WHY, None, now)
    if form.status != SIGNING:
        raise Conflict(f"This form is no longer being signed ({form.status}).").keeping_changes()
    if mine.state == SIGNED:
        raise NotAllowed("You signed this form already.")
    if mine.state != ASKED:
        raise NotAllowed("It is not your turn to sign this form yet.")
    if not may_still_sign(session, actor, mine.role, pq, form.started_by_id):
        raise NotAllowed(f"You no longer hold a role at {pq.provider_name} that can sign this form "
                         f"as its {dict(SIGNER_ROLES)[mine.role].lower()}.")
    return form, pq, signers


def void_if_changed(session: Session, form: SigningForm, pq: PQ, now: datetime) -> str | None:
    """Void an open form whose PQ or people no longer say what it says; the reason, or None."""
    if form.status != SIGNING:
        return None
    signers = telling.signers_of(session, form)
    people = users_by_id(session, {s.user_id for s in signers})
    current = values_json(form_values(pq, *(people[s.user_id] for s in signers)))
    if current == form.values:
        return None
    was, now_says = json.loads(form.values), json.loads(current)
    what = ", ".join(sorted(k.replace("_", " ") for k in now_says if now_says[k] != was.get(k))) or "its content"
    why = (f"The form changed after it was started ({what}): every signature on it is void. "
           "Start the form again to sign what it says now.")
    closing.end(session, form, pq, VOID, why, None, now)
    return why


def _add_signature(session: Session, form: SigningForm, pq: PQ, signers: list[FormSigner], actor: User,
                   pdf: bytes, now: datetime) -> None:
    signer = next(s for s in signers if s.user_id == actor.id)
    label = dict(SIGNER_ROLES)[signer.role]
    identity = signing_identity()
    signed_pdf = document.add_signature(pdf, signer.role, identity, name=f"{full_name(actor)} ({actor.user_id})",
                                        reason=f"Signed as {label} of the Harmony Access Request of PQ {pq.id}")
    signer.state, signer.signed_at = SIGNED, now
    count = telling.signed_count(signers)
    form.attachment_id = store_revision(session, form, signed_pdf, count, actor, now).id
    form.signed_sha256, form.certificate_sha256 = document.sha256(signed_pdf), identity.certificate_sha256
    session.add_all([signer, form])
    jobs.cancel(session, telling.REMIND, f"signer:{signer.id}")
    audit_pq(session, "pq.form_signed", actor, pq, now, form_id=form.id, role=signer.role, signatures=count,
             document_sha256_before=document.sha256(pdf), document_sha256=form.signed_sha256,
             certificate_sha256=identity.certificate_sha256)
    following = next((s for s in signers if s.state == WAITING), None)
    if following is not None:
        _ask(session, form, following, pq, now)
        return
    form.status, form.ended_at = SIGNED, now
    session.add(form)
    jobs.cancel(session, telling.EXPIRE, f"form:{form.id}")
    audit_pq(session, "pq.form_fully_signed", actor, pq, now, form_id=form.id, document_sha256=form.signed_sha256)
    telling.tell_everyone_asked(session, form, pq, f"Access Request of PQ {pq.id} fully signed",
                                f"All three signatures are on the Access Request form of PQ {pq.id}; the "
                                "Harmony Help Desk can now grant the access.", now, besides={actor.id})


def note_opened(session: Session, actor: User, pq_id: int, *, now: datetime | None = None) -> bool:
    """The signer whose turn it is opened the PQ: the first time goes into the signing record
    (and the audit chain). True when this was that first time."""
    form = open_form(session, pq_id)
    if form is None:
        return False
    signer = telling.turn_of(telling.signers_of(session, form))
    if signer is None or signer.user_id != actor.id or signer.opened_at is not None:
        return False
    now = now or utc_now()
    signer.opened_at = now
    session.add(signer)
    audit_pq(session, "pq.form_opened", actor, viewable_pq(session, actor, pq_id), now, form_id=form.id,
             role=signer.role)
    return True
