"""What each page reads, as the page's state calls it: one callable per page (and variant).

Each case calls the same service functions, in the same order, as the state's on-load
handler (or the event named) for one kind of person, in one session, and returns how many
rows the page would show. ``scale_pages`` times them and explains their statements.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from sqlalchemy import text
from sqlmodel import Session

from benchmarks.pq_queries import RARE_WORD, WORDS
from harmony_portal.models import User, utc_now
from harmony_portal.services.accounts import admin_users, identity
from harmony_portal.services.audit import admin_log as audit_log
from harmony_portal.services.clock import to_local
from harmony_portal.services.notifications import in_app as notifications
from harmony_portal.services.pq import help_desk_feeds
from harmony_portal.services.pq import queries as pq_queries
from harmony_portal.services.pq.access import viewable_pq
from harmony_portal.services.roles import queries as role_queries
from harmony_portal.services.roles.organizations import organization_choices
from harmony_portal.services.signin import devices, sessions

Case = Callable[[Session], int]


@dataclass(frozen=True)
class People:
    """Who the pages are loaded for, picked from the generated data."""

    admin: User  # the help desk (user 1: also the busiest actor and most notified person)
    big_official: User  # Security Official of the organization with the most members
    official: User  # Security Official of a middling organization
    provider: User  # three roles, one at the biggest organization
    member_id: int  # someone at ``official``'s organization (User Roles)
    big_org: str
    official_org: str
    pq_id: int  # a PQ of the biggest organization with four notes and an attachment
    tokens: dict[int, str]  # a signed-in session of each person (the page shell resolves it)


def _one(conn, sql: str, **params):
    return conn.execute(text(sql), params).scalar()


def people(engine) -> People:
    """Pick the people from the data and open a session for each."""
    with engine.connect() as conn:
        admins = _one(conn, 'SELECT count(*) FROM "user" WHERE is_admin')
        orgs = _one(conn, "SELECT count(*) FROM organization")
        big_org = _one(conn, "SELECT organization_id FROM orgrole GROUP BY 1 ORDER BY count(*) DESC, 1 LIMIT 1")
        k = orgs // 2 + (1 if (orgs // 2) % 20 == 19 else 0)  # a middling organization that has an official
        official_org = f"H{100000 + k}"
        big_official = _one(conn, "SELECT min(user_id) FROM orgrole WHERE organization_id = :o "
                                  "AND role = 'Security Official'", o=big_org)
        provider = _one(conn, "SELECT user_id FROM orgrole WHERE user_id > :first GROUP BY user_id "
                              "HAVING count(*) = 3 AND bool_or(organization_id = :o) ORDER BY user_id LIMIT 1",
                        first=admins + orgs, o=big_org)
        member = _one(conn, "SELECT max(user_id) FROM orgrole WHERE organization_id = :o", o=official_org)
        pq_id = _one(conn, "SELECT max(a.pq_id) FROM attachment a JOIN pq p ON p.id = a.pq_id "
                           "WHERE p.organization_id = :o AND p.id % 5 = 4", o=big_org)
    with Session(engine, expire_on_commit=False) as s:
        users = {uid: s.get(User, uid) for uid in (1, big_official, admins + 1 + k, provider)}
        tokens = {uid: sessions.start_session(s, user, second_factor=True) for uid, user in users.items()}
        s.commit()
    return People(admin=users[1], big_official=users[big_official], official=users[admins + 1 + k],
                  provider=users[provider], member_id=member, big_org=big_org, official_org=official_org,
                  pq_id=pq_id, tokens=tokens)


def _shell(token: str) -> Case:
    """AuthState.require_login, on every protected page: the session, the device check, the identity."""
    def call(s: Session) -> int:
        active = sessions.resolve_session(s, token)
        devices.has_confirmed_device(s, active.user.id)
        return identity.describe(s, active.user).pending_count
    return call


def _home(user: User) -> Case:
    def call(s: Session) -> int:
        return len(role_queries.my_roles(s, user)) + len(role_queries.my_requests(s, user))
    return call


def _role_requests(user: User) -> Case:
    """RoleRequestsState.load and the feed it links (live.rows_for)."""
    def call(s: Session) -> int:
        role_queries.sole_official_orgs(s, user)
        return len(role_queries.decidable_rows(s, user))
    return call


def _user_lookup_load(user: User, org: str | None = None) -> Case:
    """UserLookupState.load: the organization picker, the nudge, the first organization's users."""
    def call(s: Session) -> int:
        choices = role_queries.lookup_choices(s, user)
        role_queries.sole_official_orgs(s, user)
        return len(role_queries.lookup_users(s, user, org or choices[0]["id"])[0])
    return call


def _pq_detail(user: User, pq_id: int) -> Case:
    def call(s: Session) -> int:
        viewable_pq(s, user, pq_id)
        return (len(pq_queries.notes_of(s, user, pq_id)) + len(pq_queries.attachments_of(s, user, pq_id))
                + len(pq_queries.history_of(s, user, pq_id)))
    return call


def _help_desk_load(admin: User) -> Case:
    """HelpDeskState.load: every organization for the provider picker, then the feed (queue and weekly figures)."""
    def call(s: Session) -> int:
        organization_choices(s)
        now = utc_now()
        rows = help_desk_feeds.queue_rows(s, admin, help_desk_feeds.Filters(), now=now)
        help_desk_feeds.week_rows(s, admin, now=now)
        return len(rows)
    return call


def _audit(admin: User, fields: dict) -> Case:
    def call(s: Session) -> int:
        return len(audit_log.audit_page(s, admin, audit_log.parse_filter(s, admin, fields)).rows)
    return call


def cases(p: People) -> dict[str, Case]:
    admin, provider, now = p.admin, p.provider, utc_now()
    month = (to_local(datetime.now(UTC) - timedelta(days=3 * 365)).date().replace(day=1))
    month_end = (month + timedelta(days=32)).replace(day=1) - timedelta(days=1)

    def lookup(user, org, query=""):
        return lambda s: len(role_queries.lookup_users(s, user, org, query)[0])

    def pqs(user, **filters):
        return lambda s: len(pq_queries.list_pqs(s, user, **filters)[0])

    def find(words):
        return lambda s: len(admin_users.find_users(s, admin, words, now))

    def desk(**chosen):
        def call(s):
            filters = help_desk_feeds.clean_filters(s, **chosen)
            return len(help_desk_feeds.queue_rows(s, admin, filters, now=utc_now()))
        return call

    def view(s):
        admin_users.find_users(s, admin, "karen", now)
        overview = admin_users.user_overview(s, admin, p.big_official.id, now)
        return len(overview.roles) + len(overview.events)

    return {
        "shell (every page): official": _shell(p.tokens[p.big_official.id]),
        "shell (every page): help desk": _shell(p.tokens[admin.id]),
        "notifications: help desk (most notified)": lambda s: notifications.feed_of(s, admin.id)[0],
        "notifications: provider": lambda s: notifications.feed_of(s, provider.id)[0],
        "home: provider": _home(provider),
        "home: official": _home(p.big_official),
        "role requests: official of the biggest organization": _role_requests(p.big_official),
        "role requests: help desk (organizations with no official)": _role_requests(admin),
        "user lookup: load, official": _user_lookup_load(p.official),
        "user lookup: load, help desk": _user_lookup_load(admin),
        "user lookup: biggest organization, page 1": lookup(p.big_official, p.big_org),
        "user lookup: exact email": lookup(p.big_official, p.big_org, provider.email.upper()),
        "user roles: official views a member": lambda s: len(role_queries.user_roles(s, p.official, p.member_id)[1]),
        "user roles: help desk views an official": lambda s: len(role_queries.user_roles(
            s, admin, p.big_official.id)[1]),
        "pq list: help desk, first page": pqs(admin),
        "pq list: help desk, status Pending": pqs(admin, status="Pending"),
        "pq list: help desk, inquiry type Billing": pqs(admin, inquiry_type="Billing"),
        "pq list: help desk, provider by id": pqs(admin, provider=p.official_org),
        "pq list: help desk, provider by name": pqs(admin, provider="Kotzebue Care"),
        "pq list: help desk, rare word": pqs(admin, words=RARE_WORD),
        "pq list: help desk, common word": pqs(admin, words=WORDS[0]),
        "pq list: help desk, number": pqs(admin, number=f"#{p.pq_id}"),
        "pq list: provider, first page": pqs(provider),
        "pq list: provider, word": pqs(provider, words=WORDS[5]),
        "pq detail: help desk": _pq_detail(admin, p.pq_id),
        "pq detail: provider": _pq_detail(provider, p.pq_id),
        "help desk: load (queue, weekly figures, provider picker)": _help_desk_load(admin),
        "help desk: queue, one provider": desk(provider=p.big_org),
        "help desk: queue, status Pending + Billing": desk(status="Pending", inquiry_type="Billing"),
        "admin users: search first name": find("karen"),
        "admin users: search last name": find("thomp"),
        "admin users: search user id": find("mary.johnson1"),
        "admin users: search first and last": find("sandra wil"),
        "admin users: search and view": view,
        "audit log: no filter": _audit(admin, {}),
        "audit log: busiest actor": _audit(admin, {"actor": admin.user_id}),
        "audit log: organization": _audit(admin, {"organization": p.big_org}),
        "audit log: rare action": _audit(admin, {"action": "account.two_factor_reset"}),
        "audit log: one month three years ago": _audit(admin, {"from": month.isoformat(),
                                                                "to": month_end.isoformat()}),
    }
