"""Deciding role requests: approve or reject, race-safe, audited, the requester emailed.

Two officials deciding the same request at once: one conditional
``UPDATE ... WHERE status = 'pending' RETURNING id`` claims each row, so exactly one
decision per request ever counts and the other learns who decided first.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy import update
from sqlalchemy.orm.attributes import set_committed_value
from sqlmodel import Session, col, select

from harmony_portal import routes
from harmony_portal.models import Organization, OrgRole, RoleRequest, User, utc_now
from harmony_portal.services import changes, validation
from harmony_portal.services.accounts.identity import users_by_ids
from harmony_portal.services.audit import trail as audit
from harmony_portal.services.errors import Invalid, NotAllowed
from harmony_portal.services.maintenance import windows as maintenance
from harmony_portal.services.notifications.email_preferences import ROLE_DECISIONS
from harmony_portal.services.notifications.notify import tell
from harmony_portal.services.onboarding import checklist as onboarding
from harmony_portal.services.passkeys import policy
from harmony_portal.services.roles import terms
from harmony_portal.services.roles.requests import full_name, lookup_org_ids, represented_org_ids, roles_changed
from harmony_portal.settings import get_settings
from harmony_portal.vocabulary import APPROVED, PENDING, REJECTED


@dataclass
class DecisionResult:
    """What happened to each selected request."""

    decided: list[RoleRequest] = field(default_factory=list)
    # (request id, requester name, who decided it first)
    already: list[tuple[int, str, str]] = field(default_factory=list)

    @property
    def org_ids(self) -> set[str]:
        return {r.organization_id for r in self.decided}


def approve_requests(session: Session, actor: User, request_ids: Iterable[int], *, ends_on: object = "",
                     now: datetime | None = None, as_help_desk: bool = False) -> DecisionResult:
    """Approve pending requests: each requester gets the role and an email.

    ``ends_on``: "Access ends on" as typed (the last day of access; empty: the role's default term, if
    an administrator set one, else until removed).

    Raises:
        Invalid: nothing selected, or "Access ends on" is not a date from today to 5 years on.
        NotAllowed: an id outside the organizations the actor represents, or the actor's own request.
    """
    now = now or utc_now()
    ids = _selection(request_ids)
    last_day = terms.parse_ends_on(ends_on, now)
    requests = _authorized(session, actor, ids, as_help_desk)
    maintenance.refuse_while_down(session, actor, now)
    onboarding.require_satisfied(session, {r.user_id for r in requests.values()})
    result = _claim(session, actor, requests, APPROVED, "", now)
    _grant(session, actor, result.decided, last_day, now)
    _audit_and_tell(session, actor, result.decided, APPROVED, "", now)
    changes.requests_changed(session, result.org_ids)
    return result


def reject_requests(session: Session, actor: User, request_ids: Iterable[int], reason: str, *,
                    now: datetime | None = None, as_help_desk: bool = False) -> DecisionResult:
    """Reject pending requests with a reason; each requester is emailed a link to resubmit.

    Raises:
        Invalid: nothing selected, or the reason is missing or unfit.
        NotAllowed: an id outside the organizations the actor represents, or the actor's own request.
    """
    now = now or utc_now()
    ids = _selection(request_ids)
    reason = reason.strip()
    if not reason:
        raise Invalid("rejection_reason", "A Rejection Reason is required to reject a request.")
    validation.check_text({"rejection_reason": reason})
    requests = _authorized(session, actor, ids, as_help_desk)
    maintenance.refuse_while_down(session, actor, now)
    result = _claim(session, actor, requests, REJECTED, reason, now)
    _audit_and_tell(session, actor, result.decided, REJECTED, reason, now)
    changes.requests_changed(session, result.org_ids)
    return result


def _selection(request_ids: Iterable[int]) -> list[int]:
    ids = sorted({int(i) for i in request_ids})
    if not ids:
        raise Invalid("selection", "Select at least one request.")
    return ids


def _authorized(session: Session, actor: User, ids: list[int], as_help_desk: bool = False) -> dict[int, RoleRequest]:
    """The requests, if the actor may decide every one (a forged id refuses the whole batch).

    ``as_help_desk``: an administrator deciding from an Access Request PQ, for any
    organization (their queue otherwise holds only organizations without an official).
    """
    policy.check_not_held(session, actor)
    requests = {r.id: r for r in session.exec(select(RoleRequest).where(col(RoleRequest.id).in_(ids)))}
    allowed = set(lookup_org_ids(session, actor) if as_help_desk and actor.is_admin
                  else represented_org_ids(session, actor))
    if len(requests) != len(ids) or any(r.organization_id not in allowed for r in requests.values()):
        raise NotAllowed("You can only decide requests for organizations you represent.")
    if any(r.user_id == actor.id for r in requests.values()):
        raise NotAllowed("Nobody decides their own request.")
    return requests


def _claim(session: Session, actor: User, requests: dict[int, RoleRequest], status: str, reason: str,
           now: datetime) -> DecisionResult:
    """Decide every request still pending in one conditional UPDATE; report the rest."""
    # A row still pending is decided here, atomically; a row a concurrent decision got
    # first does not match and is not returned.
    won = set(session.execute(
        update(RoleRequest).where(col(RoleRequest.id).in_(list(requests)), RoleRequest.status == PENDING)
        .values(status=status, decided_by_id=actor.id, decided_at=now, reason=reason)
        .returning(RoleRequest.id)
        .execution_options(synchronize_session=False)).scalars())
    lost = [r for i, r in requests.items() if i not in won]
    for request in lost:
        session.refresh(request)  # to learn who decided it first
    result = DecisionResult()
    if lost:
        names = _users(session, {r.user_id for r in lost} | {r.decided_by_id for r in lost if r.decided_by_id})
        for request in lost:
            first = names.get(request.decided_by_id)
            result.already.append((request.id, full_name(names[request.user_id]),
                                   full_name(first) if first else "its requester"))
    for request_id in sorted(won):
        request = requests[request_id]
        # Mirror what the UPDATE wrote without marking the row dirty (no second UPDATE each).
        for name, value in (("status", status), ("decided_by_id", actor.id), ("decided_at", now),
                            ("reason", reason)):
            set_committed_value(request, name, value)
        result.decided.append(request)
    return result


def _users(session: Session, ids: set[int]) -> dict[int, User]:
    return {u.id: u for u in users_by_ids(session, ids)}


def _grant(session: Session, actor: User, approved: list[RoleRequest], last_day, now: datetime) -> None:
    """Add the roles approved requests ask for (one query for those already held), each until ``last_day`` or
    its role's default term. A request for more time moves the held role's last day instead (to ``last_day``,
    else the day asked for)."""
    if not approved:
        return
    held = {(g.user_id, g.organization_id, g.role): g for g in session.exec(select(OrgRole).where(
        col(OrgRole.user_id).in_({r.user_id for r in approved})))}
    for request in approved:
        key = (request.user_id, request.organization_id, request.role)
        if request.more_time_until and key in held:
            terms.set_term(held[key], last_day or request.more_time_until)
            session.add(held[key])
            changes.holders_changed(session, [request.user_id])
        elif key not in held:
            grant = OrgRole(user_id=request.user_id, organization_id=request.organization_id, role=request.role,
                            granted_by_id=actor.id, granted_at=now)
            held[key] = grant
            terms.set_term(grant, last_day or request.more_time_until
                           or terms.default_last_day(session, request.role, now))
            session.add(grant)
            roles_changed(session, [grant])


def _audit_and_tell(session: Session, actor: User, decided: list[RoleRequest], status: str, reason: str,
                    now: datetime) -> None:
    """One audit row and one email per decided request."""
    if not decided:
        return
    requesters = _users(session, {r.user_id for r in decided})
    orgs = {o.id: o for o in session.exec(select(Organization).where(
        col(Organization.id).in_({r.organization_id for r in decided})))}
    base = get_settings().harmony_base_url.rstrip("/")
    verdict = "approved" if status == APPROVED else "denied"
    for request in decided:
        requester, org = requesters[request.user_id], orgs[request.organization_id]
        audit.record(session, f"role.request_{status}", actor_id=actor.id, subject_user_id=requester.id,
                     organization_id=org.id, target=f"request:{request.id}", now=now, role=request.role,
                     reason=reason)
        note = f"Your request for the {request.role} role at {org.name} was {verdict}."
        body = f"Hello {requester.first_name},\n\n{note}\n"
        link = routes.HOME
        if status == REJECTED:
            link = routes.resubmit_url(request.id)
            note += f" Reason: {reason}"
            body += (f"\nReason: {reason}\n\nYou can resubmit the request with the details filled in: "
                     f"{base}{link}\n")
        tell(session, requester, ROLE_DECISIONS, f"Your role request was {verdict}", email=body, note=note,
             link=link, now=now)
    session.flush()
