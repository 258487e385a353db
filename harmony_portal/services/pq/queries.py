"""Reading the PQ chapter: the PQ list and search, the help desk's queue, a PQ's notes,
attachments and history, and the weekly chart. Every read goes through ``pq_access``.

Text search: on PostgreSQL, ``search_vector @@ websearch_to_tsquery('english', words)`` over
the stored ``to_tsvector('english', subject || ' ' || details)`` column and its GIN index
``ix_pq_search_vector`` (models/pq.py, migration 0013); on SQLite, a plain case-insensitive
LIKE over subject and details.

At scale (benchmarks/pq_queries.py, 1,000,000 PQs): totals are counted up to
``TOTAL_LIMIT`` only (an exact count of a million rows alone took longer than the page's
50 ms aim); a common word's page is the newest PQs walked backwards by id, each checked
against its stored document, which finds 25 within a few dozen rows; a word search with few
matches takes its page from the index's matches instead of letting the planner walk the
whole table in search of 25 matches it wrongly expects to find soon.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import ColumnElement, and_, case, literal, or_, text
from sqlmodel import Session, col, func, select

from harmony_portal.models import PQ, Organization, User, utc_now
from harmony_portal.models.pq import PQ_OPEN, PQ_SEARCH_VECTOR
from harmony_portal.services.clock import format_local, to_local
from harmony_portal.services.errors import Invalid
from harmony_portal.services.pq.access import require_help_desk, visible_clause
from harmony_portal.services.roles.requests import full_name

PAGE_SIZE = 25
# Totals are exact up to this many; more is reported as TOTAL_LIMIT + 1 ("more than 1,000").
TOTAL_LIMIT = 1_000
# A word search expected to match up to this many PQs sorts the index's matches for its page.
SORT_MATCHES_UP_TO = 20_000
SEARCH_MAX = 200


@dataclass(frozen=True)
class QueueRow:
    """One PQ on the help desk's queue."""

    id: int
    provider_name: str
    organization_id: str | None
    inquiry_type: str
    subject: str
    status: str
    assigned_resource: str
    created_at: datetime
    first_response_due_at: datetime | None
    first_response_at: datetime | None
    taken_by_id: int | None
    overdue: bool


@dataclass(frozen=True)
class WeekStats:
    week_start: datetime  # Monday 00:00, Alaska time
    opened: int
    answered: int
    answered_on_time: int  # of those opened this week, answered by their due time

    @property
    def on_time_share(self) -> float | None:
        return self.answered_on_time / self.opened if self.opened else None


def _name(user: User | None) -> str:
    return full_name(user) if user else ""


def _words_clause(session: Session, words: str) -> ColumnElement[bool]:
    if session.get_bind().dialect.name == "postgresql":
        return text(f"pq.{PQ_SEARCH_VECTOR} @@ websearch_to_tsquery('english', :pq_words)").bindparams(pq_words=words)
    return and_(*(or_(col(PQ.subject).ilike(_like(word), escape="\\"),
                      col(PQ.details).ilike(_like(word), escape="\\")) for word in words.split()))


def _like(value: str) -> str:
    return "%" + value.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"


def _expected_rows(session: Session, filters: list) -> float:
    """How many rows PostgreSQL's statistics expect to match. They know the frequent words
    (each with its share); a word they don't know is assumed rare (0.5% at most), so an
    error here only ever sends a search the index's way."""
    statement = select(literal(1)).select_from(PQ).where(*filters).compile(
        session.get_bind(), compile_kwargs={"render_postcompile": True})
    plan = session.connection().exec_driver_sql("EXPLAIN (FORMAT JSON) " + str(statement), statement.params)
    return float(plan.scalar()[0]["Plan"]["Plan Rows"])


def list_pqs(session: Session, actor: User, *, number: int | str | None = None, provider: str | None = None,
             inquiry_type: str | None = None, status: str | None = None, words: str | None = None,
             page: int = 1) -> tuple[list[PQ], int]:
    """PQs ``actor`` may see, newest first, ``PAGE_SIZE`` a page, with the total matching
    (exact up to ``TOTAL_LIMIT``; ``TOTAL_LIMIT + 1`` means more than that).

    Args:
        number: a PQ number (exact).
        provider: an organization id (exact) or words of the provider's name.
        words: words that must all occur in the subject or details.
    """
    filters: list = []
    if (visible := visible_clause(session, actor)) is not None:
        filters.append(visible)
    if number not in (None, ""):
        try:
            filters.append(PQ.id == int(str(number).strip().lstrip("#")))
        except ValueError as error:
            raise Invalid("number", "A PQ number is digits only.") from error
    if provider and provider.strip():
        # Matched against the organizations (10,000 rows), not each PQ's copy of the name (a
        # million): the PQ then comes from its organization's index. A PQ's provider name is
        # its organization's name when filed, and organizations are never renamed.
        providers = select(Organization.id).where(or_(
            Organization.id == provider.strip(), col(Organization.name).ilike(_like(provider.strip()), escape="\\")))
        filters.append(col(PQ.organization_id).in_(providers))
    if inquiry_type:
        filters.append(PQ.inquiry_type == inquiry_type)
    if status:
        filters.append(PQ.status == status)
    words_clause = _words_clause(session, words.strip()[:SEARCH_MAX]) if words and words.strip() else None
    if words_clause is not None:
        filters.append(words_clause)
    page = max(1, int(page))
    offset = (page - 1) * PAGE_SIZE
    postgres = session.get_bind().dialect.name == "postgresql"
    if postgres:
        # These plans are costed for every row but stop at a LIMIT after a few hundred, so the
        # cost switches JIT compilation on and compiling took longer than running (11 of 54 ms).
        session.execute(text("SET LOCAL jit = off"))
    # Counted from a materialized CTE: planned for all its rows (the index's matches), read
    # only as far as the limit.
    hits = select(literal(1).label("hit")).select_from(PQ).where(*filters).cte("hits")
    if postgres:
        hits = hits.prefix_with("MATERIALIZED")
    total = session.exec(select(func.count()).select_from(select(hits.c.hit).limit(TOTAL_LIMIT + 1).subquery())).one()
    if words_clause is not None and postgres and (
            total <= TOTAL_LIMIT or _expected_rows(session, [words_clause]) <= SORT_MATCHES_UP_TO):
        # Few PQs with these words: sort the index's matches rather than walk the newest PQs
        # looking for them. Frequent words are found that way fast.
        matching = select(PQ.id).where(*filters).cte("matching").prefix_with("MATERIALIZED")
        page_ids = select(matching.c.id).order_by(matching.c.id.desc()).offset(offset).limit(PAGE_SIZE)
        query = select(PQ).where(col(PQ.id).in_(page_ids))
    else:
        query = select(PQ).where(*filters).offset(offset).limit(PAGE_SIZE)
    rows = session.exec(query.order_by(col(PQ.id).desc())).all()
    if postgres:
        session.execute(text("SET LOCAL jit TO DEFAULT"))  # the rest of the transaction as configured
    return list(rows), total


def help_desk_queue(session: Session, admin: User, *, status: str | None = None, inquiry_type: str | None = None,
                    provider: str | None = None, now: datetime, limit: int = 500) -> list[QueueRow]:
    """PQs by first-response due time (open ones unless ``status`` is given), each flagged
    overdue when it has had no first response and its due time has passed."""
    require_help_desk(admin, "The help desk's queue is for the Harmony Help Desk.")
    # The queue's own columns (not the details), open PQs by the literal predicate of the
    # partial indexes ix_pq_open_due / ix_pq_open_org_due (models/pq.py).
    query = select(PQ.id, PQ.provider_name, PQ.organization_id, PQ.inquiry_type, PQ.subject, PQ.status,
                   PQ.assigned_resource, PQ.created_at, PQ.first_response_due_at, PQ.first_response_at,
                   PQ.taken_by_id)
    query = query.where(PQ.status == status) if status else query.where(text(PQ_OPEN))
    if inquiry_type:
        query = query.where(PQ.inquiry_type == inquiry_type)
    if provider:
        query = query.where(PQ.organization_id == provider)
    rows = session.exec(query.order_by(col(PQ.first_response_due_at).asc(), col(PQ.id).asc()).limit(limit)).all()
    return [QueueRow(*row, overdue=row.first_response_at is None and row.first_response_due_at is not None
                     and row.first_response_due_at < now)
            for row in rows]


def my_pqs(session: Session, actor: User, limit: int = 5) -> list[dict[str, str]]:
    """The PQs ``actor`` filed, newest first (Home's "My PQs"): what each is about and where it stands."""
    rows = session.exec(select(PQ.id, PQ.subject, PQ.inquiry_type, PQ.status, PQ.updated_at)
                        .where(PQ.created_by_id == actor.id).order_by(col(PQ.id).desc()).limit(limit))
    return [{"id": str(r.id), "subject": r.subject, "inquiry_type": r.inquiry_type, "status": r.status,
             "updated": format_local(r.updated_at)} for r in rows]


def next_overdue_at(session: Session, *, now: datetime) -> datetime | None:
    """When the next open PQ still waiting for its first response becomes overdue (the earliest
    due time after ``now``), from the partial index of open PQs by due time. A moment, not a PQ:
    the live push uses it to turn the help desk's "Overdue" badges on time."""
    return session.exec(select(func.min(PQ.first_response_due_at)).where(
        text(PQ_OPEN), col(PQ.first_response_at).is_(None), col(PQ.first_response_due_at) > now)).one()


def weekly_stats(session: Session, admin: User, weeks: int = 8, *, now: datetime | None = None) -> list[WeekStats]:
    """PQs opened and answered per week (Monday-Sunday, Alaska time), oldest week first,
    and how many of each week's PQs were answered by their due time."""
    require_help_desk(admin, "The help desk's figures are for the Harmony Help Desk.")
    now = now or utc_now()
    weeks = max(1, min(int(weeks), 104))
    local_now = to_local(now)
    this_monday = (local_now - timedelta(days=local_now.weekday())).replace(hour=0, minute=0, second=0,
                                                                            microsecond=0)
    # Wall-clock arithmetic in the zone: each start is a local Monday midnight, DST or not.
    starts = [this_monday - timedelta(weeks=n) for n in range(weeks - 1, -1, -1)]
    bounds = (*starts, this_monday + timedelta(weeks=1))
    # Counted by the database, a week a group, from the indexes over the two times
    # (ix_pq_created_answered, ix_pq_first_response_at): reading every PQ of the weeks into
    # Python took seconds with 1,000,000 PQs, and the figures are read on each help-desk change.
    on_time = and_(col(PQ.first_response_at).is_not(None), or_(
        col(PQ.first_response_due_at).is_(None), col(PQ.first_response_at) <= col(PQ.first_response_due_at)))
    created_week = _week_of(PQ.created_at, bounds)
    opened = dict.fromkeys(range(weeks), (0, 0)) | {
        week: (count, on_time_count or 0) for week, count, on_time_count in session.exec(
            select(created_week, func.count(), func.sum(case((on_time, 1), else_=0))).where(
                col(PQ.created_at) >= bounds[0], col(PQ.created_at) < bounds[-1]).group_by(created_week))}
    answered_week = _week_of(PQ.first_response_at, bounds)
    answered = dict(session.exec(select(answered_week, func.count()).where(
        col(PQ.first_response_at) >= bounds[0], col(PQ.first_response_at) < bounds[-1]).group_by(answered_week)).all())
    return [WeekStats(week_start=start, opened=opened[i][0], answered=answered.get(i, 0),
                      answered_on_time=opened[i][1])
            for i, start in enumerate(starts)]


def _week_of(moment, bounds: tuple[datetime, ...]) -> ColumnElement[int]:
    """Which week (0, oldest, ...) a time falls in, given the weeks' starts and the last one's end.

    The caller keeps the time within the bounds; the newest week is tested first.
    """
    return case(*((col(moment) >= start, index) for index, start in reversed(list(enumerate(bounds[:-1])))),
                else_=0)
