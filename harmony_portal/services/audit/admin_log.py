"""The Audit Log for administrators: filtered pages, newest first, and a streamed CSV export.

Rows are ordered by (at, id) - when it happened, ties in the order written - and paged by
keyset (the edge row of the page on screen), never by offset, so the thousandth page costs
what the first does. Each filter has an index ending in (at, id) (``models/audit.py``).
Only the table's columns are shown; the writer keeps secrets out of them (``audit.record``).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator, Mapping
from contextlib import AbstractContextManager
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta

from sqlalchemy import func, tuple_
from sqlmodel import Session, col, select

from harmony_portal.models import AuditEvent, User
from harmony_portal.services.accounts.find import find_user
from harmony_portal.services.audit import trail as audit
from harmony_portal.services.clock import format_local
from harmony_portal.services.csv_export import csv_text
from harmony_portal.services.errors import Invalid
from harmony_portal.services.guards import require_admin
from harmony_portal.settings import get_settings

PAGE_SIZE = 50
EXPORT_BATCH = 5000
FILTER_FIELDS = ("from", "to", "actor", "organization", "action")
# What the code writes (tests/services/audit/test_admin_log.py keeps this in step with the source).
KNOWN_ACTIONS = tuple(sorted("""
account.admin_created account.challenge_changed account.created account.device_added account.device_enrolled
account.device_removed account.device_renamed account.disabled account.email_change_requested
account.email_changed account.enabled account.locked account.password_changed account.profile_updated
account.recovery_codes_issued account.repeatedly_locked account.reset_completed account.reset_requested
account.signup account.step_up_refused account.two_factor_reset account.unconfirmed_devices_dropped
account.unlocked attachment.downloaded attachment.uploaded audit.exported audit.pruned auth.challenge_failed
auth.code_failed auth.logout auth.password_failed auth.rate_limited auth.recovery_code_used auth.signed_in
onboarding.overridden onboarding.step_marked organization.added pq.access_form_generated pq.access_granted
pq.access_rejected pq.created pq.note_added pq.route_set pq.status_changed pq.taken role.granted role.removed
role.request_approved role.request_cancelled role.request_rejected role.requested session.expired
account.email_preferences_changed announcement.ended announcement.posted maintenance.weekly_changed
maintenance.weekly_skipped maintenance.window_added maintenance.window_cancelled outbox.retried
auth.enrolment_code_failed pq.staff_access_requested two_factor.enrolment_code_issued two_factor.enrolment_code_used
pq.signing_started pq.form_signed pq.form_fully_signed pq.signing_declined pq.signing_withdrawn pq.signing_expired
pq.signing_void pq.signing_record_downloaded pq.form_opened
account.passkey_added account.passkey_removed account.passkey_changed auth.passkey_used auth.passkey_failed
policy.passkey_requirement_changed role.expired role.term_changed role.default_term_changed role.request_expired
role.more_time_requested review.started review.decided review.finished review.exported
""".split()))
EXPORT_HEADER = ("id", "at_utc", "action", "actor_id", "actor", "subject_user_id", "subject", "organization_id",
                 "target", "ip", "detail", "prev_hash", "hash")
_DAY = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}")
_ORGANIZATION = re.compile(r"[A-Za-z0-9-]{1,32}")
_ACTION = re.compile(r"[a-z0-9_.]{1,60}")
_KEY = tuple_(col(AuditEvent.at), col(AuditEvent.id))
_COLUMNS = tuple(AuditEvent.__table__.columns)


@dataclass(frozen=True)
class AuditFilter:
    """A checked filter: UTC bounds (``end`` exclusive), ids, and the text it was read from."""

    start: datetime | None = None
    end: datetime | None = None
    actor_id: int | None = None
    organization_id: str | None = None
    action: str | None = None
    given: tuple[tuple[str, str], ...] = ()

    def query(self) -> dict[str, str]:
        """The filter as it was typed (non-empty fields), for a URL or an audit row's detail."""
        return dict(self.given)


def _day(text: str, name: str, label: str, problems: dict[str, str]) -> date | None:
    if not text:
        return None
    try:
        day = date.fromisoformat(text) if _DAY.fullmatch(text) else None
    except ValueError:
        day = None
    if day is None or not 1900 <= day.year <= 2999:
        problems[name] = f"{label} must be a date, like 2026-11-18."
        return None
    return day


def _midnight(day: date) -> datetime:
    """The start of ``day`` in the portal's timezone (Alaska), in UTC."""
    return datetime.combine(day, time.min, tzinfo=get_settings().timezone).astimezone(UTC)


def parse_filter(session: Session, actor: User, fields: Mapping[str, object]) -> AuditFilter:
    """A filter from form fields or query parameters (anything that is not text counts as empty).

    Administrators only: the actor field would otherwise tell anyone which User IDs exist.

    Raises:
        NotAllowed: ``actor`` is not an administrator.
        Invalid: by field name ("from", "to", "actor", "organization", "action").
    """
    require_admin(session, actor)
    text = {name: fields.get(name) if isinstance(fields, Mapping) else None for name in FILTER_FIELDS}
    text = {name: value.strip() if isinstance(value, str) else "" for name, value in text.items()}
    problems: dict[str, str] = {}
    first, last = _day(text["from"], "from", "From", problems), _day(text["to"], "to", "To", problems)
    if first and last and last < first:
        problems["to"] = "To must be on or after From."
    who = None
    if text["actor"]:
        fits = len(text["actor"]) <= 64 and text["actor"].isprintable()  # PostgreSQL refuses NUL
        who = find_user(session, text["actor"]) if fits else None
        if who is None:
            problems["actor"] = "No account has that User ID."
    if text["organization"] and not _ORGANIZATION.fullmatch(text["organization"]):
        problems["organization"] = "Organization must be an organization ID: letters, digits or dashes."
    action = text["action"].lower()
    if action and not _ACTION.fullmatch(action):
        problems["action"] = "Action must be an action name, like auth.signed_in."
    if problems:
        raise Invalid(problems)
    return AuditFilter(start=_midnight(first) if first else None,
                       end=_midnight(last + timedelta(days=1)) if last else None,
                       actor_id=who.id if who else None, organization_id=text["organization"] or None,
                       action=action or None, given=tuple((k, v) for k, v in text.items() if v))


@dataclass(frozen=True)
class Cursor:
    """A row's place in the order: its time and id."""

    at: datetime
    id: int

    def token(self) -> str:
        return f"{self.at.isoformat()}|{self.id}"

    @classmethod
    def parse(cls, token: object) -> Cursor | None:
        """The cursor a ``token()`` made, or None for anything else."""
        if not isinstance(token, str) or "|" not in token:
            return None
        at, _, row_id = token.partition("|")
        try:
            moment = datetime.fromisoformat(at)
        except ValueError:
            return None
        if moment.tzinfo is None or not (row_id.isascii() and row_id.isdigit() and len(row_id) <= 10):
            return None
        return cls(moment, int(row_id))


def _filtered(query, f: AuditFilter):
    for column, value in ((AuditEvent.actor_id, f.actor_id), (AuditEvent.organization_id, f.organization_id),
                          (AuditEvent.action, f.action)):
        if value is not None:
            query = query.where(col(column) == value)
    if f.start is not None:
        query = query.where(col(AuditEvent.at) >= f.start)
    if f.end is not None:
        query = query.where(col(AuditEvent.at) < f.end)
    return query


def _events(session: Session, f: AuditFilter, *, limit: int, before: Cursor | None = None,
            after: Cursor | None = None, oldest_first: bool = False, upto_id: int | None = None) -> list:
    """Up to ``limit`` rows: newest first (below ``before``), or oldest first (above ``after``).

    Plain rows of the columns, not model instances: building those is most of an export's time.
    """
    query = _filtered(select(*_COLUMNS), f)
    if upto_id is not None:
        query = query.where(col(AuditEvent.id) <= upto_id)
    if before is not None:
        query = query.where(_KEY < tuple_(before.at, before.id))
    if after is not None:
        query = query.where(_KEY > tuple_(after.at, after.id))
    if oldest_first or after is not None:
        query = query.order_by(col(AuditEvent.at), col(AuditEvent.id))
    else:
        query = query.order_by(col(AuditEvent.at).desc(), col(AuditEvent.id).desc())
    return list(session.exec(query.limit(limit)))


def _people(session: Session, ids: set[int], known: dict[int, str] | None = None) -> dict[int, str]:
    """How the audit log names people: "User ID (First Last)"; ``known`` names are not read again."""
    known = {} if known is None else known
    missing = ids - known.keys()
    if missing:
        known.update((u.id, f"{u.user_id} ({u.first_name} {u.last_name})") for u in session.exec(
            select(User.id, User.user_id, User.first_name, User.last_name).where(col(User.id).in_(missing))))
    return known


def _shown(session: Session, events: list) -> list[dict[str, str]]:
    people = _people(session, {i for e in events for i in (e.actor_id, e.subject_user_id) if i})
    return [{"id": str(e.id), "at": format_local(e.at), "action": e.action, "actor": people.get(e.actor_id, ""),
             "subject": people.get(e.subject_user_id, ""), "organization": e.organization_id or "",
             "target": e.target, "ip": e.ip, "detail": e.detail} for e in events]


@dataclass(frozen=True)
class AuditPage:
    """One page of rows; ``newer`` / ``older`` are the tokens that fetch the next pages, or "" at an end."""

    rows: list[dict[str, str]]
    newer: str = ""
    older: str = ""


def _edge(event) -> Cursor:
    return Cursor(event.at, event.id)


def audit_page(session: Session, actor: User, f: AuditFilter, *, older_than: str = "",
               newer_than: str = "", size: int = PAGE_SIZE) -> AuditPage:
    """A page of the filtered log: the newest, or the one older or newer than a page's token."""
    require_admin(session, actor)
    before, after = Cursor.parse(older_than), Cursor.parse(newer_than)
    events: list = []
    if after is not None:
        events = _events(session, f, limit=size + 1, after=after)
        # Fewer than a full page newer: this is the first page, shown full.
        events = events[:size][::-1] if len(events) > size else []
    if not events and before is not None:
        events = _events(session, f, limit=size + 1, before=before)
    if not events:
        before, events = None, _events(session, f, limit=size + 1)
    older = _edge(events[size - 1]).token() if len(events) > size else ""
    events = events[:size]
    newer = ""
    if (before is not None or after is not None) and events:
        newer = _edge(events[0]).token() if _events(session, f, limit=1, after=_edge(events[0])) else ""
    if after is not None and not older and events:
        older = _edge(events[-1]).token() if _events(session, f, limit=1, before=_edge(events[-1])) else ""
    return AuditPage(_shown(session, events), newer=newer, older=older)


def begin_export(session: Session, actor: User, f: AuditFilter, *, ip: str = "",
                 now: datetime | None = None) -> int:
    """Check the actor may export and audit that they do; returns the newest id the export covers.

    The bound keeps a long export from chasing rows written while it runs (its own included).
    """
    admin = require_admin(session, actor)
    newest = session.exec(select(func.max(AuditEvent.id))).one() or 0
    audit.record(session, "audit.exported", actor_id=admin.id, ip=ip, now=now, filter=f.query(), upto_id=newest)
    return newest


def export_chunks(open_session: Callable[[], AbstractContextManager[Session]], f: AuditFilter, upto_id: int,
                  batch: int = EXPORT_BATCH) -> Iterator[str]:
    """The filtered rows as CSV text, oldest first, one keyset batch per chunk, each in its own transaction.

    Every cell goes through ``csv_export`` (no cell can start a spreadsheet formula).
    """
    yield csv_text([EXPORT_HEADER])
    after, people = None, {}
    while True:
        with open_session() as session:
            events = _events(session, f, limit=batch, after=after, oldest_first=True, upto_id=upto_id)
            _people(session, {i for e in events for i in (e.actor_id, e.subject_user_id) if i}, people)
        if not events:
            return
        yield csv_text([e.id, e.at.isoformat(), e.action, e.actor_id, people.get(e.actor_id, ""),
                        e.subject_user_id, people.get(e.subject_user_id, ""), e.organization_id, e.target, e.ip,
                        e.detail, e.prev_hash, e.hash] for e in events)
        if len(events) < batch:
            return
        after = _edge(events[-1])
