"""What the live queue push sends: whole queues for everyone told, read in a fixed number of statements."""

from datetime import timedelta

from sqlmodel import select

from harmony_portal.db import get_engine, session_scope
from harmony_portal.models import RoleRequest, utc_now
from harmony_portal.services.roles import queue_feeds
from tests.services.test_query_counts import counted


def _names(rows):
    return [f'{r["first_name"]} {r["last_name"]}' for r in rows]


def test_an_official_of_two_organizations_sees_both_oldest_first_and_never_their_own(app_db, make):
    with session_scope() as s:
        a, b = make.org(s, "QA"), make.org(s, "QB")
        official = make.user(s, "so.two")
        make.grant(s, official, a)
        make.grant(s, official, b)
        people = [make.user(s, f"asker{i}", first_name="Asker", last_name=str(i)) for i in range(3)]
        for person, org in zip(people, (a, b, a), strict=True):
            make.request(s, person, org)
        make.request(s, official, b, "Staff")  # their own request is someone else's to decide
        # Filed in the order 0 (A), 1 (B), 2 (A); make the B one the oldest.
        oldest = s.exec(select(RoleRequest).where(RoleRequest.user_id == people[1].id)).one()
        oldest.created_at = utc_now() - timedelta(days=1)
        s.add(oldest)
        official_id = official.id
    with session_scope() as s:
        queues = queue_feeds.queues_of(s, [official_id])
    assert _names(queues[official_id]) == ["Asker 1", "Asker 0", "Asker 2"]


def test_who_is_told_officials_of_the_organization_and_the_help_desk_only_where_it_decides(app_db, make):
    with session_scope() as s:
        with_official = make.org(s, "TW1")
        make.org(s, "TW2")  # no official: the help desk decides there
        official, desk = make.user(s, "so.tw"), make.user(s, "desk.tw", is_admin=True)
        bystander = make.user(s, "so.other")
        make.grant(s, official, with_official)
        make.grant(s, bystander, make.org(s, "TW3"))
        ids = official.id, desk.id, bystander.id
    with session_scope() as s:
        assert queue_feeds.who_to_tell(s, {"TW1"}) == {ids[0]}
        assert queue_feeds.who_to_tell(s, {"TW2"}) == {ids[1]}
        # Who decides changed (a role granted): the help desk hears of it even where an official decides.
        assert queue_feeds.who_to_tell(s, {"TW1"}, {ids[0]}) == {ids[0], ids[1]}


def test_the_number_of_statements_does_not_grow_with_the_officials_told(app_db, make):
    def statements_for(count: int, tag: str) -> int:
        with session_scope() as s:
            org = make.org(s, f"N{tag}")
            officials = [make.user(s, f"so{tag}{i}") for i in range(count)]
            for o in officials:
                make.grant(s, o, org)
            make.request(s, make.user(s, f"asker{tag}"), org)
            ids = [o.id for o in officials]
        with session_scope() as s, counted(get_engine()) as sent:
            queues = queue_feeds.queues_of(s, queue_feeds.who_to_tell(s, {f"N{tag}"}))
        assert sorted(queues) == sorted(ids) and all(len(rows) == 1 for rows in queues.values())
        return len(sent)

    assert statements_for(2, "a") == statements_for(25, "b")
