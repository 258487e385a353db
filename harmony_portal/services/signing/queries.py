"""What the pages show of signing: the PQ's form and its signers, Home's "Forms to sign", and the
"Signatures: N of 3" of the help desk's queue. The validation shown is the PDF checked now, not a
stored flag."""

from __future__ import annotations

from dataclasses import dataclass

from sqlmodel import Session, col, func, select

from harmony_portal import routes
from harmony_portal.models import PQ, FormSigner, SigningForm, User
from harmony_portal.services.clock import format_local
from harmony_portal.services.pq.access import is_help_desk
from harmony_portal.services.signing import document, telling
from harmony_portal.services.signing.certificates import signing_identity
from harmony_portal.services.signing.people import full_name, users_by_id
from harmony_portal.services.signing.store import stored_pdf
from harmony_portal.vocabulary import ASKED, DECLINED, SIGNED, SIGNER_ROLES, SIGNING

STATUS_WORDS = {"signing": "being signed", "signed": "fully signed", "declined": "declined",
                "withdrawn": "withdrawn", "expired": "expired unsigned", "void": "void"}


@dataclass(frozen=True)
class SigningPanel:
    """One PQ's form as ``viewer`` sees it (the latest form; None when none was started)."""

    form_id: int
    status: str
    signed: int
    signers: list[dict[str, str]]  # role, name, state (words)
    my_turn: bool
    my_role: str  # the viewer's place on the form: "requester", "supervisor", "agency_signer" or ""
    may_manage: bool  # withdraw and resend: the requester, who started it, the help desk
    ended: str  # why it stopped, when it did
    validation: str  # "3 valid signatures", or what failed; "" before the first signature
    attachment_id: int | None
    may_start: bool = False  # the filer, while no form is being signed or signed
    prefill: tuple[str, str, str] = ("", "", "")  # a new form starts from the last one's people


    def as_row(self) -> dict[str, str]:
        """The panel's single values, as the page's state keeps them (the signers go separately)."""
        return {"form": str(self.form_id), "status": self.status, "signed": str(self.signed),
                "status_text": STATUS_WORDS.get(self.status, ""),
                "my_turn": "yes" if self.my_turn else "", "may_manage": "yes" if self.may_manage else "",
                "my_role": self.my_role, "ended": self.ended, "validation": self.validation,
                "file": str(self.attachment_id or ""), "may_start": "yes" if self.may_start else "",
                **dict(zip(("prefill_access_for", "prefill_supervisor", "prefill_agency_signer"), self.prefill,
                           strict=True))}


def _state_words(signer: FormSigner) -> str:
    if signer.state == SIGNED:
        return f"signed on {format_local(signer.signed_at)}"
    if signer.state == DECLINED:
        return f"declined on {format_local(signer.declined_at)}"
    if signer.state == ASKED:
        return f"asked on {format_local(signer.asked_at)}"
    return "waiting"


def latest_form(session: Session, pq_id: int) -> SigningForm | None:
    return session.exec(select(SigningForm).where(SigningForm.pq_id == pq_id)
                        .order_by(col(SigningForm.id).desc())).first()


def signing_panel(session: Session, viewer: User, pq: PQ) -> SigningPanel:
    """The PQ's latest form for its page (the caller checked ``viewer`` may see ``pq``)."""
    form = latest_form(session, pq.id)
    filer = viewer.id == pq.created_by_id
    if form is None:
        return SigningPanel(form_id=0, status="", signed=0, signers=[], my_turn=False, my_role="", may_manage=False,
                            ended="", validation="", attachment_id=None, may_start=filer,
                            prefill=(viewer.user_id, "", ""))
    signers = telling.signers_of(session, form)
    people = users_by_id(session, {s.user_id for s in signers})
    labels = dict(SIGNER_ROLES)
    rows = [{"role": labels[s.role], "name": f"{full_name(people[s.user_id])} ({people[s.user_id].user_id})",
             "state": _state_words(s)} for s in signers]
    turn = telling.turn_of(signers)
    signed = telling.signed_count(signers)
    validation = ""
    if signed:
        pdf = stored_pdf(session, form)
        validation = document.validate(pdf, signing_identity()).summary(signed) if pdf else "The file is missing."
    return SigningPanel(
        form_id=form.id, status=form.status, signed=signed, signers=rows,
        my_turn=form.status == SIGNING and turn is not None and turn.user_id == viewer.id,
        my_role=next((s.role for s in signers if s.user_id == viewer.id), ""),
        may_manage=form.status == SIGNING and (viewer.id in (form.access_for_id, form.started_by_id)
                                                or is_help_desk(viewer)),
        ended=form.end_reason, validation=validation, attachment_id=form.attachment_id,
        may_start=filer and form.status not in (SIGNING, SIGNED),
        prefill=tuple(people[s.user_id].user_id for s in signers))


def forms_to_sign(session: Session, user: User) -> list[dict[str, str]]:
    """The forms waiting for ``user``'s signature now, for Home."""
    rows = session.exec(select(FormSigner, SigningForm, PQ).join(SigningForm, SigningForm.id == FormSigner.form_id)
                        .join(PQ, PQ.id == SigningForm.pq_id)
                        .where(FormSigner.user_id == user.id, FormSigner.state == ASKED,
                               SigningForm.status == SIGNING).order_by(col(FormSigner.asked_at)))
    labels = dict(SIGNER_ROLES)
    return [{"pq": str(pq.id), "label": f"PQ {pq.id}: {pq.subject}", "provider": pq.provider_name,
             "role": labels[signer.role], "asked": format_local(signer.asked_at), "link": routes.pq_url(pq.id)}
            for signer, _form, pq in rows]


def signature_counts(session: Session, pq_ids: list[int]) -> dict[int, int]:
    """For each PQ with a form being signed or signed: how many signatures its latest form has."""
    if not pq_ids:
        return {}
    latest = (select(SigningForm.pq_id, func.max(SigningForm.id).label("form_id"))
              .where(col(SigningForm.pq_id).in_(pq_ids)).group_by(SigningForm.pq_id).subquery())
    counted = session.exec(select(latest.c.pq_id, func.count(FormSigner.id))
                           .join(SigningForm, SigningForm.id == latest.c.form_id)
                           .outerjoin(FormSigner, (FormSigner.form_id == SigningForm.id) & (FormSigner.state == SIGNED))
                           .where(col(SigningForm.status).in_([SIGNING, SIGNED]))
                           .group_by(latest.c.pq_id))
    return {pq_id: count for pq_id, count in counted}


def fully_signed_form(session: Session, pq_id: int) -> SigningForm | None:
    """The PQ's form with all three signatures, if any (the help desk grants from it)."""
    return session.exec(select(SigningForm).where(SigningForm.pq_id == pq_id, SigningForm.status == SIGNED)
                        .order_by(col(SigningForm.id).desc())).first()
