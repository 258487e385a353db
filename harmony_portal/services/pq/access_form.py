"""The Harmony Access Request as a PDF: filled in from the PQ and its requester, ready to sign.

The paper path was print, fill in by hand, sign, scan, attach. Here the portal fills in what
it already knows (the PQ, the requester's profile), lists the acknowledgements a Harmony
Security Agreement (Individual User) asks for as boxes to tick, and leaves only the
signatures and dates to the user and their Access Coordinator. The signed form is then
attached to the PQ as an Access Request note.

The "requester" is the person who filed the PQ, whoever downloads the form (a colleague or
the help desk gets the same form). fpdf2's core fonts speak Latin-1 only, so every value goes
through ``latin1``; every value that may be long is wrapped with ``multi_cell``, and the
details are cut short (the full text stays on the PQ), so the form keeps to one or two pages.
"""

from __future__ import annotations

from functools import lru_cache

from sqlmodel import Session

from harmony_portal.models import PQ, User
from harmony_portal.services.audit import trail as audit
from harmony_portal.services.clock import format_local
from harmony_portal.services.errors import Invalid
from harmony_portal.services.pq.access import viewable_pq
from harmony_portal.services.pq.access_form_pdf import FormValues, render
from harmony_portal.vocabulary import ACCESS_REQUEST

BLANK_FILENAME = "harmony-access-request.pdf"
# The details keep to this many characters (and to the lines left on the first page).
DETAILS_LIMIT = 1500


def full_name(user: User) -> str:
    """First, middle and last name, as the form prints them."""
    return " ".join(part for part in (user.first_name, user.middle_name, user.last_name) if part)


def _address(user: User) -> list[str]:
    zip_code = user.zip_code + (f"-{user.zip_extension}" if user.zip_extension else "")
    city_line = ", ".join(part for part in (user.city, " ".join(p for p in (user.state, zip_code) if p)) if part)
    return [line for line in (user.address_line1, user.address_line2, city_line, user.country) if line]


def _details(pq: PQ) -> str:
    text = pq.details.strip()
    if len(text) > DETAILS_LIMIT:
        text = text[:DETAILS_LIMIT].rstrip() + " [...]"
    return text


def form_values(pq: PQ, requester: User | None) -> FormValues:
    """The form's values for ``pq`` and the person who filed it."""
    return FormValues(
        pq_number=str(pq.id), provider_name=pq.provider_name, organization_id=pq.organization_id or "",
        inquiry_type=pq.inquiry_type, subject=pq.subject, details=_details(pq), filed=format_local(pq.created_at),
        name=full_name(requester) if requester else "", user_id=requester.user_id if requester else "",
        email=requester.email if requester else "", phone=requester.phone if requester else "",
        address=_address(requester) if requester else [],
    )


def access_request_pdf(session: Session, actor: User, pq_id: int, *, ip: str = "") -> tuple[str, bytes]:
    """The Access Request form of PQ ``pq_id``, filled in; audited ``pq.access_form_generated``.

    Returns:
        The file name (``harmony-access-request-pq-<n>.pdf``) and the PDF's bytes.

    Raises:
        NotAllowed: "No such PQ." when the PQ does not exist or is not the actor's to see.
        Invalid: the PQ is not an Access Request.
    """
    pq = viewable_pq(session, actor, pq_id)
    if pq.inquiry_type != ACCESS_REQUEST:
        raise Invalid("Inquiry Type", "The Harmony Access Request form is only for Access Request PQs.")
    data = render(form_values(pq, session.get(User, pq.created_by_id)))
    # Not a change to the PQ, so not in its History (whose rows are the audit rows with target pq:<id>).
    audit.record(session, "pq.access_form_generated", actor_id=actor.id, organization_id=pq.organization_id,
                 target=f"pq-access-form:{pq.id}", ip=ip, pq_id=pq.id)
    return f"harmony-access-request-pq-{pq.id}.pdf", data


@lru_cache(maxsize=1)
def blank_access_request_pdf() -> bytes:
    """The same form with nothing filled in (made once per process: it never changes)."""
    return render(FormValues())
