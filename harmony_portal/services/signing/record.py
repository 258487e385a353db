"""The signing record: who was asked to sign when, who signed or declined when, the document's
hash before and after each signature, and the certificate, as a PDF beside the signed form."""

from __future__ import annotations

import json

from fpdf.enums import XPos, YPos
from sqlmodel import Session, col, select

from harmony_portal.models import AuditEvent, SigningForm, User
from harmony_portal.services.audit import trail as audit
from harmony_portal.services.clock import format_local
from harmony_portal.services.errors import NotAllowed
from harmony_portal.services.pq.access import viewable_pq
from harmony_portal.services.pq.access_form_pdf import PortalPDF
from harmony_portal.services.signing import document, telling
from harmony_portal.services.signing.certificates import signing_identity
from harmony_portal.services.signing.people import full_name, users_by_id
from harmony_portal.services.signing.queries import STATUS_WORDS
from harmony_portal.services.signing.store import stored_pdf
from harmony_portal.vocabulary import SIGNER_ROLES


def _line(pdf: PortalPDF, text: str, *, bold: bool = False, size: float = 9.5) -> None:
    pdf.set_font(pdf.body_font, "B" if bold else "", size)
    pdf.multi_cell(0, 5, pdf.drawable(text), new_x=XPos.LMARGIN, new_y=YPos.NEXT)


def signing_record(session: Session, actor: User, form_id: int, *, ip: str = "") -> tuple[str, bytes]:
    """The record of form ``form_id`` for someone who may see its PQ; audited.

    Raises:
        NotAllowed: no such form, or its PQ is not the actor's to see.
    """
    form = session.get(SigningForm, form_id)
    if form is None:
        raise NotAllowed("No such form.")
    pq = viewable_pq(session, actor, form.pq_id)
    signers = telling.signers_of(session, form)
    events = [e for e in session.exec(select(AuditEvent).where(AuditEvent.target == f"pq:{pq.id}")
                                      .order_by(col(AuditEvent.id)))
              if json.loads(e.detail or "{}").get("form_id") == form.id]
    people = users_by_id(session, {s.user_id for s in signers} | {e.actor_id for e in events if e.actor_id}
                         | {form.started_by_id})
    current = stored_pdf(session, form)
    signed = telling.signed_count(signers)

    pdf = PortalPDF(format="Letter", unit="mm")
    pdf.set_margins(18, 16, 18)
    pdf.set_title(pdf.drawable(f"Signing record, Access Request of PQ {pq.id}"))
    pdf.set_creator("Harmony Portal")
    pdf.add_page()
    _line(pdf, f"Signing record: Harmony Access Request of PQ {pq.id}", bold=True, size=15)
    _line(pdf, f"{pq.provider_name} ({pq.organization_id}). Form {form.id}, {STATUS_WORDS[form.status]}; "
               f"signatures: {signed} of 3.")
    _line(pdf, f"Started {format_local(form.created_at)} by {full_name(people[form.started_by_id])}; "
               f"expires unsigned {format_local(form.expires_at)}. {form.end_reason}".strip())
    pdf.ln(2)
    _line(pdf, "Document", bold=True, size=11)
    _line(pdf, f"SHA-256 before the first signature: {form.unsigned_sha256}")
    _line(pdf, f"SHA-256 of the latest revision: {form.signed_sha256 or '(no signature yet)'}")
    _line(pdf, f"Signing certificate (SHA-256): {form.certificate_sha256 or '(none yet)'}")
    if signed and current:
        _line(pdf, f"Checked now: {document.validate(current, signing_identity()).summary(signed)}.")
    pdf.ln(2)
    _line(pdf, "Signers, in order", bold=True, size=11)
    labels = dict(SIGNER_ROLES)
    for s in signers:
        person = people[s.user_id]
        steps = [f"asked {format_local(s.asked_at)}" if s.asked_at else "not asked yet",
                 f"opened {format_local(s.opened_at)}" if s.opened_at else "",
                 f"signed {format_local(s.signed_at)}" if s.signed_at else "",
                 f"declined {format_local(s.declined_at)}: {s.reason}" if s.declined_at else "",
                 f"reminded {s.reminders_sent} time(s)" if s.reminders_sent else ""]
        _line(pdf, f"{s.position}. {labels[s.role]}: {full_name(person)} ({person.user_id}), "
                   + "; ".join(p for p in steps if p) + ".")
    pdf.ln(2)
    _line(pdf, "Events (from the portal's audit chain)", bold=True, size=11)
    for event in events:
        detail = json.loads(event.detail or "{}")
        who = people.get(event.actor_id)
        hashes = (f" Document {detail['document_sha256_before'][:16]}... -> {detail['document_sha256'][:16]}..."
                  if "document_sha256_before" in detail else "")
        _line(pdf, f"{format_local(event.at)}: {event.action.removeprefix('pq.').replace('_', ' ')}, "
                   f"{full_name(who) if who else 'the portal'}.{hashes}", size=8.5)
    audit.record(session, "pq.signing_record_downloaded", actor_id=actor.id, organization_id=pq.organization_id,
                 target=f"pq-signing-record:{form.id}", ip=ip, pq_id=pq.id)
    return f"harmony-access-request-pq-{pq.id}-signing-record.pdf", bytes(pdf.output())
