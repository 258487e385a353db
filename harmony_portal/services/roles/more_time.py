""""Ask for more time": within the last 14 days of a role, its holder asks to keep it longer instead of
filing a new request. The request waits in the officials' Role Requests queue and is decided like any
other; approving it moves the role's last day (``decisions``), rejecting it leaves the end as it was."""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlmodel import Session, col, select

from harmony_portal import routes
from harmony_portal.models import Organization, OrgRole, RoleRequest, User, utc_now
from harmony_portal.services import changes, validation
from harmony_portal.services.audit import trail as audit
from harmony_portal.services.errors import Invalid, NotAllowed
from harmony_portal.services.maintenance import windows as maintenance
from harmony_portal.services.notifications.email_preferences import ROLE_REQUESTS
from harmony_portal.services.notifications.notify import tell_each
from harmony_portal.services.roles import terms
from harmony_portal.services.roles.requests import decider_ids, file_request, full_name, pending_request

WINDOW = timedelta(days=max(terms.WARNINGS))  # asked from the first warning on


def may_ask(grant: OrgRole, now: datetime) -> bool:
    """Whether the holder of ``grant`` may ask for more time now (its end is within 14 days)."""
    return grant.ends_at is not None and now < grant.ends_at <= now + WINDOW


def ask_more_time(session: Session, actor: User, org_role_id: int, until: object, justification: object, *,
                  now: datetime | None = None) -> RoleRequest:
    """The holder asks to keep a role until ``until`` (the new last day), with a justification.

    Raises:
        NotAllowed: not the actor's role.
        Invalid: not within its last 14 days, a date not after its current last day (or past 5 years), the
            justification missing or unfit, or a request for more time already waiting.
    """
    now = now or utc_now()
    grant = session.get(OrgRole, org_role_id)
    if grant is None or grant.user_id != actor.id:
        raise NotAllowed("That role is not yours.")
    if not may_ask(grant, now):
        raise Invalid("more_time", "You can ask for more time in the last 14 days of a role with an end date.")
    last_day = terms.parse_ends_on(until, now)
    if last_day is None or last_day <= grant.ends_on:
        raise Invalid(terms.FIELD, f"Choose a last day after {grant.ends_on:%b %d, %Y}.")
    text = justification.strip() if isinstance(justification, str) else ""
    if not text:
        raise Invalid("justification", "Say why you need more time.")
    validation.check_text({"justification": text})
    maintenance.refuse_while_down(session, actor, now)
    org = session.get(Organization, grant.organization_id)
    waiting = f"You already asked for more time on the {grant.role} role at {org.name}; that request is still waiting."
    if pending_request(session, actor.id, grant.organization_id, grant.role):
        raise Invalid("more_time", waiting)
    request = file_request(session, RoleRequest(user_id=actor.id, organization_id=org.id, role=grant.role,
                                                justification=text, created_at=now, more_time_until=last_day),
                           "more_time", waiting)
    audit.record(session, "role.more_time_requested", actor_id=actor.id, subject_user_id=actor.id,
                 organization_id=org.id, target=f"request:{request.id}", now=now, role=grant.role,
                 until=last_day.isoformat())
    changes.requests_changed(session, [org.id])
    deciders = [u for u in session.exec(select(User).where(col(User.id).in_(decider_ids(session, org.id))))
                if u.id != actor.id]
    what = (f"{full_name(actor)} ({actor.user_id}) asks for more time on the {grant.role} role at {org.name}: "
            f"until {last_day:%b %d, %Y} (it ends after {grant.ends_on:%b %d, %Y}).")
    tell_each(session, deciders, ROLE_REQUESTS, f"More time asked: {grant.role} at {org.name}",
              email=f"{what}\n\nJustification: {text}\n", note=what, link=routes.ROLE_REQUESTS, now=now)
    return request
