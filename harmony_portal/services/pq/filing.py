"""Provider Questions: file one, work it (take, status, notes), and answer an Access Request.

Every function takes the acting user and checks, itself, that this user may do
this to this PQ (``pq_access``). Each change writes its audit row with target
``pq:<id>`` in the same transaction (a PQ's history is those rows), queues its
email in the outbox and tells the live help-desk queue (``changes.pqs_changed``).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlmodel import Session

from harmony_portal import routes
from harmony_portal.models import PQ, InquiryRoute, Organization, PQNote, User, utc_now
from harmony_portal.services import changes, once, validation
from harmony_portal.services.audit import trail as audit
from harmony_portal.services.clock import format_local
from harmony_portal.services.errors import Invalid
from harmony_portal.services.maintenance import windows as maintenance
from harmony_portal.services.notifications.email_preferences import PQ_UPDATES
from harmony_portal.services.notifications.notify import tell
from harmony_portal.services.pq.access import (
    INTERNAL,
    is_help_desk,
    member_org_ids,
    require_help_desk,
    viewable_pq,
)
from harmony_portal.services.pq.sla import first_response_due
from harmony_portal.settings import get_settings
from harmony_portal.vocabulary import ACCESS_REQUEST, HELP_DESK, INQUIRY_TYPES, PQ_NOTE_TYPES, PQ_STATUSES

PENDING = "Pending"
RESPONSE = "Response"
HELP_DESK_NOTE_TYPES = frozenset({INTERNAL, RESPONSE})
# Form fields, keyed as the state sends them, and the labels people see.
LABELS = {"provider": "Provider Name", "inquiry_type": "Inquiry Type", "subject": "Subject", "details": "Details",
          "status": "Status", "assigned_resource": "Assigned Resource", "note_type": "PQ Note Type",
          "note": "Note", "reason": "Rejection Reason", "organization": "Organization", "role": "Role"}


@dataclass
class PQForm:
    """What the Add PQ form sends. ``provider`` is an organization id."""

    provider: str = ""
    inquiry_type: str = ""
    subject: str = ""
    details: str = ""
    status: str = PENDING
    assigned_resource: str = ""


def pq_url(pq_id: int) -> str:
    return f"{get_settings().harmony_base_url.rstrip('/')}/pq/{pq_id}"


def audit_pq(session: Session, action: str, actor: User, pq: PQ, now: datetime, **detail: object) -> None:
    audit.record(session, action, actor_id=actor.id, subject_user_id=pq.created_by_id,
                 organization_id=pq.organization_id, target=f"pq:{pq.id}", now=now, **detail)


def route_for(session: Session, inquiry_type: str) -> str:
    """The Assigned Resource for a new PQ of ``inquiry_type``."""
    if inquiry_type == ACCESS_REQUEST:
        return HELP_DESK
    route = session.get(InquiryRoute, inquiry_type)
    return route.resource if route else HELP_DESK


def set_route(session: Session, admin: User, inquiry_type: str, resource: str, *,
              now: datetime | None = None) -> InquiryRoute:
    """An administrator sends new PQs of ``inquiry_type`` to the queue ``resource``."""
    now = now or utc_now()
    require_help_desk(admin, "Only administrators set where PQs go.")
    resource = resource.strip()
    problems: dict[str, str] = {}
    if inquiry_type not in INQUIRY_TYPES:
        problems["inquiry_type"] = "Choose an Inquiry Type."
    elif inquiry_type == ACCESS_REQUEST:
        problems["inquiry_type"] = f"Access Requests always go to the {HELP_DESK}."
    if problem := validation.required_text_problem("assigned_resource", resource):
        problems["assigned_resource"] = problem
    if problems:
        raise Invalid(problems)
    route = session.get(InquiryRoute, inquiry_type) or InquiryRoute(inquiry_type=inquiry_type, resource=resource)
    before = route.resource if route.updated_by_id else HELP_DESK
    route.resource, route.updated_by_id, route.updated_at = resource, admin.id, now
    session.add(route)
    audit.record(session, "pq.route_set", actor_id=admin.id, target=f"route:{inquiry_type}"[:120], now=now,
                 inquiry_type=inquiry_type, resource=resource, previous=before)
    return route


def _form_problems(session: Session, actor: User, form: PQForm) -> tuple[dict[str, str], Organization | None]:
    problems: dict[str, str] = {}
    org = session.get(Organization, form.provider) if form.provider else None
    if org is None or not (is_help_desk(actor) or org.id in member_org_ids(session, actor)):
        problems["provider"] = "Choose a Provider Name (an organization you belong to)."
    if form.inquiry_type not in INQUIRY_TYPES:
        problems["inquiry_type"] = "Choose an Inquiry Type."
    for name in ("subject", "details"):
        value = getattr(form, name).strip()
        if not value:
            problems[name] = f"{LABELS[name]} is required."
        elif problem := validation.text_problem(name, value):
            problems[name] = problem
    if form.status not in PQ_STATUSES:
        problems["status"] = "Choose a Status."
    elif form.status != PENDING and not is_help_desk(actor):
        problems["status"] = f"A new PQ starts {PENDING}."
    if form.assigned_resource.strip() and (problem := validation.text_problem("assigned_resource",
                                                                             form.assigned_resource)):
        problems["assigned_resource"] = problem
    return problems, org


def add_pq(session: Session, actor: User, form: PQForm, *, now: datetime | None = None,
           client_key: str | None = None) -> PQ:
    """File a PQ for an organization the actor belongs to (the help desk: any).

    The Assigned Resource follows the inquiry type (Access Request: the Harmony Help
    Desk, always; others: the administrators' route); the help desk may name another
    for the other types. The first-response due time comes from ``sla``.

    ``client_key`` (made when the form opened): a save repeated with it, after the answer to the
    first was lost, returns the PQ the first one filed instead of filing it again.

    Raises:
        Invalid: every refused field at once, keyed as in ``PQForm``.
        Maintenance: during a maintenance window.
    """
    now = now or utc_now()
    if earlier := once.filed_with(session, PQ, PQ.created_by_id, actor.id, client_key):
        return earlier
    problems, org = _form_problems(session, actor, form)
    if problems:
        raise Invalid(problems)
    maintenance.refuse_while_down(session, actor, now, kept=" and in your draft")
    resource = route_for(session, form.inquiry_type)
    if form.inquiry_type != ACCESS_REQUEST and is_help_desk(actor) and form.assigned_resource.strip():
        resource = form.assigned_resource.strip()
    status = form.status if is_help_desk(actor) else PENDING
    pq = PQ(organization_id=org.id, provider_name=org.name, inquiry_type=form.inquiry_type,
            subject=form.subject.strip(), details=form.details.strip(), status=status, assigned_resource=resource,
            created_by_id=actor.id, created_at=now, updated_at=now, first_response_due_at=first_response_due(now),
            client_key=client_key or None)
    if earlier := once.add_once(session, pq, PQ, PQ.created_by_id, actor.id, client_key):
        return earlier
    audit_pq(session, "pq.created", actor, pq, now, inquiry_type=pq.inquiry_type, status=pq.status,
           assigned_resource=resource)
    received = (f"We received your PQ {pq.id} ({pq.inquiry_type}) for {org.name}. "
                f"We will respond by {format_local(pq.first_response_due_at)}.")
    tell(session, actor, PQ_UPDATES, f"PQ {pq.id} received: {pq.subject}",
         email=f"Hello {actor.first_name},\n\n{received}\n\nSee it: {pq_url(pq.id)}\n", note=received,
         link=routes.pq_url(pq.id), now=now)
    changes.pqs_changed(session, {pq.id})
    return pq


def set_status(session: Session, actor: User, pq: PQ, status: str, now: datetime) -> bool:
    """Change the status (help desk only; the caller checked). True when it changed."""
    if status == pq.status:
        return False
    before = pq.status
    pq.status, pq.updated_at = status, now
    if status != PENDING and pq.first_response_at is None:
        pq.first_response_at = now
    session.add(pq)
    audit_pq(session, "pq.status_changed", actor, pq, now, previous=before, status=status)
    return True


def update_pq_status(session: Session, actor: User, pq_id: int, status: str, *, now: datetime | None = None) -> PQ:
    """The help desk changes a PQ's status; the first change away from Pending is its first response."""
    now = now or utc_now()
    pq = viewable_pq(session, actor, pq_id)
    require_help_desk(actor, "Only the Harmony Help Desk changes a PQ's status.")
    if status not in PQ_STATUSES:
        raise Invalid("status", "Choose a Status.")
    if set_status(session, actor, pq, status, now):
        changes.pqs_changed(session, {pq.id})
    return pq


def take_pq(session: Session, admin: User, pq_id: int, *, now: datetime | None = None) -> PQ:
    """A help-desk administrator takes a PQ: it is assigned to them."""
    now = now or utc_now()
    pq = viewable_pq(session, admin, pq_id)
    require_help_desk(admin, "Only the Harmony Help Desk takes PQs.")
    if pq.taken_by_id == admin.id:
        return pq
    before = pq.taken_by_id
    pq.taken_by_id, pq.updated_at = admin.id, now
    session.add(pq)
    audit_pq(session, "pq.taken", admin, pq, now, previous_taker_id=before)
    changes.pqs_changed(session, {pq.id})
    return pq


def filed_note(session: Session, actor: User, client_key: str | None) -> PQNote | None:
    """The note ``actor`` already saved from the Add Note dialog opened with ``client_key``."""
    return once.filed_with(session, PQNote, PQNote.author_id, actor.id, client_key)


def add_note(session: Session, actor: User, pq_id: int, note_type: str, status: str, text: str, *,
             now: datetime | None = None, client_key: str | None = None) -> PQNote:
    """Add a note. "Internal" and "Response" notes are the help desk's; a Response answers
    the requester (emailed; the PQ's first response if it had none). The note's Status
    becomes the PQ's when the actor is the help desk. ``client_key`` as for ``add_pq``.

    Raises:
        Invalid: keyed ``note_type``, ``status``, ``note``.
    """
    now = now or utc_now()
    pq = viewable_pq(session, actor, pq_id)
    if (earlier := filed_note(session, actor, client_key)) and earlier.pq_id == pq.id:
        return earlier
    problems: dict[str, str] = {}
    if note_type not in PQ_NOTE_TYPES:
        problems["note_type"] = "Choose a PQ Note Type."
    elif note_type in HELP_DESK_NOTE_TYPES and not is_help_desk(actor):
        problems["note_type"] = f"Only the {HELP_DESK} adds {note_type} notes."
    if status not in PQ_STATUSES:
        problems["status"] = "Choose a Status."
    body = text.strip()
    if problem := validation.required_text_problem("note", body):
        problems["note"] = problem
    if problems:
        raise Invalid(problems)
    maintenance.refuse_while_down(session, actor, now, kept=" and in your draft")
    note = PQNote(pq_id=pq.id, note_type=note_type, status=status, text=body, author_id=actor.id, created_at=now,
                  client_key=client_key or None)
    if earlier := once.add_once(session, note, PQNote, PQNote.author_id, actor.id, client_key):
        return earlier
    audit_pq(session, "pq.note_added", actor, pq, now, note_id=note.id, note_type=note_type, status=status)
    if is_help_desk(actor):
        set_status(session, actor, pq, status, now)
    if note_type == RESPONSE:
        if pq.first_response_at is None:
            pq.first_response_at = now
        requester = session.get(User, pq.created_by_id)
        if requester is not None and requester.id != actor.id:
            tell(session, requester, PQ_UPDATES, f"Response to your PQ {pq.id}: {pq.subject}",
                 email=(f"Hello {requester.first_name},\n\nThe {HELP_DESK} answered your PQ {pq.id}:\n\n{body}\n\n"
                        f"See it: {pq_url(pq.id)}\n"),
                 note=f"The {HELP_DESK} answered your PQ {pq.id}.", link=routes.pq_url(pq.id), now=now)
    pq.updated_at = now
    session.add(pq)
    changes.pqs_changed(session, {pq.id})
    return note


