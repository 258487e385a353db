"""No page's reads grow with the rows it shows: no N+1 queries.

Each page's reads are the service calls its state's load makes, run in a fresh session (as
``session_scope`` gives a page, so no identity map hides a per-row query). Every SQL
statement the engine sends is counted, once with 2 rows to show and once with 20 (each row
with its own related people and organizations, so a per-row look-up would show), and the
counts must be equal.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field

import pytest
from sqlalchemy import event
from sqlmodel import Session

from harmony_portal.models import Attachment, Organization, User
from harmony_portal.services.accounts import admin_users
from harmony_portal.services.audit import admin_log as audit_log
from harmony_portal.services.audit import trail as audit
from harmony_portal.services.notifications import in_app as notifications
from harmony_portal.services.onboarding import checklist as onboarding
from harmony_portal.services.pq import detail, help_desk_feeds
from harmony_portal.services.pq import queries as pq_queries
from harmony_portal.services.pq.filing import add_note, take_pq
from harmony_portal.services.roles import queries as role_queries
from harmony_portal.services.roles import requests as roles
from harmony_portal.services.roles.organizations import organization_choices
from harmony_portal.vocabulary import SECURITY_OFFICIAL, STAFF


@contextmanager
def counted(engine) -> Iterator[list[str]]:
    """Every statement the engine sends inside the block."""
    sent: list[str] = []

    def count(conn, cursor, statement, parameters, context, executemany):
        sent.append(statement)

    event.listen(engine, "before_cursor_execute", count)
    try:
        yield sent
    finally:
        event.remove(engine, "before_cursor_execute", count)


@dataclass
class World:
    """The people and organization every page starts from; ``made`` counts what a page has grown."""

    session: Session
    make: object
    clock: object
    admin: User
    official: User  # Security Official of ``org``
    provider: User  # Staff at ``org``
    org: Organization
    made: dict[str, list] = field(default_factory=dict)

    def more(self, kind: str, up_to: int, one: Callable[[int], object]) -> None:
        """Make ``kind`` rows (``one(n)`` each) until there are ``up_to``."""
        rows = self.made.setdefault(kind, [])
        while len(rows) < up_to:
            rows.append(one(len(rows)))

    def org_of(self, kind: str, n: int) -> Organization:
        return self.make.org(self.session, f"{kind[:3].upper()}{n}", f"{kind.title()} Provider {n}")


@pytest.fixture
def world(session, make, clock) -> World:
    admin = make.user(session, "helpdesk", is_admin=True)
    official, provider = make.user(session, "official"), make.user(session, "provider")
    org = make.org(session, "HOME", "Home Care of Kenai")
    make.grant(session, official, org, SECURITY_OFFICIAL)
    make.grant(session, provider, org, STAFF)
    return World(session, make, clock, admin, official, provider, org)


# --- each page: how to grow the rows it shows, and its reads (returning how many rows it shows)


def grow_role_requests(w: World, total: int) -> None:
    """Pending requests from different people at different organizations the official decides."""
    def one(n):
        org = w.org_of("queue", n)
        w.make.grant(w.session, w.official, org, SECURITY_OFFICIAL)
        asker = w.make.user(w.session, f"asker{n}")
        if n % 2:
            onboarding.start(w.session, asker.id)  # the row shows a started checklist
        return w.make.request(w.session, asker, org)
    w.more("requests", total, one)


def read_role_requests(s: Session, w: World) -> int:
    role_queries.sole_official_orgs(s, w.official)
    return len(role_queries.decidable_rows(s, w.official))


def grow_home(w: World, total: int) -> None:
    """The provider's roles, requests and notifications, each at another organization."""
    def role(n):
        return w.make.grant(w.session, w.provider, w.org_of("held", n), STAFF)

    def ask(n):
        return w.make.request(w.session, w.provider, w.org_of("asked", n))

    def told(n):
        return notifications.add_each(w.session, [w.provider.id], "pq_updates", f"PQ {n} has a new note",
                                      link=f"/pq/{n}")
    for kind, one in (("roles", role), ("asked", ask), ("told", told)):
        w.more(kind, total + (1 if kind == "roles" else 0), one)  # plus the Staff role at HOME


def read_home(s: Session, w: World) -> int:
    held = role_queries.my_roles(s, w.provider)
    asked = role_queries.my_requests(s, w.provider)
    unread, told = notifications.feed_of(s, w.provider.id)
    return min(len(held) - 1, len(asked), len(told), unread)


def grow_user_lookup(w: World, total: int) -> None:
    w.more("members", total, lambda n: w.make.grant(w.session, w.make.user(w.session, f"member{n}"), w.org, STAFF))


def read_user_lookup(s: Session, w: World) -> int:
    choices = organization_choices(s, roles.lookup_org_ids(s, w.official))
    role_queries.sole_official_orgs(s, w.official)
    rows, _total = role_queries.lookup_users(s, w.official, choices[0]["id"])
    return len(rows) - 2  # less the official and the provider


def grow_user_roles(w: World, total: int) -> None:
    """The provider's roles at organizations the official represents."""
    def one(n):
        org = w.org_of("roles", n)
        w.make.grant(w.session, w.official, org, SECURITY_OFFICIAL)
        return w.make.grant(w.session, w.provider, org, STAFF)
    w.more("roles", total, one)


def read_user_roles(s: Session, w: World) -> int:
    _user, grants = role_queries.user_roles(s, w.official, w.provider.id)
    return len(grants) - 1  # less the Staff role at HOME


def grow_pq_list(w: World, total: int) -> None:
    w.more("pqs", total, lambda n: w.make.pq(w.session, w.provider, w.org, subject=f"Question {n} about billing",
                                             now=w.clock.now()))


def read_pq_list(s: Session, w: World) -> int:
    mine, _ = pq_queries.list_pqs(s, w.provider)
    desk, _ = pq_queries.list_pqs(s, w.admin, words="billing")
    return min(len(mine), len(desk))


def grow_pq_detail(w: World, total: int) -> None:
    """One PQ; notes by different authors (each in its History), and attachments."""
    pq = w.made.setdefault("pq", [w.make.pq(w.session, w.provider, w.org, now=w.clock.now())])[0]

    def note(n):
        author = w.make.user(w.session, f"author{n}")
        w.make.grant(w.session, author, w.org, STAFF)
        return add_note(w.session, author, pq.id, "General", "Pending", f"Note number {n}.", now=w.clock.now())

    def attachment(n):
        # Only the metadata is read here; the file store is the attachments tests' business.
        row = Attachment(pq_id=pq.id, note_id=w.made["notes"][n].id, filename=f"form{n}.pdf",
                         content_type="application/pdf", size=10, sha256="0" * 64, storage_key=f"key-{n}",
                         uploaded_by_id=w.provider.id)
        w.session.add(row)
        return row
    w.more("notes", total, note)
    w.more("attachments", total, attachment)


def read_pq_detail(s: Session, w: World) -> int:
    pq_id = w.made["pq"][0].id
    shown = []
    for actor in (w.provider, w.admin):  # the Internal rule differs
        page = detail.pq_page(s, actor, pq_id)
        shown += [len(page.notes), len(page.attachments), len(page.history) - 1]  # less "filed"
    return min(shown)


def grow_help_desk(w: World, total: int) -> None:
    """Open PQs, each taken by a different help-desk administrator."""
    def one(n):
        pq = w.make.pq(w.session, w.provider, w.org, now=w.clock.now())
        return take_pq(w.session, w.make.user(w.session, f"desk{n}", is_admin=True), pq.id, now=w.clock.now())
    w.more("taken", total, one)


def read_help_desk(s: Session, w: World) -> int:
    organization_choices(s)
    rows = help_desk_feeds.queue_rows(s, w.admin, help_desk_feeds.Filters(), now=w.clock.now())
    help_desk_feeds.week_rows(s, w.admin, now=w.clock.now())
    return len(rows)


def grow_admin_users(w: World, total: int) -> None:
    """People found by a search; the first of them with roles and security events by different people."""
    def person(n):
        return w.make.user(w.session, f"zed{n}", first_name="Zed")

    w.more("found", total, person)
    target = w.made["found"][0]

    def role(n):
        return w.make.grant(w.session, target, w.org_of("admin", n), STAFF)

    def unlocked(n):
        return audit.record(w.session, "account.unlocked", actor_id=w.made["found"][n].id, subject_user_id=target.id)
    w.more("roles", total, role)
    w.more("events", total, unlocked)


def read_admin_users(s: Session, w: World) -> int:
    found = admin_users.find_users(s, w.admin, "zed", w.clock.now())
    overview = admin_users.user_overview(s, w.admin, w.made["found"][0].id, w.clock.now())
    return min(len(found), len(overview.roles), len(overview.events))


def grow_audit_log(w: World, total: int) -> None:
    """Rows of one action, each by a different person about another."""
    def one(n):
        actor, subject = w.make.user(w.session, f"actor{n}"), w.make.user(w.session, f"subject{n}")
        return audit.record(w.session, "account.locked", actor_id=actor.id, subject_user_id=subject.id,
                            organization_id=w.org.id)
    w.more("events", total, one)


def read_audit_log(s: Session, w: World) -> int:
    page = audit_log.audit_page(s, w.admin, audit_log.parse_filter(s, w.admin, {"action": "account.locked"}))
    return len(page.rows)


PAGES = {
    "role requests": (grow_role_requests, read_role_requests),
    "home": (grow_home, read_home),
    "user lookup": (grow_user_lookup, read_user_lookup),
    "user roles": (grow_user_roles, read_user_roles),
    "pq list": (grow_pq_list, read_pq_list),
    "pq detail": (grow_pq_detail, read_pq_detail),
    "help desk queue": (grow_help_desk, read_help_desk),
    "admin users": (grow_admin_users, read_admin_users),
    "audit log": (grow_audit_log, read_audit_log),
}


@pytest.mark.parametrize("page", list(PAGES))
def test_a_page_sends_as_many_statements_for_20_rows_as_for_2(engine, session, world, page):
    grow, read = PAGES[page]
    shown, sent = {}, {}
    for total in (2, 20):
        grow(world, total)
        session.commit()
        with Session(engine) as fresh, counted(engine) as statements:
            shown[total] = read(fresh, world)
        sent[total] = statements
    assert shown == {2: 2, 20: 20}, "the page must really show the rows it was given"
    assert len(sent[20]) == len(sent[2]), (f"{len(sent[2])} statements for 2 rows, {len(sent[20])} for 20:\n"
                                           + "\n".join(" ".join(s.split())[:160] for s in sent[20]))
