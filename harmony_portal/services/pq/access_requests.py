"""Answering an Access Request PQ: the help desk grants the role it asks for, or rejects it."""

from __future__ import annotations

from datetime import datetime

from sqlmodel import Session, select

from harmony_portal import routes
from harmony_portal.models import PQ, Attachment, Organization, PQNote, RoleRequest, User, utc_now
from harmony_portal.services import changes, validation
from harmony_portal.services.errors import Conflict, Invalid
from harmony_portal.services.notifications.email_preferences import PQ_UPDATES
from harmony_portal.services.notifications.notify import tell
from harmony_portal.services.onboarding import checklist as onboarding
from harmony_portal.services.pq.access import (
    require_help_desk,
    viewable_pq,
)
from harmony_portal.services.pq.filing import audit_pq, pq_url, set_status
from harmony_portal.services.roles import decisions, grants
from harmony_portal.services.roles import requests as roles
from harmony_portal.services.signing import queries as signing_queries
from harmony_portal.vocabulary import ACCESS_REQUEST, ORGANIZATION_ROLES

NO_SIGNED_FORM = ("Access is granted from a signed form: the three signatures in the portal (Signatures: 3 of 3), "
                  "or a signed scan attached to an Access Request note.")


def has_signed_scan(session: Session, pq: PQ) -> bool:
    """Whether a file is attached to one of the PQ's Access Request notes (the paper path)."""
    return session.exec(select(Attachment.id).join(PQNote, PQNote.id == Attachment.note_id)
                        .where(Attachment.pq_id == pq.id, PQNote.note_type == ACCESS_REQUEST).limit(1)).first() \
        is not None


def access_request_pq(session: Session, admin: User, pq_id: int) -> PQ:
    """The Access Request PQ ``pq_id``, for the help desk to answer (NotAllowed, Invalid otherwise)."""
    pq = viewable_pq(session, admin, pq_id)
    require_help_desk(admin, "Only the Harmony Help Desk answers Access Requests.")
    if pq.inquiry_type != ACCESS_REQUEST:
        raise Invalid("inquiry_type", "Only an Access Request PQ grants or refuses a role.")
    return pq


def _pending_request(session: Session, user_id: int, org_id: str, role: str | None = None) -> RoleRequest | None:
    query = select(RoleRequest).where(RoleRequest.user_id == user_id, RoleRequest.organization_id == org_id,
                                      RoleRequest.status == roles.PENDING)
    if role is not None:
        query = query.where(RoleRequest.role == role)
    return session.exec(query.order_by(RoleRequest.id)).first()


def grant_from_pq(session: Session, admin: User, pq_id: int, organization_id: str, role: str, *,
                  user_id: int | None = None, now: datetime | None = None) -> PQ:
    """Grant the role an Access Request PQ asks for (to its requester, or ``user_id``).

    A pending role request for it is approved through ``decisions.approve_requests``, the service a
    Security Official's approval uses; without one, ``grants.help_desk_grant`` grants it. The
    PQ is then Resolved.
    """
    now = now or utc_now()
    pq = access_request_pq(session, admin, pq_id)
    if session.get(Organization, organization_id or "") is None:
        raise Invalid("organization", "Choose an Organization.")
    if role not in ORGANIZATION_ROLES:
        raise Invalid("role", "Choose a Role.")
    signed = signing_queries.fully_signed_form(session, pq.id)
    if signed is None and not has_signed_scan(session, pq):
        raise Invalid("form", NO_SIGNED_FORM)
    # The person the signed form asks access for (the filer may have filed it for a new colleague).
    grantee = user_id if user_id is not None else signed.access_for_id if signed else pq.created_by_id
    return grant_access(session, admin, pq, organization_id, role, grantee, action="pq.access_granted", now=now)


def grant_access(session: Session, admin: User, pq: PQ, organization_id: str, role: str, grantee: int, *,
                 action: str, now: datetime, **detail: object) -> PQ:
    """Give ``grantee`` the role an Access Request PQ answers, audit ``action`` on the PQ, resolve it.

    Their pending request for it is approved through ``decisions.approve_requests``; without one
    ``grants.help_desk_grant`` grants it. Either way a started onboarding checklist must be
    complete (or overridden) first.
    """
    pq = access_request_pq(session, admin, pq.id)  # who asks, and that it is an Access Request, checked here too
    request = _pending_request(session, grantee, organization_id, role)
    if request is not None:
        result = decisions.approve_requests(session, admin, [request.id], now=now, as_help_desk=True)
        if not result.decided:
            raise Conflict("That role request was decided by someone else first.")
    else:
        onboarding.require_satisfied(session, {grantee})
        grants.help_desk_grant(session, admin, grantee, organization_id, role, source=f"pq:{pq.id}", now=now)
    audit_pq(session, action, admin, pq, now, grantee_id=grantee, granted_org=organization_id, role=role,
           request_id=request.id if request else None, **detail)
    set_status(session, admin, pq, "Resolved", now)
    changes.pqs_changed(session, {pq.id})
    return pq


def reject_from_pq(session: Session, admin: User, pq_id: int, reason: str, *, now: datetime | None = None) -> PQ:
    """Refuse an Access Request PQ with a reason (required): the requester is told why; a
    pending role request of theirs for the PQ's organization is rejected through ``decisions.reject_requests``."""
    now = now or utc_now()
    pq = access_request_pq(session, admin, pq_id)
    reason = reason.strip()
    if not reason:
        raise Invalid("reason", "A Rejection Reason is required.")
    if problem := validation.text_problem("rejection_reason", reason):
        raise Invalid("reason", problem)
    request = _pending_request(session, pq.created_by_id, pq.organization_id) if pq.organization_id else None
    if request is not None:
        decisions.reject_requests(session, admin, [request.id], reason, now=now, as_help_desk=True)
    else:
        requester = session.get(User, pq.created_by_id)
        tell(session, requester, PQ_UPDATES, f"Your Access Request (PQ {pq.id}) was denied",
             email=(f"Hello {requester.first_name},\n\nYour Access Request (PQ {pq.id}) was denied.\n\n"
                    f"Reason: {reason}\n\nSee it: {pq_url(pq.id)}\n"),
             note=f"Your Access Request (PQ {pq.id}) was denied. Reason: {reason}", link=routes.pq_url(pq.id),
             now=now)
    audit_pq(session, "pq.access_rejected", admin, pq, now, reason=reason,
           request_id=request.id if request else None)
    set_status(session, admin, pq, "Resolved", now)
    changes.pqs_changed(session, {pq.id})
    return pq
