"""Time-limited roles: "Access ends on" (the last day of access, Alaska time), the default term per role,
extending, the 14- and 3-day warnings, and the ending itself.

A role with an end date ends at the first minute after its last day in Alaska (``ends_at``, stored in
UTC, so daylight saving is the time zone database's business). The ending and the warnings are sweeps
run by the scheduled-jobs mechanism (``term_jobs``): rows are locked and skipped by other workers
(``SKIP LOCKED``), so a role ends once however many workers and nodes run the sweep.
"""

from __future__ import annotations

from collections import defaultdict
from datetime import UTC, date, datetime, time, timedelta

from sqlmodel import Session, col, delete, select

from harmony_portal import routes
from harmony_portal.models import Organization, OrgRole, RoleTerm, User, utc_now
from harmony_portal.services import changes
from harmony_portal.services.accounts.identity import users_by_ids
from harmony_portal.services.audit import trail as audit
from harmony_portal.services.errors import Invalid, NotAllowed
from harmony_portal.services.guards import require_admin
from harmony_portal.services.notifications.email_preferences import ROLE_DECISIONS
from harmony_portal.services.notifications.notify import News, tell, tell_many
from harmony_portal.services.passkeys import policy
from harmony_portal.services.reviews.decide import EXPIRED, close_rows_of_ended_roles
from harmony_portal.services.roles.requests import may_look_up, officials_by_org, roles_changed
from harmony_portal.settings import get_settings
from harmony_portal.vocabulary import ORGANIZATION_ROLES

FIELD = "ends_on"
LONGEST = timedelta(days=5 * 366)
WARNINGS = (3, 14)  # days before the end (the nearer first: a role ending in 2 days gets one warning)
BATCH = 500


def today(now: datetime | None = None) -> date:
    """The date in Alaska at ``now``."""
    return (now or utc_now()).astimezone(get_settings().timezone).date()


def ends_at_for(last_day: date) -> datetime:
    """The moment a role whose last day is ``last_day`` ends: midnight after it, Alaska time, in UTC."""
    midnight = datetime.combine(last_day + timedelta(days=1), time(0), tzinfo=get_settings().timezone)
    return midnight.astimezone(UTC)


def parse_ends_on(text: object, now: datetime | None = None) -> date | None:
    """"Access ends on" as typed (YYYY-MM-DD; empty: none). Invalid when not a date, past, or over 5 years."""
    text = text.strip() if isinstance(text, str) else ""
    if not text:
        return None
    try:
        last_day = date.fromisoformat(text)
    except ValueError:
        raise Invalid(FIELD, "Access ends on must be a date, for example 2027-06-30.") from None
    first_allowed = today(now)
    if last_day < first_allowed:
        raise Invalid(FIELD, "Access ends on can't be in the past.")
    if last_day > first_allowed + LONGEST:
        raise Invalid(FIELD, "Access ends on must be within 5 years.")
    return last_day


def set_term(grant: OrgRole, last_day: date | None) -> None:
    """Give ``grant`` its last day (None: until removed); the warnings start over."""
    grant.ends_on = last_day
    grant.ends_at = ends_at_for(last_day) if last_day else None
    grant.notified_days = 0


def default_last_day(session: Session, role: str, now: datetime | None = None) -> date | None:
    """The last day a role approved now gets when the approval names none (the administrator's term)."""
    term = session.get(RoleTerm, role)
    return today(now) + timedelta(days=term.days) if term else None


def default_terms(session: Session) -> dict[str, int]:
    return {t.role: t.days for t in session.exec(select(RoleTerm))}


def set_default_term(session: Session, actor: User, role: str, days: object, *,
                     now: datetime | None = None) -> None:
    """An administrator sets how many days ``role`` lasts by default (empty: until removed). Audited."""
    now = now or utc_now()
    actor = require_admin(session, actor)
    if role not in ORGANIZATION_ROLES:
        raise Invalid("role", "Choose a Role.")
    text = days.strip() if isinstance(days, str) else ""
    term = session.get(RoleTerm, role)
    if not text:
        if term:
            session.delete(term)
    elif not text.isascii() or not text.isdigit() or not 1 <= int(text) <= LONGEST.days:
        raise Invalid("days", f"Days must be a whole number from 1 to {LONGEST.days}.")
    else:
        term = term or RoleTerm(role=role, days=int(text))
        term.days, term.updated_by_id, term.updated_at = int(text), actor.id, now
        session.add(term)
    audit.record(session, "role.default_term_changed", actor_id=actor.id, now=now, role=role, days=text or None)


def extend(session: Session, actor: User, org_role_id: int, ends_on: object, *,
           now: datetime | None = None) -> OrgRole:
    """An official of the role's organization (or the help desk) moves its end date (empty: no end). Audited; the
    holder is told."""
    now = now or utc_now()
    policy.check_not_held(session, actor)
    grant = session.get(OrgRole, org_role_id)
    if grant is None or not may_look_up(session, actor, grant.organization_id):
        raise NotAllowed("You can only change roles in organizations you represent.")
    if grant.user_id == actor.id and not actor.is_admin:
        raise NotAllowed("Nobody extends their own role: another official or the help desk does.")
    last_day = parse_ends_on(ends_on, now)
    before = grant.ends_on
    set_term(grant, last_day)
    session.add(grant)
    changes.holders_changed(session, [grant.user_id])
    holder, org = session.get(User, grant.user_id), session.get(Organization, grant.organization_id)
    audit.record(session, "role.term_changed", actor_id=actor.id, subject_user_id=holder.id, organization_id=org.id,
                 target=f"role:{grant.id}", now=now, role=grant.role,
                 ends_on_before=before.isoformat() if before else None,
                 ends_on=last_day.isoformat() if last_day else None)
    what = f"now ends after {last_day:%b %d, %Y}" if last_day else "no longer has an end date"
    tell(session, holder, ROLE_DECISIONS, f"Your {grant.role} role at {org.name} was extended",
         email=f"Hello {holder.first_name},\n\nYour {grant.role} role at {org.name} {what}.\n",
         note=f"Your {grant.role} role at {org.name} {what}.", link=routes.HOME, now=now)
    return grant


def _due(now: datetime, before: timedelta = timedelta(0)):
    return (col(OrgRole.ends_at).is_not(None), col(OrgRole.ends_at) <= now + before)


def _locked_batch(session: Session, *where) -> list[OrgRole]:
    """Due roles no other worker holds (PostgreSQL's SKIP LOCKED; SQLite has one writer at a time)."""
    return list(session.exec(select(OrgRole).where(*where).order_by(col(OrgRole.ends_at), col(OrgRole.id))
                             .limit(BATCH).with_for_update(skip_locked=True)))


def _people(session: Session, grants: list[OrgRole]) -> tuple[dict[int, User], dict[str, Organization],
                                                                dict[str, list[User]]]:
    """Holders, organizations and each organization's Security Officials, for the messages (few queries)."""
    org_ids = {g.organization_id for g in grants}
    orgs = {o.id: o for o in session.exec(select(Organization).where(col(Organization.id).in_(org_ids)))}
    officials = officials_by_org(session, org_ids)
    people = {u.id: u for u in users_by_ids(session, {g.user_id for g in grants}
                                            | {i for ids in officials.values() for i in ids})}
    return people, orgs, {org_id: [people[i] for i in ids] for org_id, ids in officials.items()}


def end_due(session: Session, *, now: datetime | None = None) -> int:
    """End every role whose time is up (one batch of at most BATCH; call again while it returns BATCH).

    Each ends once: the rows are locked, deleted and audited as ``role.expired`` ("ended (expired)", not
    removed by anyone); each holder and the organization's officials are told (a few statements for the
    whole batch); a Security Official's ending re-routes the organization's requests live.
    """
    now = now or utc_now()
    grants = _locked_batch(session, *_due(now))
    if not grants:
        return 0
    people, orgs, officials = _people(session, grants)
    session.exec(delete(OrgRole).where(col(OrgRole.id).in_([g.id for g in grants])))
    close_rows_of_ended_roles(session, [g.id for g in grants], EXPIRED, now=now)
    news, by_official = [], defaultdict(list)
    for grant in grants:
        holder, org = people[grant.user_id], orgs[grant.organization_id]
        audit.record(session, "role.expired", subject_user_id=holder.id, organization_id=org.id,
                     target=f"role:{grant.id}", now=now, role=grant.role, ends_on=grant.ends_on.isoformat())
        what = f"Your {grant.role} role at {org.name} ended: its last day was {grant.ends_on:%b %d, %Y}."
        news.append(News(holder, f"Your {grant.role} role at {org.name} ended", what, link=routes.ROLE_REQUEST,
                         email=f"Hello {holder.first_name},\n\n{what}\n\nIf you still need it, request it again.\n"))
        for official in officials[grant.organization_id]:
            if official.id != holder.id:
                by_official[official.id].append(f"{holder.first_name} {holder.last_name}: {grant.role} at {org.name}")
    for official_id, lines in by_official.items():
        official = people[official_id]
        news.append(News(official, f"{len(lines)} role(s) at your organization ended",
                         f"{len(lines)} role(s) ended by date.", link=routes.USER_LOOKUP,
                         email=f"Hello {official.first_name},\n\nThese roles reached their end date and ended:\n\n"
                               + "\n".join(lines) + "\n"))
    tell_many(session, news, ROLE_DECISIONS, now=now)
    for grant in grants:
        session.expunge(grant)  # deleted by the statement above: the session must not flush it
    roles_changed(session, grants)
    return len(grants)


def send_warnings(session: Session, *, now: datetime | None = None) -> int:
    """The 14- and 3-day warnings to the holder and the organization's officials, each sent once per end
    date (an extension starts them over). Returns how many roles were warned (one batch)."""
    now = now or utc_now()
    warned = 0
    for days in WARNINGS:
        grants = _locked_batch(session, *_due(now, timedelta(days=days)), col(OrgRole.ends_at) > now,
                               (OrgRole.notified_days == 0) | (OrgRole.notified_days > days))
        if not grants:
            continue
        people, orgs, officials = _people(session, grants)
        news = []
        for grant in grants:
            grant.notified_days = days
            session.add(grant)
            holder, org = people[grant.user_id], orgs[grant.organization_id]
            what = f"The {grant.role} role of {holder.first_name} {holder.last_name} at {org.name} ends after " \
                   f"{grant.ends_on:%b %d, %Y}."
            email = (f"Hello,\n\n{what}\n\nThe holder can ask for more time from Home; an official can extend it "
                     "from User Lookup.\n")
            news += [News(person, f"A role at {org.name} ends in {days} days or less", what, email, routes.HOME)
                     for person in [holder] + [o for o in officials[grant.organization_id] if o.id != holder.id]]
        tell_many(session, news, ROLE_DECISIONS, now=now)
        warned += len(grants)
    return warned
